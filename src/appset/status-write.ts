import type { ApplicationSetCondition, ApplicationSetHealth, ApplicationSetResourceStatus, ApplicationSetStatus } from '../api/application-set.js';
import { deepEqual } from '../lib/json-values.js';

/** One RFC 6902 operation, as the status write uses them. */
export interface JsonPatchOperation {
  op: 'add' | 'replace' | 'test';
  path: string;
  value: unknown;
}

/** The part of an ApplicationSet's status a reconcile states. */
export interface ReconciledStatus {
  conditions: ApplicationSetCondition[];
  health: ApplicationSetHealth;
  resources: ApplicationSetResourceStatus[];
}

/**
 * How to bring `current` to `next` sending only what changed: a merge patch of the changed fields,
 * or, when only some entries of an unchanged list of resources moved, a JSON patch replacing just
 * those entries, each guarded by a test of its name so that a view gone stale fails rather than
 * overwrites another entry. Undefined when nothing changed.
 */
export function statusWrite(
  current: ApplicationSetStatus | undefined,
  next: ReconciledStatus,
  conditionsChanged: boolean,
): { merge: Record<string, unknown> } | { operations: JsonPatchOperation[] } | undefined {
  const healthChanged = !deepEqual(next.health, current?.health);
  const previous = current?.resources ?? [];
  const resourcesChanged = !deepEqual(next.resources, previous) || (current?.resourcesCount ?? 0) !== next.resources.length;
  if (!conditionsChanged && !healthChanged && !resourcesChanged) return undefined;

  const sameEntries =
    resourcesChanged &&
    previous.length === next.resources.length &&
    current?.resourcesCount === previous.length &&
    next.resources.every((entry, i) => entry.name === previous[i].name && entry.namespace === previous[i].namespace);
  if (sameEntries) {
    const operations: JsonPatchOperation[] = [];
    if (conditionsChanged) operations.push({ op: 'add', path: '/status/conditions', value: next.conditions });
    if (healthChanged) operations.push({ op: 'add', path: '/status/health', value: next.health });
    next.resources.forEach((entry, i) => {
      if (deepEqual(entry, previous[i])) return;
      operations.push({ op: 'test', path: `/status/resources/${i}/name`, value: entry.name });
      operations.push({ op: 'replace', path: `/status/resources/${i}`, value: entry });
    });
    return { operations };
  }
  const merge: Record<string, unknown> = {};
  if (conditionsChanged) merge.conditions = next.conditions;
  if (healthChanged) merge.health = next.health;
  if (resourcesChanged) Object.assign(merge, { resources: next.resources, resourcesCount: next.resources.length });
  return { merge };
}
