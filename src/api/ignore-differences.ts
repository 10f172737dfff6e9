import type { ApplicationSetResourceIgnoreDifferences } from './application-set.js';
import { childOf, isPlainObject, setEntry } from '../lib/json-values.js';

export class IgnoreDifferencesError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

type PathSegment = string | number | '*';

/** RFC 6901 JSON pointer → path segments. */
function parsePointer(pointer: string, field: string): PathSegment[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new IgnoreDifferencesError(`invalid JSON pointer ${JSON.stringify(pointer)}: must start with "/"`, field);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/**
 * The jq path expressions ignoreDifferences uses in practice: `.a.b`, `.a["b.c"]`, `.list[0]` and
 * `.list[]`. Anything else (select, pipes, functions) is reported as unsupported.
 */
function parseJqPath(expression: string, field: string): PathSegment[] {
  const segments: PathSegment[] = [];
  const pattern = /\.([A-Za-z_][A-Za-z0-9_-]*)|\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]|\[\]|\.(?=\[)/y;
  const text = expression.trim();
  let index = 0;
  if (!text.startsWith('.')) throw new IgnoreDifferencesError(`unsupported jq path expression ${JSON.stringify(expression)}: must start with "."`, field);
  while (index < text.length) {
    pattern.lastIndex = index;
    const match = pattern.exec(text);
    if (!match) {
      throw new IgnoreDifferencesError(
        `unsupported jq path expression ${JSON.stringify(expression)} at ${JSON.stringify(text.slice(index))}: Regatta supports field paths such as .spec.source.targetRevision, .a["b"], .list[0] and .list[]`,
        field,
      );
    }
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(JSON.parse(`"${match[2]}"`));
    else if (match[3] !== undefined) segments.push(Number(match[3]));
    else if (match[0] === '[]') segments.push('*');
    index = pattern.lastIndex;
  }
  return segments;
}

/** Every concrete path in `value` that `segments` (with `*` for any list index) reaches. */
function expand(value: unknown, segments: PathSegment[], prefix: (string | number)[] = []): (string | number)[][] {
  if (segments.length === 0) return [prefix];
  const [head, ...rest] = segments;
  if (head === '*') {
    if (!Array.isArray(value)) return [];
    return value.flatMap((item, i) => expand(item, rest, [...prefix, i]));
  }
  // Own entries only: a path through `__proto__` or `constructor` (a tenant writes the rules) reaches nothing inherited.
  const child = Array.isArray(value) || isPlainObject(value) ? childOf(value, head) : undefined;
  if (rest.length === 0) return [[...prefix, head]];
  return child === undefined ? [] : expand(child, rest, [...prefix, head]);
}

function read(value: unknown, path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = childOf(current, key);
  }
  return current;
}

function write(target: unknown, path: (string | number)[], value: unknown): void {
  let current = target as object;
  for (const key of path.slice(0, -1)) {
    const next = childOf(current, key);
    if (next === null || typeof next !== 'object') {
      if (value === undefined) return;
      const created = {};
      setEntry(current, String(key), created);
      current = created;
    } else current = next;
  }
  const last = path[path.length - 1];
  if (value === undefined) {
    if (Array.isArray(current) && typeof last === 'number') return;
    delete (current as Record<string | number, unknown>)[last];
  } else setEntry(current, String(last), structuredClone(value));
}

/**
 * ignoreApplicationDifferences: for the paths a rule names (all Applications, or the one named),
 * the desired Application takes the live value, so neither a comparison nor a write touches them.
 */
export function applyIgnoreDifferences(
  desired: Record<string, unknown>,
  live: Record<string, unknown> | undefined,
  rules: ApplicationSetResourceIgnoreDifferences[] | undefined,
  applicationName: string,
): void {
  if (!live) return;
  (rules ?? []).forEach((rule, i) => {
    if (rule.name && rule.name !== applicationName) return;
    keepLiveValues(desired, live, rule, `spec.ignoreApplicationDifferences[${i}]`);
  });
}

/**
 * For every path the JSON pointers and jq path expressions reach (in either object), `desired`
 * takes the live value (or loses the field when live has none). `field` names the rule in errors.
 */
export function keepLiveValues(
  desired: Record<string, unknown>,
  live: Record<string, unknown>,
  paths: { jsonPointers?: string[]; jqPathExpressions?: string[] },
  field: string,
): void {
  const parsed = [
    ...(paths.jsonPointers ?? []).map((p, j) => parsePointer(p, `${field}.jsonPointers[${j}]`)),
    ...(paths.jqPathExpressions ?? []).map((p, j) => parseJqPath(p, `${field}.jqPathExpressions[${j}]`)),
  ];
  for (const segments of parsed) {
    const concrete = new Map<string, (string | number)[]>();
    for (const path of [...expand(live, segments), ...expand(desired, segments)]) concrete.set(JSON.stringify(path), path);
    for (const path of concrete.values()) {
      if (path.length === 0) continue;
      write(desired, path, read(live, path));
    }
  }
}

/** Checks ignore rules without applying them, so a bad rule is reported before anything is written. */
export function validateIgnoreDifferences(rules: ApplicationSetResourceIgnoreDifferences[] | undefined): void {
  applyIgnoreDifferences({}, {}, rules, '');
}
