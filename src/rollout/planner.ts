import { automatedSyncEnabled, type Application, type Operation, type SyncOperation } from '../api/application.js';
import { ConditionType, Reason } from '../api/application-set-conditions.js';
import type { ApplicationSetApplicationStatus, ApplicationSetCondition, RolloutStatus } from '../api/application-set.js';
import { observedStatus, revisionsOf } from './application-state.js';
import { advanceEntries, releaseWithinMaxUpdate, withAutomatedDisabled } from './entry-transitions.js';
import { sameRevisions, stepSpec, type Entry, type RolloutInput, type RolloutRound } from './rollout-round.js';
import { advanceRolloutStatus, haltOverFailureBudget, nextRolloutState, planRollback, recordFailures, type RollbackRequest } from './rollout-status.js';
import { groupIntoSteps, rolloutConfigMessage, rollingSyncSteps, type RolloutConfigIssues } from './steps.js';
import { holdForWindows, summarizeWaits } from './window-holds.js';
import { holdForBudgets } from './budget-holds.js';
import { pinnedTo, planPins, waitAfterRollback, type RevisionPin } from './revision-pins.js';
import { holdUnreachable, markSkipped, summarizeUnreachable } from './unreachable-holds.js';
import { holdDependents } from './dependency-holds.js';
import { PROMOTION_INFO } from '../api/annotations.js';

export { Message } from './entry-transitions.js';
export type { RolloutInput } from './rollout-round.js';
export type { RollbackRequest } from './rollout-status.js';
export { WINDOW_HOLD_PREFIX } from './window-holds.js';
export { BUDGET_HOLD_PREFIX } from './budget-holds.js';

export const SYNC_REASON = 'ApplicationSet RollingSync triggered a sync of this Application resource';

export interface RolloutPlan {
  steps: string[][];
  applicationStatus: ApplicationSetApplicationStatus[];
  /** Applications whose step has been reached (Argo CD's appsToSync). */
  appsToSync: Set<string>;
  /** Applications that get a sync operation in this reconcile. */
  syncNow: string[];
  /**
   * Regatta: the ones of `syncNow` this same reconcile moved to Pending. Argo CD sets the operation
   * one reconcile after the move (it reads Pending from the status it started with); Regatta saves
   * that reconcile per step.
   */
  releasedNow: string[];
  /** Applications to sync back to the revisions they ran before the rollout. */
  rollback: RollbackRequest[];
  conditions: Omit<ApplicationSetCondition, 'lastTransitionTime'>[];
  /** The desired Applications with automated sync off (or pinned), and the sync (or rollback) operation where due. */
  desired: Application[];
  rollout: RolloutStatus;
  requeueAfterSeconds?: number;
}

/**
 * One reconcile of a RollingSync ApplicationSet: Argo CD's progressive sync, step for step (entries,
 * step gating, maxUpdate, conditions, the sync operation), plus Regatta's bake time, progress
 * deadline, failure budget with halt or rollback, pause/abort, sync window and RolloutBudget holds,
 * unreachable clusters and dependencies within a step. Pure: the
 * caller writes. Each phase moves the round's entries and rollout status on, in this order.
 */
export function planRollout(input: RolloutInput): RolloutPlan {
  const now = input.now.toISOString();
  const { steps, stepOf, issues } = groupIntoSteps(input.appSet, input.generated ?? input.desired);
  const { entries, changed } = advanceEntries(input, stepOf, now);
  const round = newRound(input, now, stepOf, entries, nextRolloutState(input.appSet, changed));
  markSkipped(round);
  recordFailures(round);
  haltOverFailureBudget(round);
  waitAfterRollback(round);
  const appsToSync = reachedApplications(round, steps);
  const unreachable = holdUnreachable(round, appsToSync);
  const dependencyError = holdDependents(round, appsToSync);
  releaseWithinMaxUpdate(round, appsToSync, issues);
  const budgetWaiting = holdForBudgets(round);
  settleSoon(round);
  const waiting = [...holdForWindows(round), ...budgetWaiting];
  const step = progressingStep(
    round.stepsSpec.length,
    entries.filter((e) => !round.skipped.has(e.application)),
  );
  const waitSummary = [summarizeWaits(waiting.filter((w) => w.step === step)), summarizeUnreachable(unreachable, step)].filter(Boolean).join('; ');
  const conditions = rolloutConditions(issues, step, waitSummary, dependencyError);
  advanceRolloutStatus(round.rollout, step, waitSummary);
  const rollback = planRollback(round);
  const pins = planPins(round);
  const { desired, syncNow } = withSyncOperations(round, appsToSync, rollback, pins);
  const pendingBefore = new Set((input.appSet.status?.applicationStatus ?? []).filter((e) => e.status === 'Pending').map((e) => e.application));
  return {
    steps,
    applicationStatus: entries,
    appsToSync,
    syncNow,
    releasedNow: syncNow.filter((name) => !pendingBefore.has(name)),
    rollback,
    conditions,
    desired,
    rollout: round.rollout,
    ...(round.requeue.length ? { requeueAfterSeconds: Math.max(1, Math.ceil(Math.min(...round.requeue))) } : {}),
  };
}

