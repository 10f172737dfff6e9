import type { FuncMap } from '../func-map.js';
import { allocate, listBytes } from '../render-budget.js';
import { allocateFor, isMap, nilSlice, type GoValue } from '../value.js';
import { asDict, asInt, asList, asString, listOf, NIL_LIST_PANIC, strval, toInt64, variadic } from './arguments.js';
import { deepEqual, goKind } from './conversion-and-reflection.js';
import { empty } from './defaults.js';
import { ownEntry, setEntry } from '../../../lib/json-values.js';

function deepCopy(value: GoValue): GoValue {
  allocateFor(value);
  const copy = (v: GoValue): GoValue => {
    if (Array.isArray(v)) return v.map(copy);
    if (isMap(v)) return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, copy(item)]));
    return v;
  };
  return copy(value);
}

/**
 * mergo.Merge into dst, maps merging deeply. Without overwrite, keys dst lacks (or holds empty) come
 * from src; with it (mergo v1's WithOverride on map[string]interface{}), every src value replaces
 * dst's, even "", 0, false, nil and empty lists.
 */
function mergeInto(dst: Record<string, unknown>, src: Record<string, unknown>, overwrite: boolean): void {
  for (const [key, value] of Object.entries(src)) {
    const current = ownEntry(dst, key) as GoValue;
    if (isMap(current) && isMap(value)) mergeInto(current, value, overwrite);
    else if (overwrite ? value !== undefined : empty(current)) setEntry(dst, key, deepCopy(value));
  }
}

function uniqueList(list: unknown[]): unknown[] {
  allocate(listBytes(list.length));
  const out: unknown[] = [];
  for (const item of list) if (!out.some((o) => deepEqual(o, item))) out.push(item);
  return out;
}

/** Sprig's list functions. */
export const listFunctions: FuncMap = {
  list: variadic((...items: GoValue[]) => listOf(items.length, () => items)),
  tuple: variadic((...items: GoValue[]) => listOf(items.length, () => items)),
  append: (list: GoValue, v: GoValue) => listOf(asList(list, 'append').length + 1, () => [...(list as unknown[]), v]),
  push: (list: GoValue, v: GoValue) => listOf(asList(list, 'push').length + 1, () => [...(list as unknown[]), v]),
  prepend: (list: GoValue, v: GoValue) => listOf(asList(list, 'prepend').length + 1, () => [v, ...(list as unknown[])]),
  first: (list: GoValue) => (asList(list, 'find first').length ? (list as unknown[])[0] : null),
  last: (list: GoValue) => (asList(list, 'find last').length ? (list as unknown[]).at(-1) : null),
  // mustRest and mustInitial return a nil []interface{} for an empty list: printed [], JSON null.
  rest: (list: GoValue) => (asList(list, 'find rest').length ? listOf((list as unknown[]).length, () => (list as unknown[]).slice(1)) : nilSlice()),
  initial: (list: GoValue) => (asList(list, 'find initial').length ? listOf((list as unknown[]).length, () => (list as unknown[]).slice(0, -1)) : nilSlice()),
  reverse: (list: GoValue) => listOf(asList(list, 'find reverse').length, () => [...(list as unknown[])].reverse()),
  uniq: (list: GoValue) => uniqueList(asList(list, 'find uniq')),
  without: variadic(
    (list: GoValue, ...omit: GoValue[]) =>
      listOf(asList(list, 'find without').length, () => (list as unknown[]).filter((v) => !omit.some((o) => deepEqual(o, v)))),
    1,
  ),
  has: (needle: GoValue, list: GoValue) => (list === null || list === undefined ? false : asList(list, 'find has').some((v) => deepEqual(v, needle))),
  // Argo CD's slice is sprig's (the FuncMap replaces text/template's): reflect.Value.Slice bounds, nil for an empty list.
  slice: variadic((list: GoValue, ...indexes: GoValue[]) => {
    if (list === null || list === undefined) throw new Error(NIL_LIST_PANIC);
    if (!Array.isArray(list)) throw new Error(`list should be type of slice or array but ${goKind(list)}`);
    const items = list;
    if (items.length === 0) return null;
    const start = indexes.length > 0 ? toInt64(indexes[0]) : 0n;
    const end = indexes.length > 1 ? toInt64(indexes[1]) : BigInt(items.length);
    if (start < 0n || end < start || end > BigInt(items.length)) throw new Error('reflect.Value.Slice: slice index out of bounds');
    return listOf(items.length, () => items.slice(Number(start), Number(end)));
  }, 1),
  concat: variadic((...lists: GoValue[]) =>
    listOf(
      lists.reduce<number>((sum, l) => sum + asList(l, 'concat').length, 0),
      () => lists.flat() as unknown[],
    ),
  ),
  chunk: (size: GoValue, list: GoValue) => {
    const n = asInt(size);
    const items = asList(list, 'chunk');
    // Go divides by the size and panics on the slice it makes.
    if (n < 1) throw new Error(`runtime error: makeslice: len out of range`);
    allocate(listBytes(items.length + Math.ceil(items.length / n)));
    const out: unknown[][] = [];
    for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
    return out;
  },
  compact: (list: GoValue) => listOf(asList(list, 'compact').length, () => (list as unknown[]).filter((v) => !empty(v))),
};

