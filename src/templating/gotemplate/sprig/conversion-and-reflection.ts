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

/** Sprig's type conversion and reflection functions. */
export const conversionAndReflectionFunctions: FuncMap = {
  toString: (v: GoValue) => strval(v),
  toStrings: (v: GoValue) => strslice(v),
  atoi: (s: GoValue) => {
    const text = asString(s);
    if (text.length > 20 || !/^[+-]?\d+$/.test(text)) return 0n;
    const value = BigInt(text);
    return BigInt.asIntN(64, value) === value ? value : 0n;
  },
  int: (v: GoValue) => toInt64(v),
  int64: (v: GoValue) => toInt64(v),
  float64: (v: GoValue) => toFloat64(v),
  toDecimal: (v: GoValue) => {
    const text = strval(v);
    if (text.length > 22 || !/^[0-7]+$/.test(text)) return 0n;
    const value = BigInt(`0o${text}`);
    return BigInt.asIntN(64, value) === value ? value : 0n;
  },
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
