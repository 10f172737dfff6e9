/**
 * Server-side apply's field ownership, simplified to what controllers rely on: each manager owns
 * the leaf fields it applied; maps are walked, and so are lists the kind's schema marks
 * `x-kubernetes-list-type: map` (item by item, on their `x-kubernetes-list-map-keys`) or `set`
 * (value by value); other lists, and maps marked `x-kubernetes-map-type: atomic`, are owned whole.
 * A manager applying a value another manager owns is a conflict unless forced; fields a manager
 * stops applying are removed when no other manager owns them.
 */
import { ownEntry, setEntry } from '../lib/json-values.js';
import { childSchema, type OpenApiSchema } from './openapi-schemas.js';

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A path element naming a list item as fieldsV1 does: `k:{"name":"web"}` by its keys, `v:"a"` by its value. */
const isItemElement = (element: string) => element.startsWith('k:{') || element.startsWith('v:');

function listKeys(schema: OpenApiSchema | undefined): string[] | undefined {
  if (schema?.['x-kubernetes-list-type'] !== 'map') return undefined;
  const keys = schema['x-kubernetes-list-map-keys'];
  return Array.isArray(keys) && keys.length ? (keys as string[]) : undefined;
}

function itemElement(schema: OpenApiSchema | undefined, item: unknown): string | undefined {
  const keys = listKeys(schema);
  if (keys && isObject(item) && keys.every((k) => item[k] !== undefined)) {
    return `k:${JSON.stringify(Object.fromEntries([...keys].sort().map((k) => [k, item[k]])))}`;
  }
  if (schema?.['x-kubernetes-list-type'] === 'set' && !isObject(item) && !Array.isArray(item)) return `v:${JSON.stringify(item)}`;
  return undefined;
}

/** Whether an array is walked item by item: every item must be addressable, or the list stays atomic. */
function granular(schema: OpenApiSchema | undefined, list: unknown[]): boolean {
  return list.length > 0 && list.every((item) => itemElement(schema, item) !== undefined);
}

function findItem(list: unknown[], element: string): number {
  if (element.startsWith('v:')) return list.findIndex((item) => `v:${JSON.stringify(item)}` === element);
  const keys = JSON.parse(element.slice(2)) as Obj;
  return list.findIndex((item) => isObject(item) && Object.entries(keys).every(([k, v]) => JSON.stringify(item[k]) === JSON.stringify(v)));
}

/** Leaf paths of an object, e.g. `spec.source.repoURL`, `metadata.labels.team`, `spec.containers.k:{"name":"web"}.image`. */
export function leafPaths(value: unknown, prefix: string[] = [], schema?: OpenApiSchema): string[][] {
  if (isObject(value) && Object.keys(value).length > 0 && schema?.['x-kubernetes-map-type'] !== 'atomic') {
    return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...prefix, k], childSchema(schema, k)));
  }
  if (Array.isArray(value) && granular(schema, value)) {
    const keys = new Set(listKeys(schema) ?? []);
    return value.flatMap((item) => {
      const path = [...prefix, itemElement(schema, item)!];
      // An item's keys identify it rather than being fields of it: an item holding nothing else is owned whole.
      const fields = isObject(item) ? Object.fromEntries(Object.entries(item).filter(([k]) => !keys.has(k))) : {};
      const inner = leafPaths(fields, path, schema!.items);
      return inner.length ? inner : [path];
    });
  }
  return prefix.length ? [prefix] : [];
}

export function read(value: unknown, path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (Array.isArray(current) && isItemElement(key)) {
      const index = findItem(current, key);
      if (index < 0) return undefined;
      current = key.startsWith('v:') ? JSON.parse(key.slice(2)) : current[index];
      continue;
    }
    if (!isObject(current)) return undefined;
    current = ownEntry(current, key);
  }
  return current;
}

function write(target: Obj, path: string[], value: unknown): void {
  let current: Obj | unknown[] = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i];
    const next = path[i + 1];
    if (Array.isArray(current)) {
      // An item of a keyed list: found by its keys, or added holding them.
      let index = findItem(current, key);
      if (index < 0) index = current.push(key.startsWith('k:') ? { ...(JSON.parse(key.slice(2)) as Obj) } : {}) - 1;
      current = current[index] as Obj;
      continue;
    }
    const wantList = isItemElement(next);
    const existing = ownEntry(current, key);
    if (wantList ? Array.isArray(existing) : isObject(existing)) current = existing as Obj | unknown[];
    else {
      const created = wantList ? [] : {};
      setEntry(current, key, created);
      current = created;
    }
  }
  const last = path[path.length - 1];
  if (Array.isArray(current)) {
    const index = findItem(current, last);
    const item = last.startsWith('v:') ? JSON.parse(last.slice(2)) : structuredClone(value);
    if (index < 0) current.push(item);
    else current[index] = item;
  } else setEntry(current, last, structuredClone(value));
}

