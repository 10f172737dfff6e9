import type { Application } from '../api/application.js';
import type { ApplicationSet, PreviewStatusEntry } from '../api/application-set.js';
import { deepEqual } from '../lib/json-values.js';
import { PREVIEW_EXPIRES_AT_ANNOTATION } from '../api/annotations.js';
import { decidePreviewLifetimes } from './preview-lifetime.js';
import type { ReconcileEvents, ReconcilerStore } from './reconciler.js';

export interface PreviewLifetimeOutcome {
  deleteNow: Application[];
  keptNames: Set<string>;
  requeueAfterSeconds?: number;
}

/**
 * The reconciler's side of PR previews: marks the previews whose PR is gone, unmarks those that
 * came back, and says so in Events and `status.previews`. Returns what is still to be deleted.
 */
export async function applyPreviewLifetimes(
  io: { store: ReconcilerStore; events: ReconcileEvents; now: Date },
  appSet: ApplicationSet,
  deletions: Application[],
  owned: Application[],
  generated: Application[],
  outcome: { writes: number },
): Promise<PreviewLifetimeOutcome> {
  const { store, events, now } = io;
  const decision = decidePreviewLifetimes(appSet, deletions, owned, generated, now);
  const namespace = appSet.metadata.namespace ?? '';
  const mark = (application: Application, value: string | null) =>
    store.patchApplication(application.metadata.namespace ?? namespace, application.metadata.name, {
      metadata: { annotations: { [PREVIEW_EXPIRES_AT_ANNOTATION]: value } },
    });
  for (const { application, expiresAt } of decision.newlyKept) {
    await mark(application, expiresAt.toISOString());
    outcome.writes++;
    events.record(
      appSet,
      'Normal',
      'PreviewKept',
      `Keeping preview Application "${application.metadata.name}" until ${expiresAt.toISOString()}: its pull request is no longer generated`,
    );
  }
  for (const application of decision.revived) {
    await mark(application, null);
    outcome.writes++;
    events.record(appSet, 'Normal', 'PreviewRevived', `Preview Application "${application.metadata.name}" is generated again: no longer expiring`);
  }
  for (const application of decision.expired) {
    events.record(appSet, 'Normal', 'PreviewExpired', `Preview Application "${application.metadata.name}" expired: deleting it`);
  }
  if (decision.problem) events.record(appSet, 'Warning', 'PreviewTTLError', `${decision.problem}; the previews it covers are kept until it is fixed`);

  const previews: PreviewStatusEntry[] = decision.kept
    .map(({ application, expiresAt }) => ({ application: application.metadata.name, expiresAt: expiresAt.toISOString() }))
    .sort((a, b) => a.expiresAt.localeCompare(b.expiresAt) || a.application.localeCompare(b.application));
  const before = appSet.status?.previews ?? [];
  if (!deepEqual(previews, before)) {
    await store.patchApplicationSetStatus(appSet, { previews: previews.length ? previews : null });
    outcome.writes++;
  }
  const keptNames = new Set(decision.kept.map((k) => k.application.metadata.name));
  // An unusable TTL keeps the previews it covers: include them so status still lists them.
  for (const application of deletions) if (!decision.deleteNow.includes(application)) keptNames.add(application.metadata.name);
  return { deleteNow: decision.deleteNow, keptNames, requeueAfterSeconds: decision.requeueAfterSeconds };
}
