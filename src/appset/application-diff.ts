import { createHash } from 'node:crypto';
import type { ApplicationSetResourceIgnoreDifferences } from '../api/application-set.js';
import { isPlainObject } from '../templating/flatten.js';

/** JSON with sorted keys, so equal objects hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isPlainObject(value)) {
    return `{${Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 20);
}

/** Equal as `canonicalJson` sees them (undefined keys absent, undefined as null), without building the strings. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || a === null || b === undefined || b === null) return (a ?? null) === (b ?? null);
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const keys = Object.keys(a).filter((k) => a[k] !== undefined);
    return keys.length === Object.keys(b).filter((k) => b[k] !== undefined).length && keys.every((k) => b[k] !== undefined && deepEqual(a[k], b[k]));
  }
  return !isPlainObject(b) && !Array.isArray(b) && JSON.stringify(a) === JSON.stringify(b);
}

/** Every key of `subset` is in `whole` with an equal value. */
export function isSubset(subset: Record<string, string> | undefined, whole: Record<string, string> | undefined): boolean {
  return Object.entries(subset ?? {}).every(([k, v]) => whole?.[k] === v);
}

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
  const child = Array.isArray(value) || isPlainObject(value) ? (value as Record<string | number, unknown>)[head] : undefined;
  if (rest.length === 0) return [[...prefix, head]];
  return child === undefined ? [] : expand(child, rest, [...prefix, head]);
}

function read(value: unknown, path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

function write(target: unknown, path: (string | number)[], value: unknown): void {
  let current = target as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    if (current[key] === null || typeof current[key] !== 'object') {
      if (value === undefined) return;
      current[key] = {};
    }
    current = current[key] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1];
  if (value === undefined) {
    if (Array.isArray(current) && typeof last === 'number') return;
    delete current[last];
  } else current[last] = structuredClone(value);
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
    const field = `spec.ignoreApplicationDifferences[${i}]`;
    const paths = [
      ...(rule.jsonPointers ?? []).map((p, j) => parsePointer(p, `${field}.jsonPointers[${j}]`)),
      ...(rule.jqPathExpressions ?? []).map((p, j) => parseJqPath(p, `${field}.jqPathExpressions[${j}]`)),
    ];
    for (const segments of paths) {
      const concrete = new Map<string, (string | number)[]>();
      for (const path of [...expand(live, segments), ...expand(desired, segments)]) concrete.set(JSON.stringify(path), path);
      for (const path of concrete.values()) {
        if (path.length === 0) continue;
        write(desired, path, read(live, path));
      }
    }
  });
}

/** Checks ignore rules without applying them, so a bad rule is reported before anything is written. */
export function validateIgnoreDifferences(rules: ApplicationSetResourceIgnoreDifferences[] | undefined): void {
  applyIgnoreDifferences({}, {}, rules, '');
}

/**
 * A JSON merge patch that removes what `live` has under `desired`'s objects and `desired` lacks:
 * fields other writers added, which a server-side apply alone would keep.
 */
export function removalPatch(desired: unknown, live: unknown): Record<string, unknown> | undefined {
  if (!isPlainObject(desired) || !isPlainObject(live)) return undefined;
  let patch: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(live)) {
    const inner = key in desired ? removalPatch(desired[key], value) : null;
    if (inner === undefined) continue;
    patch ??= {};
    patch[key] = inner;
  }
  return patch;
}

/** A JSON merge patch that turns `previous` into exactly `next`: keys `next` lacks are set to null. */
export function replacementPatch(next: unknown, previous: unknown): unknown {
  if (!isPlainObject(next) || !isPlainObject(previous)) return next;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(previous)) if (!(key in next) || next[key] === undefined) patch[key] = null;
  for (const [key, value] of Object.entries(next)) if (value !== undefined) patch[key] = replacementPatch(value, previous[key]);
  return patch;
}