function newRound(input: RolloutInput, now: string, stepOf: Map<string, number>, entries: Entry[], rollout: RolloutStatus): RolloutRound {
  return {
    input,
    now,
    stepsSpec: rollingSyncSteps(input.appSet),
    stepOf,
    entries,
    entryOf: new Map(entries.map((e) => [e.application, e])),
    currentOf: new Map(input.current.map((a) => [a.metadata.name, a])),
    rollout,
    failed: new Set(rollout.failed?.map((f) => f.application)),
    skipped: new Set(),
    requeue: [],
  };
}

/**
 * The Applications of the steps reached (Argo CD's appsToSync). Argo CD's step gating: a step opens
 * when every Application of the previous one exists and is Healthy; Regatta adds the bake time and
 * lets failures within the budget count as done.
 */
function reachedApplications(round: RolloutRound, steps: string[][]): Set<string> {
  const { input, now, stepsSpec, entryOf, currentOf, failed, requeue } = round;
  const appsToSync = new Set<string>();
  const current = freshness(input.current);
  for (const [index, names] of steps.entries()) {
    for (const name of names) appsToSync.add(name);
    const done = names.every(
      (name) =>
        round.skipped.has(name) ||
        (currentOf.has(name) && entryOf.has(name) && current(currentOf.get(name)!) && (entryOf.get(name)!.status === 'Healthy' || failed.has(name))),
    );
    if (!done) break;
    const bake = stepSpec(stepsSpec, index).minHealthySeconds ?? 0;
    if (bake > 0 && names.length) {
      const healthySince = Math.max(...names.map((name) => Date.parse(entryOf.get(name)!.lastTransitionTime ?? now)));
      const remaining = healthySince + bake * 1000 - input.now.getTime();
      if (remaining > 0) {
        requeue.push(remaining / 1000);
        break;
      }
    }
  }
  return appsToSync;
}

/**
 * Regatta: Applications that track the same branch see a push one refresh at a time. Until an
 * earlier step's Application has seen the revision that the most recently refreshed Application
 * of its source saw, its Healthy is about the old revision, and the next step must not open.
 */
function freshness(applications: Application[]): (application: Application) => boolean {
  const sourceKey = (app: Application) =>
    JSON.stringify((app.spec.sources ?? (app.spec.source ? [app.spec.source] : [])).map((s) => [s.repoURL, s.targetRevision ?? 'HEAD', s.chart ?? '']));
  const newest = new Map<string, { at: number; revisions: string[] }>();
  for (const app of applications) {
    const at = Date.parse(observedStatus(app).reconciledAt ?? '') || 0;
    const key = sourceKey(app);
    if (at > (newest.get(key)?.at ?? -1)) newest.set(key, { at, revisions: revisionsOf(app) });
  }
  return (app) => sameRevisions(newest.get(sourceKey(app))?.revisions, revisionsOf(app));
}

/**
 * An entry left Progressing whose Application is already Synced and Healthy (its sync failed, or
 * was still running when this reconcile moved it) turns Healthy at the next reconcile. Nothing
 * about the Application changes again to cause one, so the plan asks for it.
 */
function settleSoon(round: RolloutRound): void {
  const settled = round.entries.some((entry) => {
    const application = round.currentOf.get(entry.application);
    const observed = application && observedStatus(application);
    return entry.status === 'Progressing' && observed?.health?.status === 'Healthy' && observed.sync?.status === 'Synced';
  });
  if (settled) round.requeue.push(0);
}