function remove(target: Obj, path: string[]): void {
  const parents: (Obj | unknown[])[] = [target];
  let current: Obj | unknown[] = target;
  for (const key of path.slice(0, -1)) {
    const next: unknown = Array.isArray(current) ? current[findItem(current, key)] : ownEntry(current, key);
    if (!isObject(next) && !Array.isArray(next)) return;
    current = next;
    parents.push(current);
  }
  const drop = (container: Obj | unknown[], key: string) => {
    if (!Array.isArray(container)) delete container[key];
    else {
      const index = findItem(container, key);
      if (index >= 0) container.splice(index, 1);
    }
  };
  drop(current, path[path.length - 1]);
  // Maps and keyed lists emptied by the removal go too, as do items left holding only their keys.
  for (let i = parents.length - 1; i > 0; i--) {
    const node = parents[i];
    const element = path[i - 1];
    const onlyKeys = isObject(node) && element.startsWith('k:') && Object.keys(node).every((k) => k in (JSON.parse(element.slice(2)) as Obj));
    if ((Array.isArray(node) ? node.length : Object.keys(node).length) > 0 && !onlyKeys) break;
    drop(parents[i - 1], element);
  }
}

/** Paths not part of what a manager owns: identity and server-set metadata. */
const SERVER_FIELDS = new Set([
  'apiVersion',
  'kind',
  'metadata.name',
  'metadata.namespace',
  'metadata.managedFields',
  'metadata.resourceVersion',
  'metadata.uid',
  'metadata.generation',
  'metadata.creationTimestamp',
]);

export function ownablePaths(object: unknown, schema?: OpenApiSchema): string[][] {
  return leafPaths(object, [], schema).filter((p) => !SERVER_FIELDS.has(p.join('.')) && !(p[0] === 'metadata' && SERVER_FIELDS.has(`metadata.${p[1]}`)));
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Obj;
  subresource?: string;
}

/** fieldsV1 as Kubernetes encodes it: `f:` keys for map entries, `k:`/`v:` keys for list items. */
export function toFieldsV1(paths: string[][]): Obj {
  const root: Obj = {};
  for (const path of paths) {
    let current = root;
    for (const key of path) {
      const name = isItemElement(key) ? key : `f:${key}`;
      const existing = ownEntry(current, name);
      if (isObject(existing)) current = existing;
      else {
        const created: Obj = {};
        setEntry(current, name, created);
        current = created;
      }
    }
  }
  return root;
}

export function fromFieldsV1(fields: Obj, prefix: string[] = []): string[][] {
  const paths: string[][] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (!key.startsWith('f:') && !isItemElement(key)) continue;
    const path = [...prefix, key.startsWith('f:') ? key.slice(2) : key];
    const children = isObject(value) ? fromFieldsV1(value, path) : [];
    if (children.length) paths.push(...children);
    else paths.push(path);
  }
  return paths;
}

