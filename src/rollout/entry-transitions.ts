import type { Application } from '../api/application.js';
import type { ApplicationSet } from '../api/application-set.js';
import { applyIgnoreDifferences } from '../api/ignore-differences.js';
import { deepEqual } from '../lib/json-values.js';
import { isCompletedPhase, isSuccessfulPhase, observedStatus, revisionsOf } from './application-state.js';
import { after, sameRevisions, stepSpec, type Entry, type RolloutInput, type RolloutRound } from './rollout-round.js';
import { maxUpdateFor, type RolloutConfigIssues } from './steps.js';
import { pinnedReleases, pinnedTo, specRevisions } from './revision-pins.js';

/**
 * Argo CD's two phases of an Application's entry in the ApplicationSet's status: it moves on from
 * what the Application's status shows (Waiting, Pending, Progressing, Healthy), and Waiting entries
 * of the steps reached are released to Pending within maxUpdate.
 */

export const Message = {
  noStatus: 'No Application status found, defaulting status to Waiting',
  revisionChanged: 'Application has pending changes, setting status to Waiting',
  specChanged: 'Application has pending changes (spec differs), setting status to Waiting',
  revisionAndSpecChanged: 'Application has pending changes (revision and spec differ), setting status to Waiting',
  syncedHealthy: 'Application resource has synced, updating status to Healthy',
  syncedProgressing: 'Application resource has synced, updating status to Progressing',
  syncSucceeded: 'Application resource completed a sync successfully, updating status from Pending to Progressing',
  syncCompleted: 'Application resource completed a sync, updating status from Pending to Progressing',
  becameProgressing: 'Application resource became Progressing, updating status from Pending to Progressing',
  appError: 'Application resource has error and cannot sync, updating status to Progressing',
  becameHealthy: 'Application resource became Healthy, updating status from Progressing to Healthy',
  movedToPending: 'Application moved to Pending status, watching for the Application resource to start Progressing',
} as const;

const byName = (a: Entry, b: Entry) => (a.application < b.application ? -1 : a.application > b.application ? 1 : 0);

/** Each generated spec's copy with automated sync off, made once: a reused generation gives the next reconcile the same spec object. */
const disabledSpecs = new WeakMap<Application['spec'], Application['spec']>();

/**
 * RollingSync owns syncing: Argo CD writes every generated Application with automated.enabled=false.
 * A copy that shares what it does not change: the planner runs over every Application of every reconcile.
 */
export function withAutomatedDisabled(application: Application): Application {
  const policy = application.spec.syncPolicy;
  if (!policy?.automated) return { ...application };
  let spec = disabledSpecs.get(application.spec);
  if (!spec) {
    spec = { ...application.spec, syncPolicy: { ...policy, automated: { ...policy.automated, enabled: false } } };
    disabledSpecs.set(application.spec, spec);
  }
  return { ...application, spec };
}

/**
 * The last comparison of each live spec: a reused generation gives the next reconcile the same
 * generated specs, and an Application that did not change the same live spec, so a fleet's rollout
 * compares only the Applications that moved.
 */
const specComparisons = new WeakMap<Application['spec'], { desired: Application['spec']; pinned: boolean; differs: boolean }>();

/** With pinned revisions, the pin and its automated hold are the rollout's to move: they are compared as the live Application has them. */
function specDiffers(appSet: ApplicationSet, live: Application, desired: Application, pinned: boolean): boolean {
  // Ignore rules read the ApplicationSet, which every status write replaces: those comparisons are made each time.
  const ignoring = (appSet.spec.ignoreApplicationDifferences?.length ?? 0) > 0;
  const last = ignoring ? undefined : specComparisons.get(live.spec);
  if (last && last.desired === desired.spec && last.pinned === pinned) return last.differs;
  const written = pinned ? pinnedTo(desired, specRevisions(live), live.spec.syncPolicy?.automated?.enabled === false) : withAutomatedDisabled(desired);
  // Ignore rules delete fields in place, so they get a copy of their own.
  const candidate = ignoring ? structuredClone(written) : written;
  applyIgnoreDifferences(
    candidate as unknown as Record<string, unknown>,
    live as unknown as Record<string, unknown>,
    appSet.spec.ignoreApplicationDifferences,
    live.metadata.name,
  );
  const differs = !deepEqual(candidate.spec, live.spec);
  if (!ignoring) specComparisons.set(live.spec, { desired: desired.spec, pinned, differs });
  return differs;
}

function hasErrorCondition(application: Application): boolean {
  return (observedStatus(application).conditions ?? []).some((c) => c.type === 'InvalidSpecError' || c.type === 'UnknownError');
}

