import type { Application, ApplicationStatus } from '../api/application.js';
import type { ApplicationSetApplicationStatus } from '../api/application-set.js';
import { deepEqual } from '../lib/json-values.js';
import { revisionsOf } from '../rollout/application-state.js';

/**
 * Whether an update of an Application should reconcile the ApplicationSet that owns it.
 *
 * As Argo CD's shouldRequeueForApplication: what the ApplicationSet controller writes (spec, labels,
 * annotations, finalizers) and what a rollout progresses on (health, sync status, the operation's
 * phase and start). Regatta adds what its own planning reads: the controller reference and deletion,
 * the operation it requested, the synced revisions (pins, freshness), the error conditions, and the
 * refresh time of an Application whose rollout entry is Pending (such an entry moves on only once
 * the Application was refreshed after its release). Health and sync wake every ApplicationSet, not
 * only those with progressive syncs, so that `status.resources` stays current.
 *
 * What is left is an Application's periodic refresh, which on a fleet is most of its updates.
 */
export function changeWakesOwner(previous: Application, next: Application, awaitsRefresh: boolean): boolean {
  const before = previous.metadata;
  const after = next.metadata;
  if (
    !deepEqual(previous.spec, next.spec) ||
    !deepEqual(before.labels ?? {}, after.labels ?? {}) ||
    !deepEqual(before.annotations ?? {}, after.annotations ?? {}) ||
    !deepEqual(before.finalizers ?? [], after.finalizers ?? []) ||
    !deepEqual(before.ownerReferences ?? [], after.ownerReferences ?? []) ||
    before.deletionTimestamp !== after.deletionTimestamp ||
    !deepEqual(previous.operation, next.operation)
  ) {
    return true;
  }
  const was: ApplicationStatus = previous.status ?? {};
  const is: ApplicationStatus = next.status ?? {};
  return (
    was.health?.status !== is.health?.status ||
    was.sync?.status !== is.sync?.status ||
    !deepEqual(revisionsOf(previous), revisionsOf(next)) ||
    was.operationState?.phase !== is.operationState?.phase ||
    was.operationState?.startedAt !== is.operationState?.startedAt ||
    !deepEqual(conditionsOf(was), conditionsOf(is)) ||
    (awaitsRefresh && was.reconciledAt !== is.reconciledAt)
  );
}

const conditionsOf = (status: ApplicationStatus) => (status.conditions ?? []).map((c) => [c.type, c.message]);

const pendingByEntries = new WeakMap<readonly ApplicationSetApplicationStatus[], Set<string>>();

/** The Applications whose rollout entry is Pending; kept per entry list, which every status write replaces. */
export function pendingApplications(entries: readonly ApplicationSetApplicationStatus[] | undefined): ReadonlySet<string> {
  if (!entries) return new Set();
  let pending = pendingByEntries.get(entries);
  if (!pending) pendingByEntries.set(entries, (pending = new Set(entries.filter((e) => e.status === 'Pending').map((e) => e.application))));
  return pending;
}
