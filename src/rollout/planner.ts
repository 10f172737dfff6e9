import { automatedSyncEnabled, type Application, type Operation, type SyncOperation } from '../api/application.js';
import type { ApplicationSet, ApplicationSetApplicationStatus, ApplicationSetCondition, ApplicationSetRolloutStep, RolloutStatus, RolloutWindowWait } from '../api/application-set.js';
import { applyIgnoreDifferences, deepEqual } from '../appset/application-diff.js';
import { describeWindowWait, type WindowWait } from '../projects/sync-windows.js';
import { isCompletedPhase, isSuccessfulPhase, observedStatus, revisionsOf } from './application-state.js';
import { groupIntoSteps, maxUpdateFor, rolloutConfigMessage, rollingSyncSteps } from './steps.js';

/** `pause` or `abort` on the ApplicationSet stops promotions; removing it resumes. */
export const ROLLOUT_CONTROL_ANNOTATION = 'rollout.regatta.dev/control';
/** A time later than a halt clears the rollout's failures and lets it go on. */
export const ROLLOUT_RESUMED_AT_ANNOTATION = 'rollout.regatta.dev/resumed-at';

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

/** Regatta: how an entry's message starts while a sync window holds its sync. */
export const WINDOW_HOLD_PREFIX = 'Application sync held: ';

export const SYNC_REASON = 'ApplicationSet RollingSync triggered a sync of this Application resource';

export interface RolloutInput {
  appSet: ApplicationSet;
  /** The generated Applications that passed validation, in generation order. */
  desired: Application[];
  /** The Applications the ApplicationSet owns now, with their status. */
  current: Application[];
  now: Date;
  /** Regatta: the Applications whose RollingSync sync a sync window of their project holds now, by name. */
  windowWaits?: ReadonlyMap<string, WindowWait>;
}

export interface RollbackRequest {
  application: string;
  revisions: string[];
}

export interface RolloutPlan {
  steps: string[][];
  applicationStatus: ApplicationSetApplicationStatus[];
  /** Applications whose step has been reached (Argo CD's appsToSync). */
  appsToSync: Set<string>;
  /** Applications that get a sync operation in this reconcile. */
  syncNow: string[];
  /** Applications to sync back to the revisions they ran before the rollout. */
  rollback: RollbackRequest[];
  conditions: Omit<ApplicationSetCondition, 'lastTransitionTime'>[];
  /** The desired Applications with automated sync off, and the sync (or rollback) operation where due. */
  desired: Application[];
  rollout: RolloutStatus;
  requeueAfterSeconds?: number;
}

type Entry = ApplicationSetApplicationStatus;

const sameRevisions = (a: string[] | undefined, b: string[]) => (a ?? []).length === b.length && (a ?? []).every((r, i) => r === b[i]);
const after = (a: string | undefined, b: string | undefined) => a !== undefined && b !== undefined && Date.parse(a) > Date.parse(b);
const byName = (a: Entry, b: Entry) => (a.application < b.application ? -1 : a.application > b.application ? 1 : 0);

/** RollingSync owns syncing: Argo CD writes every generated Application with automated.enabled=false. */
/** A copy that shares what it does not change: the planner runs over every Application of every reconcile. */
function withAutomatedDisabled(application: Application): Application {
  const policy = application.spec.syncPolicy;
  if (!policy?.automated) return { ...application };
  return { ...application, spec: { ...application.spec, syncPolicy: { ...policy, automated: { ...policy.automated, enabled: false } } } };
}

function specDiffers(appSet: ApplicationSet, live: Application, desired: Application): boolean {
  // Ignore rules delete fields in place, so they get a copy of their own.
  const candidate = appSet.spec.ignoreApplicationDifferences?.length ? structuredClone(withAutomatedDisabled(desired)) : withAutomatedDisabled(desired);
  applyIgnoreDifferences(candidate as unknown as Record<string, unknown>, live as unknown as Record<string, unknown>, appSet.spec.ignoreApplicationDifferences, live.metadata.name);
  return !deepEqual(candidate.spec, live.spec);
}

function hasErrorCondition(application: Application): boolean {
  return (observedStatus(application).conditions ?? []).some((c) => c.type === 'InvalidSpecError' || c.type === 'UnknownError');
}

