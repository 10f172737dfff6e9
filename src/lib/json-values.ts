import { createHash } from 'node:crypto';

/** A JSON object as parsed from YAML or JSON: not an array, a Buffer or a Date. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value) && !(value instanceof Date);
}

/**
 * A map's own entry, never one it inherits. Keys come from what tenants write (Git files, templates,
 * patches, Helm values): `__proto__` or `constructor` there is a key like any other, as in Go's maps,
 * and reading it through the prototype would hand the shared Object.prototype to whatever writes next.
 */
export function ownEntry(map: object, key: string): unknown {
  return Object.hasOwn(map, key) ? (map as Record<string, unknown>)[key] : undefined;
}

/** A list's item by its index or a map's own entry, as a path into a document steps: undefined for anything else. */
export function childOf(value: unknown, key: string | number): unknown {
  if (Array.isArray(value)) return value[Number(key)];
  return typeof value === 'object' && value !== null ? ownEntry(value, String(key)) : undefined;
}

/** Sets a map's own entry: assigning `__proto__` would replace the map's prototype instead of adding the key. */
export function setEntry(map: object, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  else (map as Record<string, unknown>)[key] = value;
}

/** Whether an object has an own enumerable key, as `Object.keys(value).length > 0` without building the list: asked of every parameter set. */
export function hasKeys(value: object): boolean {
  for (const key in value) if (Object.hasOwn(value, key)) return true;
  return false;
}

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

/**
 * Equal as `canonicalJson` sees them (undefined keys absent, undefined as null), without building
 * the strings, nor any list of keys: reconciles compare thousands of Applications and status
 * entries, and the garbage of those lists was a tenth of the replica's allocations.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || a === null || b === undefined || b === null) return (a ?? null) === (b ?? null);
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    let keysOfA = 0;
    for (const key in a) {
      if (!Object.hasOwn(a, key) || a[key] === undefined) continue;
      const other = Object.hasOwn(b, key) ? b[key] : undefined;
      if (other === undefined || !deepEqual(a[key], other)) return false;
      keysOfA++;
    }
    // Every defined key of a is in b: b is equal when it has no more.
    for (const key in b) if (Object.hasOwn(b, key) && b[key] !== undefined && --keysOfA < 0) return false;
    return true;
  }
  return !isPlainObject(b) && !Array.isArray(b) && JSON.stringify(a) === JSON.stringify(b);
}

/** mergo.Merge with override: maps merge key by key, anything else is replaced by the source. */
export function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  // for…in with an own-key check visits what Object.keys lists, in its order, without building the list (a matrix merges every parameter set).
  for (const key in source) {
    if (!Object.hasOwn(source, key)) continue;
    const value = source[key];
    const current = ownEntry(target, key);
    if (isPlainObject(current) && isPlainObject(value)) deepMerge(current, value);
    else setEntry(target, key, isPrimitive(value) ? value : structuredClone(value));
  }
  return target;
}

/** Copying these gives the same value: structuredClone of one costs a serialization for nothing. */
function isPrimitive(value: unknown): boolean {
  return value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol');
}
