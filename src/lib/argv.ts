/** A command line the parser cannot read: an unknown flag, a flag without its value. */
export class UsageError extends Error {}

export interface FlagSpec {
  /** Long name without dashes; `short` is the one-letter alias. */
  name: string;
  short?: string;
  kind: 'string' | 'strings' | 'boolean';
}

export type ParsedFlags = Record<string, string | string[] | boolean | undefined>;

/** Parses `--flag value`, `--flag=value`, `-f value` and boolean `--flag`; unknown flags are usage errors. */
export function parseFlags(args: string[], specs: FlagSpec[]): { flags: ParsedFlags; positional: string[] } {
  const flags: ParsedFlags = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const [rawName, inlineValue] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const name = rawName.replace(/^--?/, '');
    const spec = specs.find((s) => (rawName.startsWith('--') ? s.name === name : s.short === name));
    if (!spec) throw new UsageError(`unknown flag: ${rawName}`);
    if (spec.kind === 'boolean') {
      flags[spec.name] = inlineValue === undefined ? true : inlineValue !== 'false';
      continue;
    }
    const value = inlineValue ?? args[++i];
    if (value === undefined) throw new UsageError(`flag ${rawName} needs a value`);
    if (spec.kind === 'strings') flags[spec.name] = [...((flags[spec.name] as string[] | undefined) ?? []), value];
    else flags[spec.name] = value;
  }
  return { flags, positional };
}
