import { parseGoDurationOrError } from '../templating/gotemplate/index.js';

/** An operation's `retry` (Argo CD's RetryStrategy, from syncPolicy.retry for automated syncs). */
export interface RetryStrategy {
  /** Retries after the first attempt; negative: no limit; 0 or absent: none. */
  limit?: number;
  backoff?: { duration?: string; factor?: number; maxDuration?: string };
}

const DEFAULT_DURATION_MS = 5_000;
const DEFAULT_FACTOR = 2;
const DEFAULT_MAX_DURATION_MS = 180_000;

/** Argo CD's backoff durations: a bare integer is seconds, anything else a Go duration. */
function durationMs(text: string): number {
  if (/^[+-]?\d+$/.test(text)) return Number(text) * 1000;
  const parsed = parseGoDurationOrError(text);
  if ('error' in parsed) throw new Error(`unable to parse ${text} as a duration`);
  return parsed.nanoseconds / 1e6;
}

/** Whether a sync that failed after `retryCount` retries is tried again. */
export function retriesLeft(strategy: RetryStrategy | undefined, retryCount: number): boolean {
  const limit = Number(strategy?.limit ?? 0);
  return limit < 0 || retryCount < limit;
}

/**
 * When the next attempt runs, as Argo CD computes it: duration × factor^retryCount after the
 * failed attempt, never more than maxDuration (defaults 5s, 2, 3m).
 */
export function nextRetryAt(strategy: RetryStrategy, lastAttempt: Date, retryCount: number): Date {
  const backoff = strategy.backoff ?? {};
  const duration = backoff.duration ? durationMs(backoff.duration) : DEFAULT_DURATION_MS;
  const maxDuration = backoff.maxDuration ? durationMs(backoff.maxDuration) : DEFAULT_MAX_DURATION_MS;
  const factor = backoff.factor ?? DEFAULT_FACTOR;
  let wait = duration * Math.pow(factor, retryCount);
  if (maxDuration > 0) wait = Math.min(maxDuration, wait);
  return new Date(lastAttempt.getTime() + wait);
}

/** Go's time.Kitchen layout ("3:04PM"), in UTC: how Argo CD's message names the next attempt. */
export function kitchenTime(time: Date): string {
  const hours = time.getUTCHours();
  return `${hours % 12 || 12}:${String(time.getUTCMinutes()).padStart(2, '0')}${hours < 12 ? 'AM' : 'PM'}`;
}