/** Argo CD's RolloutProgressing: the first step (in order) with an Application that is not Healthy. */
function progressingStep(stepCount: number, entries: Entry[]): number | undefined {
  for (let step = 1; step <= stepCount; step++) {
    const inStep = entries.filter((e) => e.step === String(step));
    if (inStep.length && inStep.some((e) => e.status !== 'Healthy')) return step;
  }
  return undefined;
}

/**
 * Argo CD's InvalidRolloutConfig and RolloutProgressing conditions (getInvalidRolloutConfig,
 * getProgressingCondition); Regatta adds invalid or cyclic dependencies to InvalidRolloutConfig.
 */
function rolloutConditions(issues: RolloutConfigIssues, step: number | undefined, waitSummary: string, dependencyError?: string): RolloutPlan['conditions'] {
  const configMessage = [rolloutConfigMessage(issues), dependencyError].filter(Boolean).join('; ');
  return [
    configMessage
      ? { type: ConditionType.InvalidRolloutConfig, status: 'True', reason: Reason.InvalidRolloutConfig, message: configMessage }
      : { type: ConditionType.InvalidRolloutConfig, status: 'False', reason: Reason.ValidRolloutConfig, message: 'Rolling Sync Configured correctly' },
    step
      ? {
          type: ConditionType.RolloutProgressing,
          status: 'True',
          reason: Reason.ApplicationSetModified,
          message: waitSummary || `ApplicationSet is performing rollout of step ${step}`,
        }
      : {
          type: ConditionType.RolloutProgressing,
          status: 'False',
          reason: Reason.ApplicationSetRolloutComplete,
          message: 'ApplicationSet Rollout has completed',
        },
  ];
}

/** The desired Applications with automated sync off (or pinned), and a sync (or rollback) operation on those due one. */
function withSyncOperations(
  round: RolloutRound,
  appsToSync: Set<string>,
  rollback: RollbackRequest[],
  pins: Map<string, RevisionPin> | undefined,
): { desired: Application[]; syncNow: string[] } {
  const { input, entryOf, rollout } = round;
  const syncNow: string[] = [];
  const rollbackOf = new Map(rollback.map((r) => [r.application, r.revisions]));
  const desired = input.desired.map((application) => {
    const name = application.metadata.name;
    const prune = automatedSyncEnabled(application) ? application.spec.syncPolicy?.automated?.prune === true : false;
    const pin = pins?.get(name);
    const out = pin ? pinnedTo(application, pin.revisions, pin.hold) : withAutomatedDisabled(application);
    const revisions = rollbackOf.get(name);
    if (revisions)
      out.operation = syncOperation(
        out,
        prune,
        `Regatta rolled back this Application to ${revisions.join(', ')} after a failed rollout`,
        `rollback of the rollout halted at ${rollout.haltedAt ?? ''}`,
        revisions,
      );
    else if (entryOf.get(name)?.status === 'Pending' && appsToSync.has(name)) {
      const entry = entryOf.get(name)!;
      // A pinned release names its commit: the Application's status still reports the one it was compared at before the pin moved.
      out.operation = syncOperation(out, prune, SYNC_REASON, `step ${entry.step}, pending since ${entry.lastTransitionTime ?? ''}`, pin?.revisions);
      syncNow.push(name);
    }
    return out;
  });
  return { desired, syncNow: syncNow.sort() };
}

/**
 * The operation Argo CD's ApplicationSet controller writes to start a sync, plus the promotion it
 * belongs to: a sync job is identified by it, so a stale repeat of the same promotion queues nothing.
 */
function syncOperation(application: Application, prune: boolean, reason: string, promotion: string, revisions?: string[]): Operation {
  const policy = application.spec.syncPolicy;
  const sync: SyncOperation = {};
  if (policy?.syncOptions) sync.syncOptions = policy.syncOptions;
  if (policy) sync.prune = prune;
  if (revisions?.length === 1) sync.revision = revisions[0];
  else if (revisions?.length) sync.revisions = revisions;
  return {
    initiatedBy: { username: 'applicationset-controller', automated: true },
    info: [
      { name: 'Reason', value: reason },
      { name: PROMOTION_INFO, value: promotion },
    ],
    sync,
    retry: policy?.retry ?? { limit: 5 },
  };
}
