import type { FuncMap } from '../func-map.js';
import { semverString } from '../semver.js';
import { allocateFor, GoComplex, isMap, isNilSlice, typeName, type GoValue } from '../value.js';
import { asString, isSemver, variadic } from './arguments.js';

/** sprig's empty. */
export function empty(value: GoValue): boolean {
  if (value === undefined || value === null) return true;
  switch (typeof value) {
    case 'string':
      return value.length === 0;
    case 'boolean':
      return !value;
    case 'number':
      return value === 0;
    case 'bigint':
      return value === 0n;
  }
  if (Array.isArray(value)) return value.length === 0;
  if (isMap(value)) return Object.keys(value).length === 0;
  return false;
}

class UnsupportedJsonType extends Error {}

/** Sprig's toJson family drops json.Marshal's error and prints nothing; the must forms return it. */
function jsonOrEmpty(encode: () => string): string {
  try {
    return encode();
  } catch (error) {
    if (error instanceof UnsupportedJsonType) return '';
    throw error;
  }
}

/** Go's encoding/json output: HTML-significant characters escaped, floats as Go formats them. */
export function goJson(value: GoValue, indent = '', escapeHtml = true): string {
  allocateFor(value);
  const convert = (v: GoValue): unknown => {
    if (typeof v === 'bigint') return { __goNumber: v.toString() };
    if (typeof v === 'number') {
      // json.Marshal's UnsupportedValueError names the value as strconv.FormatFloat(f, 'g', -1, 64) prints it.
      if (!Number.isFinite(v)) throw new UnsupportedJsonType(`json: unsupported value: ${Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf'}`);
      return { __goNumber: goJsonFloat(v) };
    }
    if (v === undefined || isNilSlice(v)) return null;
    if (v instanceof GoComplex) throw new UnsupportedJsonType('json: unsupported type: complex128');
    if (Array.isArray(v)) return v.map(convert);
    if (isSemver(v)) return semverString(v);
    if (isMap(v))
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, convert(v[k])]),
      );
    return v;
  };
  let text = JSON.stringify(convert(value), null, indent || undefined).replace(/\{\s*"__goNumber":\s*"([^"]+)"\s*\}/g, '$1');
  if (escapeHtml) text = text.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
  return text.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function goJsonFloat(value: number): string {
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) {
    const [mantissa, exp] = value.toExponential().split('e');
    const n = Number(exp);
    return `${mantissa}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return String(value);
}

function parseJson(text: string): GoValue {
  return JSON.parse(text) as GoValue;
}

/** Sprig's defaults (its JSON functions among them, as its documentation has them) and its flow control, fail. */
export const defaultFunctions: FuncMap = {
  default: variadic((fallback: GoValue, ...given: GoValue[]) => (given.length === 0 || empty(given[0]) ? fallback : given[0]), 1),
  empty: (v: GoValue) => empty(v),
  coalesce: variadic((...values: GoValue[]) => values.find((v) => !empty(v)) ?? null),
  all: variadic((...values: GoValue[]) => values.every((v) => !empty(v))),
  any: variadic((...values: GoValue[]) => values.some((v) => !empty(v))),
  ternary: (whenTrue: GoValue, whenFalse: GoValue, condition: GoValue) => {
    if (typeof condition !== 'boolean') throw new Error(`wrong type for value; expected bool; got ${typeName(condition)}`);
    return condition ? whenTrue : whenFalse;
  },
  fail: (message: GoValue) => {
    throw new Error(asString(message));
  },
  fromJson: (s: GoValue) => {
    try {
      return parseJson(asString(s));
    } catch {
      return null;
    }
  },
  mustFromJson: (s: GoValue) => parseJson(asString(s)),
  toJson: (v: GoValue) => jsonOrEmpty(() => goJson(v)),
  toPrettyJson: (v: GoValue) => jsonOrEmpty(() => goJson(v, '  ')),
  toRawJson: (v: GoValue) => jsonOrEmpty(() => goJson(v, '', false)),
  mustToJson: (v: GoValue) => goJson(v),
  mustToPrettyJson: (v: GoValue) => goJson(v, '  '),
  mustToRawJson: (v: GoValue) => goJson(v, '', false),
};