/** Argo CD's first phase: each current Application's entry moves on from what its status shows. */
function advanceEntries(input: RolloutInput, stepOf: Map<string, number>, now: string): { entries: Entry[]; changed: Set<string> } {
  const previous = new Map((input.appSet.status?.applicationStatus ?? []).map((e) => [e.application, e]));
  const desired = new Map(input.desired.map((a) => [a.metadata.name, a]));
  const changed = new Set<string>();
  const entries = input.current.map((app): Entry => {
    const name = app.metadata.name;
    const observed = observedStatus(app);
    const health = observed.health?.status;
    const sync = observed.sync?.status;
    const revisions = revisionsOf(app);
    const current: Entry = previous.get(name) ?? { application: name, status: 'Waiting', step: '', message: Message.noStatus, lastTransitionTime: now, targetRevisions: revisions };
    const next: Entry = { ...current, step: String((stepOf.get(name) ?? -2) + 1) };
    // Regatta: no revisions yet means the Application had not been compared, not that it changed;
    // Argo CD would reset the entry to Waiting and sync a new Application a second time.
    const firstComparison = (current.targetRevisions ?? []).length === 0 && current.status !== 'Healthy';
    if (firstComparison) next.targetRevisions = revisions;
    const revisionsChanged = !firstComparison && !sameRevisions(current.targetRevisions, revisions);
    const wanted = desired.get(name);
    const specChanged = wanted !== undefined && specDiffers(input.appSet, app, wanted);
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
      if (current.status === 'Pending' && (observed.reconciledAt === undefined || after(observed.reconciledAt, next.lastTransitionTime))) {
        const operation = observed.operationState;
        if (operation && after(operation.startedAt, current.lastTransitionTime)) {
          move('Progressing', isSuccessfulPhase(operation.phase) ? Message.syncSucceeded : isCompletedPhase(operation.phase) ? Message.syncCompleted : Message.becameProgressing);
        } else if (hasErrorCondition(app)) {
          move('Progressing', Message.appError);
        }
      }
      if (current.status === 'Progressing' && health === 'Healthy' && sync === 'Synced') move('Healthy', Message.becameHealthy);
    }
    return next;
  });
  return { entries: entries.sort(byName), changed };
}

const stepSpec = (steps: ApplicationSetRolloutStep[], index: number) => steps[index] ?? {};

/**
 * One reconcile of a RollingSync ApplicationSet: Argo CD's progressive sync, step for step (entries,
 * step gating, maxUpdate, conditions, the sync operation), plus Regatta's bake time, progress
 * deadline, failure budget with halt or rollback, and pause/abort. Pure: the caller writes.
 */
