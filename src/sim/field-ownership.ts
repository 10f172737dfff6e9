/**
 * Server-side apply's field ownership, simplified to what controllers rely on: each manager owns
 * the leaf fields it applied (maps are walked, lists are atomic, as for CRDs without list-type
 * markers); a manager applying a value another manager owns is a conflict unless forced; fields a
 * manager stops applying are removed when no other manager owns them.
 */
type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Leaf paths of an object, e.g. `spec.source.repoURL`, `metadata.labels.team`. */
export function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (isObject(value) && Object.keys(value).length > 0) {
    return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
  }
  return prefix.length ? [prefix] : [];
}

export function read(value: unknown, path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

function write(target: Obj, path: string[], value: unknown): void {
  let current = target;
  for (const key of path.slice(0, -1)) {
    if (!isObject(current[key])) current[key] = {};
    current = current[key] as Obj;
  }
  current[path[path.length - 1]] = structuredClone(value);
}

function remove(target: Obj, path: string[]): void {
  const parents: Obj[] = [target];
  let current = target;
  for (const key of path.slice(0, -1)) {
    if (!isObject(current[key])) return;
    current = current[key] as Obj;
    parents.push(current);
  }
  delete current[path[path.length - 1]];
  for (let i = parents.length - 1; i > 0; i--) {
    if (Object.keys(parents[i]).length > 0) break;
    delete parents[i - 1][path[i - 1]];
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

export function ownablePaths(object: unknown): string[][] {
  return leafPaths(object).filter((p) => !SERVER_FIELDS.has(p.join('.')) && !(p[0] === 'metadata' && SERVER_FIELDS.has(`metadata.${p[1]}`)));
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

/** fieldsV1 as Kubernetes encodes it: `f:` keys for map entries, `.` for a field owned whole. */
export function toFieldsV1(paths: string[][]): Obj {
  const root: Obj = {};
  for (const path of paths) {
    let current = root;
    for (const key of path) {
      const name = `f:${key}`;
      if (!isObject(current[name])) current[name] = {};
      current = current[name] as Obj;
    }
  }
  return root;
}

export function fromFieldsV1(fields: Obj, prefix: string[] = []): string[][] {
  const paths: string[][] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (!key.startsWith('f:')) continue;
    const path = [...prefix, key.slice(2)];
    const children = isObject(value) ? fromFieldsV1(value, path) : [];
    if (children.length) paths.push(...children);
    else paths.push(path);
  }
  return paths;
}

export class ApplyConflict extends Error {
  constructor(readonly conflicts: { manager: string; path: string }[]) {
    super(
      `Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}: ${conflicts.map((c) => `conflict with "${c.manager}": .${c.path}`).join('; ')}`,
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
): { object: Obj; managedFields: ManagedFieldsEntry[] } {
  const entries: ManagedFieldsEntry[] = structuredClone(((live?.metadata as Obj | undefined)?.managedFields as ManagedFieldsEntry[] | undefined) ?? []);
  const owned = new Map(
    entries.map((e) => [`${e.manager}/${e.operation}/${e.subresource ?? ''}`, new Set(fromFieldsV1(e.fieldsV1).map((p) => p.join('\u0000')))]),
  );
  const mineKey = `${manager}/Apply/`;
  const previouslyMine = owned.get(mineKey) ?? new Set<string>();
  const appliedPaths = ownablePaths(applied);
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
      else conflicts.push({ manager: ownerKey.split('/')[0], path: path.join('.') });
    }
  }
  if (conflicts.length) throw new ApplyConflict(conflicts);

  const object: Obj = structuredClone(live ?? {});
  for (const path of appliedPaths) write(object, path, read(applied, path));
  // Lists are atomic: an applied list replaces the live one whole (done by write); fields this
  // manager applied before and no longer applies go, unless someone else owns them too.
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
): ManagedFieldsEntry[] {
  const entries: ManagedFieldsEntry[] = structuredClone(((before?.metadata as Obj | undefined)?.managedFields as ManagedFieldsEntry[] | undefined) ?? []);
  const changed = ownablePaths(after).filter((p) => JSON.stringify(read(before, p)) !== JSON.stringify(read(after, p)));
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
