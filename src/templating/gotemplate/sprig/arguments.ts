import { arity } from '../builtins.js';
import { allocate, listBytes } from '../render-budget.js';
import { parseGoFloatString, parseGoInt64 } from '../number-literal.js';
import { isSemver, semverString } from '../semver.js';
import { formatValue, isMap, typeName, type GoValue } from '../value.js';

/**
 * How sprig's functions read their arguments: Go's type checks with their error texts, and the
 * lenient conversions (spf13/cast) where sprig takes anything.
 */

export const variadic = <F extends (...args: any[]) => unknown>(fn: F, minArgs = 0) => arity(fn, minArgs, Infinity);

/** sprig's strval: strings as they are, nil as "", everything else as %v. */
export function strval(value: GoValue): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (isSemver(value)) return semverString(value);
  return formatValue(value);
}

/** Sprig's strslice (toStrings, join, sortAlpha): nil entries are dropped, a lone nil is no strings. */
export function strslice(value: GoValue): string[] {
  if (Array.isArray(value)) return listOf(value.length, () => value.filter((v) => v !== null && v !== undefined).map(strval));
  return value === null || value === undefined ? [] : [strval(value)];
}

/** cast.ToInt64E as sprig uses it: text goes through strconv.ParseInt(trimZeroDecimal(text), 0, 0); bad input becomes 0. */
export function toInt64(value: GoValue): bigint {
  switch (typeof value) {
    case 'bigint':
      return BigInt.asIntN(64, value);
    case 'number':
      return Number.isFinite(value) ? BigInt(Math.trunc(value)) : 0n;
    case 'boolean':
      return value ? 1n : 0n;
    case 'string':
      return parseGoInt64(withoutZeroDecimals(value)) ?? 0n;
    default:
      return 0n;
  }
}

/**
 * cast's trimZeroDecimal, so "10.0" casts to 10: read from the end over zeros and dots, the text
 * is cut at the first dot that has a zero after it; any other character leaves the text whole.
 */
function withoutZeroDecimals(text: string): string {
  let sawZero = false;
  for (let i = text.length - 1; i >= 0; i--) {
    if (text[i] === '0') sawZero = true;
    else if (text[i] !== '.') return text;
    else if (sawZero) return text.slice(0, i);
  }
  return text;
}

/** cast.ToFloat64E as sprig's float functions use it: text goes through strconv.ParseFloat, bad input becomes 0. */
export function toFloat64(value: GoValue): number {
  switch (typeof value) {
    case 'number':
      return value;
    case 'bigint':
      return Number(value);
    case 'boolean':
      return value ? 1 : 0;
    case 'string':
      return parseGoFloatString(value) ?? 0;
    default:
      return 0;
  }
}

export { isSemver };

/** What sprig's reflect.TypeOf(list).Kind() panics with when the list is an untyped nil. */
export const NIL_LIST_PANIC = 'runtime error: invalid memory address or nil pointer dereference';

export function asList(value: GoValue, fn: string): unknown[] {
  if (Array.isArray(value)) return value;
  if (value === null || value === undefined) throw new Error(NIL_LIST_PANIC);
  throw new Error(`Cannot ${fn} on type ${typeName(value)}`);
}

export function asString(value: GoValue, what = 'value'): string {
  if (typeof value === 'string') return value;
  throw new Error(`wrong type for ${what}; expected string; got ${typeName(value)}`);
}

export function asInt(value: GoValue, what = 'value'): number {
  if (typeof value === 'bigint') return Number(value);
  throw new Error(`wrong type for ${what}; expected int; got ${typeName(value)}`);
}

export function asDict(value: GoValue): Record<string, unknown> {
  if (isMap(value) && !isSemver(value)) return value;
  throw new Error(`wrong type for value; expected map[string]interface {}; got ${typeName(value)}`);
}

/** A list of `length` elements is about to be built. */
export function listOf<T>(length: number, build: () => T[]): T[] {
  allocate(listBytes(length));
  return build();
}
