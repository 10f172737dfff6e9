import { APPLIED_HASH_ANNOTATION } from '../api/annotations.js';
import { RESOURCES_FINALIZER, type Application } from '../api/application.js';
import type { ApplicationSet } from '../api/application-set.js';
import { deepEqual, isPlainObject, ownEntry } from '../lib/json-values.js';
import { allowsDelete, allowsUpdate, planReconcile, type ApplicationChange, type PlanOptions } from './plan.js';

/**
 * What the next reconcile of one ApplicationSet would change among the Applications it owns
 * (`regatta generate --diff`), decided by the reconciler's own plan, and what its policy holds back.
 */

/** One field of an Application as the reconcile would leave it; `before`/`after` undefined when absent. */
export interface FieldChange {
  path: string;
  before?: unknown;
  after?: unknown;
}

export interface ApplicationUpdate {
  name: string;
  fields: FieldChange[];
}

export interface ApplicationDeletion {
  name: string;
  /** Deleting the Application deletes its resources on the clusters too (it carries Argo CD's resources finalizer). */
  cascades: boolean;
}

export interface GenerationDiff {
  creates: { name: string }[];
  updates: ApplicationUpdate[];
  deletes: ApplicationDeletion[];
  /** Owned Applications the reconcile would not touch. */
  unchanged: number;
  /** Owned Applications already being deleted (waiting for their finalizers). */
  deleting: number;
  /** Changes the generation asks for that the reconcile would not make, each saying what holds it back. */
  heldBack: { action: 'update' | 'delete'; names: string[]; by: string }[];
}

export interface DiffOptions extends PlanOptions {
  /**
   * Generated Applications the reconciler refuses to write (no such project, no such cluster): never
   * created, updated or deleted, and while there are any, nothing is deleted.
   */
  rejected?: Application[];
}

/**
 * The plan the reconciler would make (its policy and deletion budget applied) against the plan of
 * `sync` without a budget: the difference is what is held back.
 */
export function diffGeneration(appSet: ApplicationSet, desired: Application[], owned: Application[], options: DiffOptions): GenerationDiff {
  const rejected = options.rejected ?? [];
  const rejectedNames = new Set(rejected.map((a) => a.metadata.name));
  const all = [...desired, ...rejected];
  const actual = planReconcile(appSet, all, owned, options);
  const unrestricted = planReconcile(appSet, all, owned, { ...options, policy: 'sync', maxDeleteRatio: undefined });
  const live = new Map(owned.map((a) => [a.metadata.name, a]));
  const writable = (change: ApplicationChange) => !rejectedNames.has(change.application.metadata.name);

  const creates = actual.changes.filter((c) => c.action === 'create' && writable(c)).map((c) => ({ name: c.application.metadata.name }));
  const updates = actual.changes
    .filter((c) => c.action === 'update' && writable(c))
    .map((c) => ({ name: c.application.metadata.name, fields: changedFields(c, live.get(c.application.metadata.name)!) }));
  const deletes = rejected.length
    ? []
    : actual.deletions.map((a) => ({ name: a.metadata.name, cascades: (a.metadata.finalizers ?? []).includes(RESOURCES_FINALIZER) }));

  const heldBack: GenerationDiff['heldBack'] = [];
  const policyText = `applicationsSync: ${options.policy}`;
  if (!allowsUpdate(options.policy)) {
    const names = unrestricted.changes.filter((c) => c.action === 'update' && writable(c)).map((c) => c.application.metadata.name);
    if (names.length) heldBack.push({ action: 'update', names, by: policyText });
  }
  const due = unrestricted.deletions.map((a) => a.metadata.name);
  if (due.length && !allowsDelete(options.policy)) heldBack.push({ action: 'delete', names: due, by: policyText });
  else if (due.length && actual.held) heldBack.push({ action: 'delete', names: due, by: `the deletion budget: ${actual.held.message}` });
  else if (due.length && rejected.length) {
    heldBack.push({
      action: 'delete',
      names: due,
      by: `invalid generated Applications (${[...rejectedNames].sort().join(', ')}): nothing is deleted while one is invalid`,
    });
  }

  const touched = new Set([...creates, ...updates, ...deletes].map((c) => c.name));
  const deleting = owned.filter((a) => a.metadata.deletionTimestamp && !touched.has(a.metadata.name)).length;
  const unchanged = owned.filter((a) => !a.metadata.deletionTimestamp && !touched.has(a.metadata.name)).length;
  return { creates, updates, deletes, unchanged, deleting, heldBack };
}

/**
 * The fields Regatta writes that would change: its labels, annotations and finalizers (others'
 * are left alone), the whole spec (fields other writers added are removed) and an operation.
 * The applied-hash annotation is shown only when nothing else explains the write.
 */
function changedFields(change: ApplicationChange, current: Application): FieldChange[] {
  const next = change.application;
  const fields: FieldChange[] = [];
  for (const part of ['labels', 'annotations'] as const) {
    for (const [key, value] of Object.entries(next.metadata[part] ?? {})) {
      if (key === APPLIED_HASH_ANNOTATION) continue;
      const before = current.metadata[part]?.[key];
      if (before !== value) fields.push({ path: `metadata.${part}${segment(key)}`, before, after: value });
    }
  }
  const missingFinalizers = (next.metadata.finalizers ?? []).filter((f) => !current.metadata.finalizers?.includes(f));
  if (missingFinalizers.length) fields.push({ path: 'metadata.finalizers', before: current.metadata.finalizers, after: next.metadata.finalizers });
  fields.push(...leafChanges(current.spec, next.spec, 'spec'));
  if (next.operation && !deepEqual(next.operation, current.operation)) fields.push(...leafChanges(current.operation, next.operation, 'operation'));
  if (fields.length === 0) {
    const key = APPLIED_HASH_ANNOTATION;
    fields.push({ path: `metadata.annotations${segment(key)}`, before: current.metadata.annotations?.[key], after: next.metadata.annotations?.[key] });
  }
  return fields;
}

/** Leaf-by-leaf differences, in the order the fields appear (the new value's first). */
function leafChanges(before: unknown, after: unknown, path: string): FieldChange[] {
  if (deepEqual(before, after)) return [];
  // A map or list added or removed as a whole is listed leaf by leaf too.
  if (before == null && (isPlainObject(after) || Array.isArray(after))) return leafChanges(Array.isArray(after) ? [] : {}, after, path);
  if (after == null && (isPlainObject(before) || Array.isArray(before))) return leafChanges(before, Array.isArray(before) ? [] : {}, path);
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(after), ...Object.keys(before)])];
    return keys.flatMap((key) => leafChanges(ownEntry(before, key), ownEntry(after, key), `${path}${segment(key)}`));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    return Array.from({ length: Math.max(before.length, after.length) }, (_, i) => leafChanges(before[i], after[i], `${path}[${i}]`)).flat();
  }
  return [{ path, ...(before === undefined || before === null ? {} : { before }), ...(after === undefined || after === null ? {} : { after }) }];
}

/** `.key`, or `["key"]` when the key is not a plain identifier (annotation names, paths). */
export function segment(key: string): string {
  return /^[A-Za-z_][\w-]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}