/** Argo CD's first phase: each current Application's entry moves on from what its status shows. */
export function advanceEntries(input: RolloutInput, stepOf: Map<string, number>, now: string): { entries: Entry[]; changed: Set<string> } {
  const previous = new Map((input.appSet.status?.applicationStatus ?? []).map((e) => [e.application, e]));
  const desired = new Map((input.generated ?? input.desired).map((a) => [a.metadata.name, a]));
  const changed = new Set<string>();
  const releases = pinnedReleases(input);
  const entries = input.current.map((app): Entry => {
    const name = app.metadata.name;
    const observed = observedStatus(app);
    const health = observed.health?.status;
    // Regatta: a pinned Application is in sync for the rollout only once it runs the release.
    const release = releases?.get(name);
    const sync = release && !sameRevisions(release, revisionsOf(app)) ? 'OutOfSync' : observed.sync?.status;
    const revisions = release ?? revisionsOf(app);
    const current: Entry = previous.get(name) ?? {
      application: name,
      status: 'Waiting',
      step: '',
      message: Message.noStatus,
      lastTransitionTime: now,
      targetRevisions: revisions,
    };
    const next: Entry = { ...current, step: String((stepOf.get(name) ?? -2) + 1) };
    // Regatta: no revisions yet means the Application had not been compared, not that it changed;
    // Argo CD would reset the entry to Waiting and sync a new Application a second time.
    const firstComparison = (current.targetRevisions ?? []).length === 0 && current.status !== 'Healthy';
    if (firstComparison) next.targetRevisions = revisions;
    const revisionsChanged = !firstComparison && !sameRevisions(current.targetRevisions, revisions);
    const wanted = desired.get(name);
    const specChanged = wanted !== undefined && specDiffers(input.appSet, app, wanted, releases !== undefined);
    if (revisionsChanged || specChanged) {
      changed.add(name);
      next.targetRevisions = revisions;
      next.message = revisionsChanged && specChanged ? Message.revisionAndSpecChanged : revisionsChanged ? Message.revisionChanged : Message.specChanged;
      next.status = 'Waiting';
      next.lastTransitionTime = now;
    }
    const move = (status: Entry['status'], message: string) => Object.assign(next, { status, message, lastTransitionTime: now });
    if (next.status === 'Waiting') {
      if (sync === 'Synced') move(health === 'Healthy' ? 'Healthy' : 'Progressing', health === 'Healthy' ? Message.syncedHealthy : Message.syncedProgressing);
    } else {
      let succeededNow = false;
      if (current.status === 'Pending' && (observed.reconciledAt === undefined || after(observed.reconciledAt, next.lastTransitionTime))) {
        const operation = observed.operationState;
        if (operation && after(operation.startedAt, current.lastTransitionTime)) {
          succeededNow = isSuccessfulPhase(operation.phase);
          move(
            'Progressing',
            isSuccessfulPhase(operation.phase) ? Message.syncSucceeded : isCompletedPhase(operation.phase) ? Message.syncCompleted : Message.becameProgressing,
          );
        } else if (hasErrorCondition(app)) {
          move('Progressing', Message.appError);
        } else if (sync === 'Synced') {
          // Regatta: already in sync (synced by hand, or its drift undone) with nothing started
          // since it was released: it moves on as a Synced Waiting entry does, where Argo CD keeps
          // it Pending and syncs it again, running its hooks a second time.
          move(health === 'Healthy' ? 'Healthy' : 'Progressing', health === 'Healthy' ? Message.syncedHealthy : Message.syncedProgressing);
        }
      }
      // Regatta: a sync that succeeded onto an Application now Healthy and Synced goes on through Progressing
      // to Healthy at once. Argo CD takes a second reconcile, which judges the same status: nothing changes
      // on the Application to bring it sooner, and the step it completes waits for it.
      if ((current.status === 'Progressing' || succeededNow) && health === 'Healthy' && sync === 'Synced') move('Healthy', Message.becameHealthy);
    }
    return next;
  });
  return { entries: entries.sort(byName), changed };
}

/**
 * Argo CD's second phase: Waiting → Pending within each step's maxUpdate, unless the rollout is
 * stopped; a stopped rollout sends Pending entries whose sync has not started back to Waiting.
 * An invalid maxUpdate is added to `issues`.
 */
export function releaseWithinMaxUpdate(round: RolloutRound, appsToSync: Set<string>, issues: RolloutConfigIssues): void {
  const { now, stepsSpec, stepOf, entries, currentOf, rollout } = round;
  const promote = rollout.phase === 'Progressing' || rollout.phase === 'Completed';
  const stepIndex = (name: string) => stepOf.get(name) ?? 0;
  const totals = stepsSpec.map(() => 0);
  const updating = stepsSpec.map(() => 0);
  for (const entry of entries) {
    totals[stepIndex(entry.application)]++;
    if (entry.status === 'Pending' || entry.status === 'Progressing') updating[stepIndex(entry.application)]++;
  }
  const released: string[] = [];
  for (const entry of entries) {
    const index = stepIndex(entry.application);
    const { limit, invalid } = maxUpdateFor(stepSpec(stepsSpec, index).maxUpdate, totals[index]);
    if (invalid !== undefined && !issues.invalidMaxUpdates.some((i) => i.step === index)) issues.invalidMaxUpdates.push({ step: index, value: invalid });
    if (
      !promote &&
      entry.status === 'Pending' &&
      (rollout.phase === 'Aborted' || rollout.phase === 'Halted' || rollout.phase === 'RollingBack') &&
      !startedSince(currentOf.get(entry.application), entry)
    ) {
      Object.assign(entry, { status: 'Waiting', message: `Rollout ${rollout.phase.toLowerCase()}, sync not started`, lastTransitionTime: now });
      continue;
    }
    if (promote && entry.status === 'Waiting' && appsToSync.has(entry.application) && updating[index] < limit) {
      Object.assign(entry, { status: 'Pending', message: Message.movedToPending, lastTransitionTime: now });
      updating[index]++;
      released.push(entry.application);
      rollout.stepStartedAt = { [String(index + 1)]: now, ...rollout.stepStartedAt };
    }
  }
  // Added once: a step that opens releases thousands, and the list holds the whole rollout's.
  if (released.length) rollout.updated = [...new Set([...(rollout.updated ?? []), ...released])];
}

function startedSince(application: Application | undefined, entry: Entry): boolean {
  return application !== undefined && after(observedStatus(application).operationState?.startedAt, entry.lastTransitionTime);
}
