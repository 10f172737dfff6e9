import type {
  ApplicationSetApplicationStatus,
  ApplicationSetCondition,
  ApplicationSetHealth,
  ApplicationSetResourceStatus,
  ApplicationSetStatus,
  RolloutStatus,
} from '../api/application-set.js';
import { deepEqual } from '../lib/json-values.js';
import { replacementPatch } from '../lib/merge-patch.js';

/** One RFC 6902 operation, as the status writes use them. */
export type JsonPatchOperation = { op: 'add' | 'replace' | 'test'; path: string; value: unknown } | { op: 'remove'; path: string };

export type StatusWrite = { merge: Record<string, unknown> } | { operations: JsonPatchOperation[] };

/** The part of an ApplicationSet's status a reconcile states. */
export interface ReconciledStatus {
  conditions: ApplicationSetCondition[];
  health: ApplicationSetHealth;
  resources: ApplicationSetResourceStatus[];
}

/** The rollout's part of the status: its entry per Application and its state (null clears it). */
export interface RolloutStatusUpdate {
  applicationStatus: ApplicationSetApplicationStatus[];
  rollout: RolloutStatus | null;
}

const sameResource = (a: ApplicationSetResourceStatus, b: ApplicationSetResourceStatus) => a.name === b.name && a.namespace === b.namespace;
const sameApplication = (a: ApplicationSetApplicationStatus, b: ApplicationSetApplicationStatus) => a.application === b.application;

/**
 * Operations replacing in place the entries of `next` that differ from `previous`; undefined when
 * the two lists do not hold the same entries in the same order. With `guard`, each replacement is
 * preceded by a test of that field, so that a write made without a version precondition fails on a
 * list gone stale rather than overwriting another entry.
 */
function replacedEntries<T extends object>(
  path: string,
  previous: readonly T[],
  next: readonly T[],
  sameEntry: (a: T, b: T) => boolean,
  guard?: keyof T & string,
): JsonPatchOperation[] | undefined {
  if (previous.length !== next.length || !next.every((entry, i) => sameEntry(entry, previous[i]))) return undefined;
  const operations: JsonPatchOperation[] = [];
  next.forEach((entry, i) => {
    if (deepEqual(entry, previous[i])) return;
    if (guard) operations.push({ op: 'test', path: `${path}/${i}/${guard}`, value: entry[guard] });
    operations.push({ op: 'replace', path: `${path}/${i}`, value: entry });
  });
  return operations;
}

/** `replacedEntries` of the resources, when the stored list is whole (its count says so). */
function replacedResources(current: ApplicationSetStatus | undefined, next: ApplicationSetResourceStatus[], guard?: 'name'): JsonPatchOperation[] | undefined {
  const previous = current?.resources ?? [];
  return current?.resourcesCount === previous.length ? replacedEntries('/status/resources', previous, next, sameResource, guard) : undefined;
}

/**
 * How to bring `current` to `next` sending only what changed: a merge patch of the changed fields,
 * or, when only some entries of an unchanged list of resources moved, a JSON patch replacing just
 * those entries, each guarded by a test of its name. Undefined when nothing changed.
 */
export function statusWrite(current: ApplicationSetStatus | undefined, next: ReconciledStatus, conditionsChanged: boolean): StatusWrite | undefined {
  const healthChanged = !deepEqual(next.health, current?.health);
  const previous = current?.resources ?? [];
  const resourcesChanged = !deepEqual(next.resources, previous) || (current?.resourcesCount ?? 0) !== next.resources.length;
  if (!conditionsChanged && !healthChanged && !resourcesChanged) return undefined;

  const replaced = resourcesChanged ? replacedResources(current, next.resources, 'name') : undefined;
  if (replaced) {
    const operations: JsonPatchOperation[] = [];
    if (conditionsChanged) operations.push({ op: 'add', path: '/status/conditions', value: next.conditions });
    if (healthChanged) operations.push({ op: 'add', path: '/status/health', value: next.health });
    return { operations: [...operations, ...replaced] };
  }
  const merge: Record<string, unknown> = {};
  if (conditionsChanged) merge.conditions = next.conditions;
  if (healthChanged) merge.health = next.health;
  if (resourcesChanged) Object.assign(merge, { resources: next.resources, resourcesCount: next.resources.length });
  return { merge };
}

/**
 * The rollout's write, made only at `resourceVersion` (the API server refuses it with a 409 once
 * the ApplicationSet moved): its entries and state, with the Applications' resource entries going
 * along. When both lists hold the same Applications as before, a JSON patch replaces only the
 * entries that changed (the version precondition makes per-entry tests needless); otherwise a merge
 * patch states the lists whole (its caller sends it at the version). Undefined when neither the
 * entries nor the state changed.
 */
export function rolloutStatusWrite(
  current: ApplicationSetStatus | undefined,
  resourceVersion: string | undefined,
  update: RolloutStatusUpdate,
  resources: ApplicationSetResourceStatus[],
): StatusWrite | undefined {
  const { applicationStatus, rollout } = update;
  const previousEntries = current?.applicationStatus ?? [];
  const previousRollout = current?.rollout ?? null;
  const rolloutChanged = !deepEqual(rollout, previousRollout);
  if (!rolloutChanged && deepEqual(applicationStatus, previousEntries)) return undefined;

  const entries = replacedEntries('/status/applicationStatus', previousEntries, applicationStatus, sameApplication);
  const resourceEntries = replacedResources(current, resources);
  if (resourceVersion !== undefined && entries && resourceEntries && rollout !== null) {
    return {
      operations: [
        { op: 'replace', path: '/metadata/resourceVersion', value: resourceVersion },
        ...entries,
        ...resourceEntries,
        ...(rolloutChanged ? rolloutFields(previousRollout, rollout) : []),
      ],
    };
  }
  // A merge patch would keep the fields of the previous rollout that the new one has dropped.
  return {
    merge: {
      applicationStatus,
      resources,
      resourcesCount: resources.length,
      rollout: replacementPatch(rollout, current?.rollout),
    },
  };
}

/** The rollout state's changed fields, each set or removed on its own: its large lists are sent only when they change. */
function rolloutFields(previous: RolloutStatus | null, next: RolloutStatus): JsonPatchOperation[] {
  if (previous === null) return [{ op: 'add', path: '/status/rollout', value: next }];
  const before = previous as unknown as Record<string, unknown>;
  const after = next as unknown as Record<string, unknown>;
  const operations: JsonPatchOperation[] = [];
  for (const field of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (deepEqual(before[field], after[field])) continue;
    // Unequal, so a field missing from `after` is present in `before`.
    const path = `/status/rollout/${field}`;
    operations.push(after[field] === undefined ? { op: 'remove', path } : { op: 'add', path, value: after[field] });
  }
  return operations;
}
