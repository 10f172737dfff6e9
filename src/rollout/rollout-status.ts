import type { Application } from '../api/application.js';
import type { ApplicationSet, RolloutStatus } from '../api/application-set.js';
import { isSuccessfulPhase, observedStatus } from './application-state.js';
import { after, sameRevisions, stepSpec, type RolloutRound } from './rollout-round.js';
import { windowWaitSeconds } from './window-holds.js';
import { ROLLOUT_CONTROL_ANNOTATION, ROLLOUT_RESUMED_AT_ANNOTATION } from '../api/annotations.js';

/**
 * Regatta's rollout status on top of Argo CD's progressive sync: a new rollout for a change, pause
 * and abort, failures and the failure budget, halt or rollback, resuming after a halt.
 */

export interface RollbackRequest {
  application: string;
  revisions: string[];
}

/** Regatta's rollout state: a change seen on a settled rollout starts a new one; control annotations pause or abort it. */
export function nextRolloutState(appSet: ApplicationSet, changed: Set<string>): RolloutStatus {
  const previous = appSet.status?.rollout;
  const settled = !previous || previous.phase === 'Completed' || previous.phase === 'Halted' || previous.phase === 'RolledBack';
  // A shallow copy: the planners replace a field they change and never edit one in place, and a
  // fleet's rollout holds thousands of names and revisions that most reconciles leave as they are.
  let rollout: RolloutStatus = previous ? { ...previous } : { phase: 'Progressing', step: 0, message: '' };
  if (changed.size && settled) rollout = { phase: 'Progressing', step: 0, message: '' };
  const priorEntries = changed.size ? new Map((appSet.status?.applicationStatus ?? []).map((e) => [e.application, e])) : undefined;
  // One map filled in place, copied once: a fleet-wide change names thousands of Applications.
  let previousRevisions: Record<string, string[]> | undefined;
  for (const name of changed) {
    const before = priorEntries?.get(name)?.targetRevisions ?? [];
    if (!before.length || (previousRevisions ?? rollout.previousRevisions)?.[name]) continue;
    previousRevisions ??= { ...rollout.previousRevisions };
    previousRevisions[name] = before;
  }
  if (previousRevisions) rollout.previousRevisions = previousRevisions;
  const resumedAt = appSet.metadata.annotations?.[ROLLOUT_RESUMED_AT_ANNOTATION];
  if ((rollout.phase === 'Halted' || rollout.phase === 'RolledBack') && after(resumedAt, rollout.haltedAt)) {
    rollout.phase = 'Progressing';
    for (const key of ['failed', 'haltedAt', 'rolledBack'] as const) delete rollout[key];
  }
  const control = appSet.metadata.annotations?.[ROLLOUT_CONTROL_ANNOTATION];
  const stoppable = rollout.phase === 'Progressing' || rollout.phase === 'Completed' || rollout.phase === 'Paused' || rollout.phase === 'Aborted';
  if (stoppable) {
    if (control === 'pause') Object.assign(rollout, { phase: 'Paused', message: `paused by the ${ROLLOUT_CONTROL_ANNOTATION} annotation` });
    else if (control === 'abort') Object.assign(rollout, { phase: 'Aborted', message: `aborted by the ${ROLLOUT_CONTROL_ANNOTATION} annotation` });
    else if (rollout.phase === 'Paused' || rollout.phase === 'Aborted') rollout.phase = 'Progressing';
  }
  return rollout;
}

/** Regatta: an Application of the rollout fails when its sync fails, it turns Degraded, or its step outlives the deadline. */
export function recordFailures(round: RolloutRound): void {
  const { input, stepsSpec, stepOf, entries, currentOf, rollout, failed, skipped, requeue } = round;
  const stepStart = (index: number) => rollout.stepStartedAt?.[String(index + 1)];
  const updated = new Set(rollout.updated);
  for (const entry of entries) {
    if (entry.status !== 'Pending' && entry.status !== 'Progressing') continue;
    const index = stepOf.get(entry.application);
    if (index === undefined || failed.has(entry.application) || skipped.has(entry.application) || !updated.has(entry.application)) continue;
    const observed = observedStatus(currentOf.get(entry.application)!);
    const deadline = stepSpec(stepsSpec, index).progressDeadlineSeconds;
    let reason: string | undefined;
    if (entry.status === 'Progressing' && (observed.operationState?.phase === 'Failed' || observed.operationState?.phase === 'Error')) {
      reason = `sync ${observed.operationState.phase}: ${observed.operationState.message ?? ''}`.trim();
    } else if (entry.status === 'Progressing' && observed.health?.status === 'Degraded') {
      reason = `health Degraded${observed.health.message ? `: ${observed.health.message}` : ''}`;
    } else if (deadline !== undefined && stepStart(index)) {
      const remaining = Date.parse(stepStart(index)!) + (deadline + windowWaitSeconds(rollout, index + 1, input.now)) * 1000 - input.now.getTime();
      if (remaining <= 0) reason = `not Healthy within progressDeadlineSeconds (${deadline}s)`;
      // While the step waits for a sync window, the deadline does not run down: the window's opening wakes the rollout instead.
      else if (!rollout.windowWait?.[String(index + 1)]?.since) requeue.push(remaining / 1000);
    }
    if (reason) {
      failed.add(entry.application);
      rollout.failed = [...(rollout.failed ?? []), { application: entry.application, step: index + 1, reason }];
    }
  }
}