export function planRollout(input: RolloutInput): RolloutPlan {
  const { appSet } = input;
  const now = input.now.toISOString();
  const stepsSpec = rollingSyncSteps(appSet);
  const { steps, stepOf, issues } = groupIntoSteps(appSet, input.desired);
  const { entries, changed } = advanceEntries(input, stepOf, now);
  const entryOf = new Map(entries.map((e) => [e.application, e]));
  const currentOf = new Map(input.current.map((a) => [a.metadata.name, a]));
  const requeue: number[] = [];

  const rollout = nextRolloutState(appSet, changed);
  const failed = new Set(rollout.failed?.map((f) => f.application));
  const stepStart = (index: number) => rollout.stepStartedAt?.[String(index + 1)];

  // Regatta: an Application of the rollout fails when its sync fails, it turns Degraded, or its step outlives the deadline.
  for (const entry of entries) {
    const index = stepOf.get(entry.application);
    if (index === undefined || failed.has(entry.application) || !rollout.updated?.includes(entry.application)) continue;
    if (entry.status !== 'Pending' && entry.status !== 'Progressing') continue;
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
  const overBudget = stepsSpec.findIndex((step, index) => (rollout.failed ?? []).filter((f) => f.step === index + 1).length > (step.maxFailures ?? 0));
  if (overBudget >= 0 && rollout.phase !== 'Halted' && rollout.phase !== 'RollingBack' && rollout.phase !== 'RolledBack') {
    const step = stepSpec(stepsSpec, overBudget);
    const failures = (rollout.failed ?? []).filter((f) => f.step === overBudget + 1);
    rollout.phase = step.onFailure === 'rollback' ? 'RollingBack' : 'Halted';
    rollout.haltedAt = now;
    rollout.message = `step ${overBudget + 1}: ${failures.length} Application(s) failed, more than maxFailures ${step.maxFailures ?? 0} (${failures.map((f) => `${f.application}: ${f.reason}`).join('; ')})`;
  }

  // Argo CD's step gating: a step opens when every Application of the previous one exists and is Healthy;
  // Regatta adds the bake time and lets failures within the budget count as done.
  const appsToSync = new Set<string>();
  const current = freshness(input.current);
  for (const [index, names] of steps.entries()) {
    for (const name of names) appsToSync.add(name);
    const done = names.every((name) => currentOf.has(name) && entryOf.has(name) && current(currentOf.get(name)!) && (entryOf.get(name)!.status === 'Healthy' || failed.has(name)));
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

  // Argo CD's second phase: Waiting → Pending within each step's maxUpdate, unless the rollout is stopped.
  const promote = rollout.phase === 'Progressing' || rollout.phase === 'Completed';
  const stepIndex = (name: string) => stepOf.get(name) ?? 0;
  const totals = stepsSpec.map(() => 0);
  const updating = stepsSpec.map(() => 0);
  for (const entry of entries) {
    totals[stepIndex(entry.application)]++;
    if (entry.status === 'Pending' || entry.status === 'Progressing') updating[stepIndex(entry.application)]++;
  }
  for (const entry of entries) {
    const index = stepIndex(entry.application);
    const { limit, invalid } = maxUpdateFor(stepSpec(stepsSpec, index).maxUpdate, totals[index]);
    if (invalid !== undefined && !issues.invalidMaxUpdates.some((i) => i.step === index)) issues.invalidMaxUpdates.push({ step: index, value: invalid });
    if (!promote && entry.status === 'Pending' && (rollout.phase === 'Aborted' || rollout.phase === 'Halted' || rollout.phase === 'RollingBack') && !startedSince(currentOf.get(entry.application), entry)) {
      Object.assign(entry, { status: 'Waiting', message: `Rollout ${rollout.phase.toLowerCase()}, sync not started`, lastTransitionTime: now });
      continue;
    }
    if (promote && entry.status === 'Waiting' && appsToSync.has(entry.application) && updating[index] < limit) {
      Object.assign(entry, { status: 'Pending', message: Message.movedToPending, lastTransitionTime: now });
      updating[index]++;
      rollout.updated = [...new Set([...(rollout.updated ?? []), entry.application])];
      rollout.stepStartedAt = { [String(index + 1)]: now, ...rollout.stepStartedAt };
    }
  }

  const waiting = holdForWindows(input, rollout, entries, currentOf, failed);
  for (const wait of waiting) if (wait.opensAt) requeue.push((Date.parse(wait.opensAt) - input.now.getTime()) / 1000 + 1);
  const progressing = progressingCondition(stepsSpec.length, entries);
  const waitSummary = summarizeWaits(waiting.filter((w) => w.step === progressing.step));
  const configMessage = rolloutConfigMessage(issues);
  const conditions: RolloutPlan['conditions'] = [
    configMessage
      ? { type: 'InvalidRolloutConfig', status: 'True', reason: 'InvalidRolloutConfig', message: configMessage }
      : { type: 'InvalidRolloutConfig', status: 'False', reason: 'ValidRolloutConfig', message: 'Rolling Sync Configured correctly' },
    progressing.step
      ? { type: 'RolloutProgressing', status: 'True', reason: 'ApplicationSetModified', message: waitSummary || `ApplicationSet is performing rollout of step ${progressing.step}` }
      : { type: 'RolloutProgressing', status: 'False', reason: 'ApplicationSetRolloutComplete', message: 'ApplicationSet Rollout has completed' },
  ];
  if (rollout.phase === 'Progressing' || rollout.phase === 'Completed') {
    Object.assign(rollout, progressing.step ? { phase: 'Progressing', step: progressing.step, message: waitSummary || `rolling out step ${progressing.step}` } : { phase: 'Completed', step: 0, message: 'rollout complete' });
  } else if (progressing.step) rollout.step = progressing.step;

  const rollback = rollout.phase === 'RollingBack' ? rollbackRequests(rollout) : [];
  if (rollback.length) rollout.rolledBack = [...new Set([...(rollout.rolledBack ?? []), ...rollback.map((r) => r.application)])];
  if (rollout.phase === 'RollingBack' && !rollback.length && rollbackFinished(rollout, currentOf)) Object.assign(rollout, { phase: 'RolledBack', message: `${rollout.message}; rolled back` });

  const syncNow: string[] = [];
  const rollbackOf = new Map(rollback.map((r) => [r.application, r.revisions]));
  const desired = input.desired.map((application) => {
    const name = application.metadata.name;
    const prune = automatedSyncEnabled(application) ? application.spec.syncPolicy?.automated?.prune === true : false;
    const out = withAutomatedDisabled(application);
    const revisions = rollbackOf.get(name);
    if (revisions) out.operation = syncOperation(out, prune, `Regatta rolled back this Application to ${revisions.join(', ')} after a failed rollout`, `rollback of the rollout halted at ${rollout.haltedAt ?? ''}`, revisions);
    else if (entryOf.get(name)?.status === 'Pending' && appsToSync.has(name)) {
      const entry = entryOf.get(name)!;
      out.operation = syncOperation(out, prune, SYNC_REASON, `step ${entry.step}, pending since ${entry.lastTransitionTime ?? ''}`);
      syncNow.push(name);
    }
    return out;
  });

  return {
    steps,
    applicationStatus: entries,
    appsToSync,
    syncNow: syncNow.sort(),
    rollback,
    conditions,
    desired,
    rollout,
    ...(requeue.length ? { requeueAfterSeconds: Math.max(1, Math.ceil(Math.min(...requeue))) } : {}),
  };
}

/**
 * Regatta: Applications that track the same branch see a push one refresh at a time. Until an
 * earlier step's Application has seen the revision that the most recently refreshed Application
 * of its source saw, its Healthy is about the old revision, and the next step must not open.
 */
function freshness(applications: Application[]): (application: Application) => boolean {
  const sourceKey = (app: Application) => JSON.stringify((app.spec.sources ?? (app.spec.source ? [app.spec.source] : [])).map((s) => [s.repoURL, s.targetRevision ?? 'HEAD', s.chart ?? '']));
  const newest = new Map<string, { at: number; revisions: string[] }>();
  for (const app of applications) {
    const at = Date.parse(observedStatus(app).reconciledAt ?? '') || 0;
    const key = sourceKey(app);
    if (at > (newest.get(key)?.at ?? -1)) newest.set(key, { at, revisions: revisionsOf(app) });
  }
  return (app) => sameRevisions(newest.get(sourceKey(app))?.revisions, revisionsOf(app));
}

function startedSince(application: Application | undefined, entry: Entry): boolean {
  return application !== undefined && after(observedStatus(application).operationState?.startedAt, entry.lastTransitionTime);
}

/** Seconds the step (1-based) has spent with Applications held by a sync window, the current wait included. */
function windowWaitSeconds(rollout: RolloutStatus, step: number, now: Date): number {
  const wait = rollout.windowWait?.[String(step)];
  if (!wait) return 0;
  return wait.seconds + (wait.since ? Math.max(0, now.getTime() - Date.parse(wait.since)) / 1000 : 0);
}

const WAIT_GROUPS_KEPT = 20;
const WAIT_GROUPS_SHOWN = 3;

/** One step's holds in a line: `step 2: 3 Applications waiting for …; 1 Application waiting for …`. */
function summarizeWaits(waits: RolloutWindowWait[]): string {
  if (!waits.length) return '';
  const parts = waits.slice(0, WAIT_GROUPS_SHOWN).map((w) => w.message.slice(`step ${w.step}: `.length));
  const more = waits.length > WAIT_GROUPS_SHOWN ? `; and ${waits.length - WAIT_GROUPS_SHOWN} more groups` : '';
  return `step ${waits[0].step}: ${parts.join('; ')}${more}`;
}

/**
 * Regatta: the released Applications whose sync a sync window holds (Pending, or Progressing on a
 * sync that has not run). Their entries say why, the steps' wait time is kept (it extends their
 * progress deadlines), and the holds are returned grouped by step and by what holds them.
 */
function holdForWindows(input: RolloutInput, rollout: RolloutStatus, entries: Entry[], currentOf: Map<string, Application>, failed: Set<string>): RolloutWindowWait[] {
  const now = input.now.toISOString();
  const groups = new Map<string, RolloutWindowWait>();
  const heldSteps = new Set<string>();
  for (const entry of entries) {
    const wait = input.windowWaits?.get(entry.application);
    const operation = currentOf.get(entry.application) && observedStatus(currentOf.get(entry.application)!).operationState;
    const awaitingSync = entry.status === 'Pending' || (entry.status === 'Progressing' && operation?.phase === 'Running');
    const held = wait && awaitingSync && rollout.updated?.includes(entry.application) && !failed.has(entry.application);
    if (!held) {
      if (entry.message.startsWith(WINDOW_HOLD_PREFIX)) entry.message = entry.status === 'Pending' ? Message.movedToPending : Message.becameProgressing;
      continue;
    }
    const reason = describeWindowWait(wait, input.now);
    entry.message = `${WINDOW_HOLD_PREFIX}${reason}`;
    heldSteps.add(entry.step);
    const key = `${entry.step}\n${reason}`;
    const group = groups.get(key) ?? { step: Number(entry.step), applications: 0, ...wait, message: reason };
    group.applications++;
    groups.set(key, group);
  }
  const windowWait: NonNullable<RolloutStatus['windowWait']> = {};
  for (const step of new Set([...heldSteps, ...Object.keys(rollout.windowWait ?? {})])) {
    const previous = rollout.windowWait?.[step] ?? { seconds: 0 };
    if (heldSteps.has(step)) windowWait[step] = previous.since ? previous : { seconds: previous.seconds, since: now };
    else windowWait[step] = { seconds: Math.round(windowWaitSeconds(rollout, Number(step), input.now)) };
  }
  if (Object.keys(windowWait).length) rollout.windowWait = windowWait;
  const waiting = [...groups.values()]
    .map((group) => ({ ...group, message: `step ${group.step}: ${group.applications} Application${group.applications === 1 ? '' : 's'} ${group.message}` }))
    .sort((a, b) => a.step - b.step || b.applications - a.applications || (a.message < b.message ? -1 : 1))
    .slice(0, WAIT_GROUPS_KEPT);
  if (waiting.length) rollout.waiting = waiting;
  else delete rollout.waiting;
  return waiting;
}

/** Regatta's rollout state: a change seen on a settled rollout starts a new one; control annotations pause or abort it. */
function nextRolloutState(appSet: ApplicationSet, changed: Set<string>): RolloutStatus {
  const previous = appSet.status?.rollout;
  const settled = !previous || previous.phase === 'Completed' || previous.phase === 'Halted' || previous.phase === 'RolledBack';
  let rollout: RolloutStatus = previous ? structuredClone(previous) : { phase: 'Progressing', step: 0, message: '' };
  if (changed.size && settled) rollout = { phase: 'Progressing', step: 0, message: '' };
  const priorEntries = new Map((appSet.status?.applicationStatus ?? []).map((e) => [e.application, e]));
  for (const name of changed) {
    const before = priorEntries.get(name)?.targetRevisions ?? [];
    if (before.length && !rollout.previousRevisions?.[name]) rollout.previousRevisions = { ...rollout.previousRevisions, [name]: before };
  }
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

function rollbackRequests(rollout: RolloutStatus): RollbackRequest[] {
  const targets = new Set([...(rollout.failed ?? []).map((f) => f.application), ...(rollout.updated ?? [])]);
  return [...targets]
    .filter((name) => !rollout.rolledBack?.includes(name) && (rollout.previousRevisions?.[name]?.length ?? 0) > 0)
    .sort()
    .map((name) => ({ application: name, revisions: rollout.previousRevisions![name] }));
}

function rollbackFinished(rollout: RolloutStatus, currentOf: Map<string, Application>): boolean {
  return (rollout.rolledBack ?? []).every((name) => {
    const application = currentOf.get(name);
    const operation = application && observedStatus(application).operationState;
    const revision = operation?.syncResult?.revisions?.length ? operation.syncResult.revisions : operation?.syncResult?.revision ? [operation.syncResult.revision] : [];
    return !application || (isSuccessfulPhase(operation?.phase) && sameRevisions(rollout.previousRevisions?.[name], revision));
  });
}

/** Argo CD's RolloutProgressing: the first step (in order) with an Application that is not Healthy. */
function progressingCondition(stepCount: number, entries: Entry[]): { step?: number } {
  for (let step = 1; step <= stepCount; step++) {
    const inStep = entries.filter((e) => e.step === String(step));
    if (inStep.length && inStep.some((e) => e.status !== 'Healthy')) return { step };
  }
  return {};
}

/** Names the promotion (step and Pending time, or the halted rollout's rollback) in a RollingSync operation's info. */
export const PROMOTION_INFO = 'regatta.dev/promotion';

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