/** A path as the API server prints it: `.spec.containers[name="web"].image`, `.metadata.finalizers[="a"]`. */
function fieldPathText(path: string[]): string {
  return path
    .map((element) => {
      if (element.startsWith('v:')) return `[=${element.slice(2)}]`;
      if (!element.startsWith('k:')) return `.${element}`;
      const keys = JSON.parse(element.slice(2)) as Obj;
      return `[${Object.entries(keys)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    })
    .join('');
}

export class ApplyConflict extends Error {
  constructor(readonly conflicts: { manager: string; path: string }[]) {
    super(
      `Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}: ${conflicts.map((c) => `conflict with "${c.manager}": ${c.path}`).join('; ')}`,
    );
  }
}

/**
 * Applies `applied` as `manager` onto `live` (both full objects). Returns the new object and its
 * managedFields. Throws ApplyConflict when another manager owns a changed field and `force` is off.
 */
export function serverSideApply(
  live: Obj | undefined,
  applied: Obj,
  manager: string,
  force: boolean,
  apiVersion: string,
  now: string,
  schema?: OpenApiSchema,
): { object: Obj; managedFields: ManagedFieldsEntry[] } {
  const entries: ManagedFieldsEntry[] = structuredClone(((live?.metadata as Obj | undefined)?.managedFields as ManagedFieldsEntry[] | undefined) ?? []);
  const owned = new Map(
    entries.map((e) => [`${e.manager}/${e.operation}/${e.subresource ?? ''}`, new Set(fromFieldsV1(e.fieldsV1).map((p) => p.join('\u0000')))]),
  );
  const mineKey = `${manager}/Apply/`;
  const previouslyMine = owned.get(mineKey) ?? new Set<string>();
  const appliedPaths = ownablePaths(applied, schema);
  const appliedSet = new Set(appliedPaths.map((p) => p.join('\u0000')));

  const conflicts: { manager: string; path: string }[] = [];
  for (const path of appliedPaths) {
    const key = path.join('\u0000');
    const liveValue = read(live, path);
    const sameValue = JSON.stringify(liveValue) === JSON.stringify(read(applied, path));
    for (const [ownerKey, fields] of owned) {
      if (ownerKey === mineKey || !fields.has(key)) continue;
      if (sameValue) continue;
      if (force) fields.delete(key);
      else conflicts.push({ manager: ownerKey.split('/')[0], path: fieldPathText(path) });
    }
  }
  if (conflicts.length) throw new ApplyConflict(conflicts);

  const object: Obj = structuredClone(live ?? {});
  for (const path of appliedPaths) write(object, path, read(applied, path));
  // An atomic list is replaced whole (done by write); fields this manager applied before and no
  // longer applies go, unless someone else owns them too.
  for (const key of previouslyMine) {
    if (appliedSet.has(key)) continue;
    const stillOwned = [...owned.entries()].some(([ownerKey, fields]) => ownerKey !== mineKey && fields.has(key));
    if (!stillOwned) remove(object, key.split('\u0000'));
  }
  owned.set(mineKey, appliedSet);

  const managedFields: ManagedFieldsEntry[] = [];
  for (const [ownerKey, fields] of owned) {
    if (fields.size === 0) continue;
    const [owner, operation, subresource] = ownerKey.split('/');
    const previous = entries.find((e) => `${e.manager}/${e.operation}/${e.subresource ?? ''}` === ownerKey);
    managedFields.push({
      manager: owner,
      operation: operation as 'Apply' | 'Update',
      apiVersion,
      time: ownerKey === mineKey ? now : (previous?.time ?? now),
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1([...fields].map((f) => f.split('\u0000'))),
      ...(subresource ? { subresource } : {}),
    });
  }
  return { object, managedFields };
}

/** An Update (create, replace, patch) takes ownership of the fields it changed. */
export function recordUpdate(
  before: Obj | undefined,
  after: Obj,
  manager: string,
  apiVersion: string,
  now: string,
  subresource?: string,
  schema?: OpenApiSchema,
): ManagedFieldsEntry[] {
  const entries: ManagedFieldsEntry[] = structuredClone(((before?.metadata as Obj | undefined)?.managedFields as ManagedFieldsEntry[] | undefined) ?? []);
  const changed = ownablePaths(after, schema).filter((p) => JSON.stringify(read(before, p)) !== JSON.stringify(read(after, p)));
  if (changed.length === 0) return entries;
  const changedKeys = new Set(changed.map((p) => p.join('\u0000')));
  const result: ManagedFieldsEntry[] = [];
  let mine: ManagedFieldsEntry | undefined;
  for (const entry of entries) {
    const remaining = fromFieldsV1(entry.fieldsV1).filter((p) => !changedKeys.has(p.join('\u0000')));
    if (entry.manager === manager && entry.operation === 'Update' && (entry.subresource ?? '') === (subresource ?? '')) {
      mine = entry;
      continue;
    }
    if (remaining.length) result.push({ ...entry, fieldsV1: toFieldsV1(remaining) });
  }
  const mineFields = [...(mine ? fromFieldsV1(mine.fieldsV1) : []).filter((p) => read(after, p) !== undefined), ...changed];
  result.push({
    manager,
    operation: 'Update',
    apiVersion,
    time: now,
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(mineFields),
    ...(subresource ? { subresource } : {}),
  });
  return result;
}