/** Regatta: a step with more failures than its maxFailures halts the rollout, or starts rolling it back. */
export function haltOverFailureBudget(round: RolloutRound): void {
  const { now, stepsSpec, rollout } = round;
  const overBudget = stepsSpec.findIndex((step, index) => (rollout.failed ?? []).filter((f) => f.step === index + 1).length > (step.maxFailures ?? 0));
  if (overBudget >= 0 && rollout.phase !== 'Halted' && rollout.phase !== 'RollingBack' && rollout.phase !== 'RolledBack') {
    const step = stepSpec(stepsSpec, overBudget);
    const failures = (rollout.failed ?? []).filter((f) => f.step === overBudget + 1);
    rollout.phase = step.onFailure === 'rollback' ? 'RollingBack' : 'Halted';
    rollout.haltedAt = now;
    rollout.message = `step ${overBudget + 1}: ${failures.length} Application(s) failed, more than maxFailures ${step.maxFailures ?? 0} (${failures.map((f) => `${f.application}: ${f.reason}`).join('; ')})`;
  }
}

/** The rollout's phase and step after this reconcile: a running rollout goes on or completes; a stopped one keeps its phase. */
export function advanceRolloutStatus(rollout: RolloutStatus, progressingStep: number | undefined, waitSummary: string): void {
  if (rollout.phase === 'Progressing' || rollout.phase === 'Completed') {
    Object.assign(
      rollout,
      progressingStep
        ? { phase: 'Progressing', step: progressingStep, message: waitSummary || `rolling out step ${progressingStep}` }
        : { phase: 'Completed', step: 0, message: 'rollout complete' },
    );
  } else if (progressingStep) rollout.step = progressingStep;
}

/** Regatta: while the rollout rolls back, the Applications still to sync back, each once; RolledBack when all have been. */
export function planRollback(round: RolloutRound): RollbackRequest[] {
  const { currentOf, rollout } = round;
  const rollback = rollout.phase === 'RollingBack' ? rollbackRequests(rollout) : [];
  if (rollback.length) rollout.rolledBack = [...new Set([...(rollout.rolledBack ?? []), ...rollback.map((r) => r.application)])];
  if (rollout.phase === 'RollingBack' && !rollback.length && rollbackFinished(rollout, currentOf))
    Object.assign(rollout, { phase: 'RolledBack', message: `${rollout.message}; rolled back` });
  return rollback;
}

function rollbackRequests(rollout: RolloutStatus): RollbackRequest[] {
  const targets = new Set([...(rollout.failed ?? []).map((f) => f.application), ...(rollout.updated ?? [])]);
  const rolledBack = new Set(rollout.rolledBack);
  return [...targets]
    .filter((name) => !rolledBack.has(name) && (rollout.previousRevisions?.[name]?.length ?? 0) > 0)
    .sort()
    .map((name) => ({ application: name, revisions: rollout.previousRevisions![name] }));
}

function rollbackFinished(rollout: RolloutStatus, currentOf: Map<string, Application>): boolean {
  return (rollout.rolledBack ?? []).every((name) => {
    const application = currentOf.get(name);
    const operation = application && observedStatus(application).operationState;
    const revision = operation?.syncResult?.revisions?.length
      ? operation.syncResult.revisions
      : operation?.syncResult?.revision
        ? [operation.syncResult.revision]
        : [];
    return !application || (isSuccessfulPhase(operation?.phase) && sameRevisions(rollout.previousRevisions?.[name], revision));
  });
}
