import type { FuncMap } from '../func-map.js';
import { spend } from '../render-budget.js';
import { isMap, kindOf, typeName, type GoValue } from '../value.js';
import { asString, isSemver, strslice, strval, toFloat64, toInt64 } from './arguments.js';

/** reflect.Kind names, as sprig's kindOf prints them. */
export function goKind(v: GoValue): string {
  if (isSemver(v)) return 'ptr';
  const kind = kindOf(v);
  return kind === 'nil' ? 'invalid' : kind === 'time' ? 'struct' : kind;
}

/** reflect.DeepEqual on template values. */
export function deepEqual(a: GoValue, b: GoValue): boolean {
  spend(1);
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return a === b;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/**
 * strconv.ParseInt(text, base, 64) for base 8 or 10 (no prefix, no `_`), 0 on a syntax error. Out
 * of range, ParseInt's value is the nearest int64 (`clamp`, what strconv.Atoi returns with its
 * error); callers that check the error get 0.
 */
function parseInt64InBase(text: string, base: 8 | 10, outOfRange: 'clamp' | 'zero'): bigint {
  const digits = (base === 8 ? /^([+-]?)0*([0-7]*)$/ : /^([+-]?)0*([0-9]*)$/).exec(text);
  if (!digits || text.replace(/^[+-]/, '') === '') return 0n;
  const negative = digits[1] === '-';
  // Past 22 significant digits nothing fits 64 bits in either base; BigInt is not asked to read them.
  const magnitude = digits[2].length > 22 ? 1n << 64n : digits[2] === '' ? 0n : BigInt(base === 8 ? `0o${digits[2]}` : digits[2]);
  const value = negative ? -magnitude : magnitude;
  if (value >= INT64_MIN && value <= INT64_MAX) return value;
  return outOfRange === 'zero' ? 0n : negative ? INT64_MIN : INT64_MAX;
}

/** Sprig's type conversion and reflection functions. */
export const conversionAndReflectionFunctions: FuncMap = {
  toString: (v: GoValue) => strval(v),
  toStrings: (v: GoValue) => strslice(v),
  // strconv.Atoi with its error dropped: base 10, an optional sign, leading zeros allowed.
  atoi: (s: GoValue) => parseInt64InBase(asString(s), 10, 'clamp'),
  int: (v: GoValue) => toInt64(v),
  int64: (v: GoValue) => toInt64(v),
  float64: (v: GoValue) => toFloat64(v),
  // strconv.ParseInt(fmt.Sprint(v), 8, 64): octal digits with an optional sign; 0 on any error.
  toDecimal: (v: GoValue) => parseInt64InBase(strval(v), 8, 'zero'),
  typeOf: (v: GoValue) => (v === undefined || v === null ? '<nil>' : isSemver(v) ? '*semver.Version' : typeName(v)),
  typeIs: (target: GoValue, v: GoValue) => asString(target) === (v === undefined || v === null ? '<nil>' : typeName(v)),
  typeIsLike: (target: GoValue, v: GoValue) => {
    const name = v === undefined || v === null ? '<nil>' : typeName(v);
    return asString(target) === name || asString(target) === `*${name}`;
  },
  kindOf: (v: GoValue) => goKind(v),
  kindIs: (target: GoValue, v: GoValue) => asString(target) === goKind(v),
  deepEqual: (a: GoValue, b: GoValue) => deepEqual(a, b),
};