/** Sprig's dictionary functions. */
export const dictFunctions: FuncMap = {
  dict: variadic((...pairs: GoValue[]) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < pairs.length; i += 2) setEntry(out, strval(pairs[i]), i + 1 < pairs.length ? pairs[i + 1] : '');
    return out;
  }),
  get: (dict: GoValue, key: GoValue) => {
    const d = asDict(dict);
    return Object.hasOwn(d, asString(key)) ? d[asString(key)] : '';
  },
  set: (dict: GoValue, key: GoValue, value: GoValue) => {
    const d = asDict(dict);
    setEntry(d, asString(key), value);
    return d;
  },
  unset: (dict: GoValue, key: GoValue) => {
    const d = asDict(dict);
    delete d[asString(key)];
    return d;
  },
  hasKey: (dict: GoValue, key: GoValue) => Object.hasOwn(asDict(dict), asString(key)),
  pluck: variadic(
    (key: GoValue, ...dicts: GoValue[]) =>
      dicts
        .map(asDict)
        .filter((d) => Object.hasOwn(d, asString(key)))
        .map((d) => d[asString(key)]),
    1,
  ),
  keys: variadic(
    (...dicts: GoValue[]) =>
      listOf(
        dicts.reduce<number>((sum, d) => sum + Object.keys(asDict(d)).length, 0),
        () => dicts.flatMap((d) => Object.keys(asDict(d))).sort(),
      ),
    1,
  ),
  values: (dict: GoValue) => listOf(Object.keys(asDict(dict)).length, () => Object.values(asDict(dict))),
  pick: variadic((dict: GoValue, ...names: GoValue[]) => {
    const d = asDict(dict);
    return Object.fromEntries(
      names
        .map(strval)
        .filter((k) => Object.hasOwn(d, k))
        .map((k) => [k, d[k]]),
    );
  }, 1),
  omit: variadic((dict: GoValue, ...names: GoValue[]) => {
    const d = asDict(dict);
    const drop = new Set(names.map(strval));
    return Object.fromEntries(Object.entries(d).filter(([k]) => !drop.has(k)));
  }, 1),
  dig: variadic((...args: GoValue[]) => {
    if (args.length < 3) throw new Error('dig needs at least three arguments');
    const dict = asDict(args.at(-1));
    const fallback = args.at(-2);
    let current: GoValue = dict;
    for (const key of args.slice(0, -2).map((k) => asString(k))) {
      if (!isMap(current) || !Object.hasOwn(current, key)) return fallback;
      current = current[key];
    }
    return current;
  }, 3),
  merge: variadic((dst: GoValue, ...srcs: GoValue[]) => {
    const d = asDict(dst);
    for (const src of srcs) mergeInto(d, asDict(src), false);
    return d;
  }, 1),
  mergeOverwrite: variadic((dst: GoValue, ...srcs: GoValue[]) => {
    const d = asDict(dst);
    for (const src of srcs) mergeInto(d, asDict(src), true);
    return d;
  }, 1),
  deepCopy: (v: GoValue) => deepCopy(v),
};
