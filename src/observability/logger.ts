/** Structured JSON logs, one object per line, as log collectors expect. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** The Nest token of the process's logger. */
export const LOGGER = Symbol('LOGGER');

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function createLogger(component: string, options: { level?: LogLevel; write?: (line: string) => void; fields?: Record<string, unknown> } = {}): Logger {
  const threshold = ORDER[options.level ?? ((process.env.LOG_LEVEL as LogLevel) in ORDER ? (process.env.LOG_LEVEL as LogLevel) : 'info')];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const base = { component, ...options.fields };
  const log = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < threshold) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...base, ...fields })}\n`);
  };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (fields) => createLogger(component, { ...options, fields: { ...base, ...fields } }),
  };
}

/** A logger that drops everything, for library use in tests and the CLI. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};

/**
 * Warnings that may come in a flood (a Redis client retrying while Redis restarts): the first is
 * logged at once, later ones at most once per interval, with how many were not logged in between.
 */
export function throttledWarnings(
  logger: Logger,
  intervalMs: number,
  clock: () => number = Date.now,
): (message: string, fields: Record<string, unknown>) => void {
  let lastLogged = -Infinity;
  let unlogged = 0;
  return (message, fields) => {
    const now = clock();
    if (now - lastLogged < intervalMs) {
      unlogged++;
      return;
    }
    logger.warn(message, unlogged ? { ...fields, notLoggedSince: unlogged } : fields);
    lastLogged = now;
    unlogged = 0;
  };
}
