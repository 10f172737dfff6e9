import { describe, expect, it } from 'vitest';
import type { Application, ApplicationStatus } from '../../src/api/application.js';
import type { ApplicationSetApplicationStatus } from '../../src/api/application-set.js';
import { ROLLOUT_RESUMED_AT_ANNOTATION } from '../../src/api/annotations.js';
import { Message, planRollout, SYNC_REASON, type RolloutPlan } from '../../src/rollout/planner.js';
import { RolloutWorld } from './rollout-world.js';

/**
 * How an entry leaves Pending, read from Argo CD's applicationset/progressivesync/progressive_sync.go
 * on these inputs: UpdateApplicationSetApplicationStatus moves the entries (phase 1),
 * UpdateApplicationSetApplicationStatusProgress releases Waiting ones (phase 2), SyncDesiredApplications
 * and syncApplication write the operation. Each case is one reconcile from a given status.
 */

const RELEASED_AT = '2026-01-01T00:00:00Z';
const NOW = new Date('2026-01-01T00:10:00Z');
const AFTER_RELEASE = '2026-01-01T00:05:00Z';
const BEFORE_RELEASE = '2025-12-31T23:00:00Z';

const env = (value: string) => ({ key: 'envLabel', operator: 'In', values: [value] });
const dev = RolloutWorld.app('dev', { envLabel: 'dev' });
const prod = RolloutWorld.app('prod', { envLabel: 'prod' });

const entry = (application: string, status: string, step: string, targetRevisions = ['r2']): ApplicationSetApplicationStatus => ({
  application,
  status,
  step,
  message: 'previous',
  lastTransitionTime: RELEASED_AT,
  targetRevisions,
});

/** The live Application as RollingSync wrote it (automated sync off), with the status given. */
function live(app: Application, status: object): Application {
  const written = structuredClone(app);
  written.spec.syncPolicy = { automated: { prune: true, enabled: false } };
  return { ...written, status: { reconciledAt: AFTER_RELEASE, ...status } as ApplicationStatus };
}

const outOfSync = { sync: { status: 'OutOfSync', revision: 'r2' }, health: { status: 'Healthy' } };
const syncedHealthy = { sync: { status: 'Synced', revision: 'r2' }, health: { status: 'Healthy' } };

/** One reconcile of a two-step rollout (dev, then prod) from the entries and live Applications given. */
function reconcile(entries: ApplicationSetApplicationStatus[], current: Application[]): RolloutPlan {
  const world = new RolloutWorld([dev, prod], [{ matchExpressions: [env('dev')] }, { matchExpressions: [env('prod')] }]);
  world.appSet.status = {
    applicationStatus: entries,
    rollout: { phase: 'Progressing', step: 1, message: '', updated: ['dev'], stepStartedAt: { '1': RELEASED_AT } },
  };
  return planRollout({ appSet: world.appSet, desired: [dev, prod], current, now: NOW });
}

const entryOf = (plan: RolloutPlan, name: string) => plan.applicationStatus.find((e) => e.application === name);
const operationOf = (plan: RolloutPlan, name: string) => plan.desired.find((a) => a.metadata.name === name)?.operation;
const prodWaiting = () => [entry('prod', 'Waiting', '2'), live(prod, outOfSync)] as const;

describe('leaving Pending (Argo CD progressive_sync.go)', () => {
  it('Pending and OutOfSync with nothing started since: stays Pending and gets the sync operation syncApplication writes', () => {
    const [prodEntry, prodLive] = prodWaiting();
    const plan = reconcile([entry('dev', 'Pending', '1'), prodEntry], [live(dev, outOfSync), prodLive]);
    // UpdateApplicationSetApplicationStatus: no OperationState started after the Pending transition, no error condition → no move.
    expect(entryOf(plan, 'dev')).toMatchObject({ status: 'Pending', message: 'previous' });
    // SyncDesiredApplications: Pending in the status it read and in appsToSync → syncApplication.
    expect(plan.syncNow).toEqual(['dev']);
    expect(operationOf(plan, 'dev')).toMatchObject({
      initiatedBy: { username: 'applicationset-controller', automated: true },
      info: expect.arrayContaining([{ name: 'Reason', value: SYNC_REASON }]),
      // prune from the automated policy the generated Application had; Retry limit 5 when the policy sets none.
      sync: { prune: true },
      retry: { limit: 5 },
    });
    // It was Pending already: not a same-reconcile release.
    expect(plan.releasedNow).toEqual([]);
    // getAppsToSync: step 2 opens only when every Application of step 1 is Healthy.
    expect(entryOf(plan, 'prod')?.status).toBe('Waiting');
    expect(operationOf(plan, 'prod')).toBeUndefined();
  });

  it('an operation that started before the Pending transition does not count: still Pending, synced', () => {
    const [prodEntry, prodLive] = prodWaiting();
    const old = { phase: 'Succeeded', startedAt: BEFORE_RELEASE, syncResult: { revision: 'r1' } };
    const plan = reconcile([entry('dev', 'Pending', '1'), prodEntry], [live(dev, { ...outOfSync, operationState: old }), prodLive]);
    // progressive_sync.go: OperationState.StartedAt must be After the entry's LastTransitionTime.
    expect(entryOf(plan, 'dev')?.status).toBe('Pending');
    expect(plan.syncNow).toEqual(['dev']);
  });

  it('not refreshed since the Pending transition: nothing is judged from the stale status', () => {
    const [prodEntry, prodLive] = prodWaiting();
    const stale = { ...syncedHealthy, reconciledAt: BEFORE_RELEASE, operationState: { phase: 'Succeeded', startedAt: AFTER_RELEASE } };
    const plan = reconcile([entry('dev', 'Pending', '1'), prodEntry], [live(dev, stale), prodLive]);
    // progressive_sync.go: the Pending branch runs only when ReconciledAt is nil or After the LastTransitionTime.
    expect(entryOf(plan, 'dev')?.status).toBe('Pending');
  });

  it.each([
    ['Running', Message.becameProgressing],
    ['Succeeded', Message.syncSucceeded],
    ['Failed', Message.syncCompleted],
    ['Error', Message.syncCompleted],
  ])('an operation %s since the transition: Progressing with Argo CD message, and not synced again', (phase, message) => {
    const [prodEntry, prodLive] = prodWaiting();
    const operationState = { phase, startedAt: AFTER_RELEASE, ...(phase === 'Running' ? {} : { finishedAt: AFTER_RELEASE }) };
    const plan = reconcile([entry('dev', 'Pending', '1'), prodEntry], [live(dev, { ...outOfSync, operationState }), prodLive]);
    // progressive_sync.go: Successful() / Completed() / otherwise pick the message.
    expect(entryOf(plan, 'dev')).toMatchObject({ status: 'Progressing', message, lastTransitionTime: NOW.toISOString() });
    expect(plan.syncNow).toEqual([]);
    expect(operationOf(plan, 'dev')).toBeUndefined();
    expect(entryOf(plan, 'prod')?.status).toBe('Waiting');
  });

  it('a sync that succeeded onto a Healthy, Synced Application: Healthy in the same reconcile, and the next step released', () => {
    const [prodEntry, prodLive] = prodWaiting();
    const operationState = { phase: 'Succeeded', startedAt: AFTER_RELEASE, finishedAt: AFTER_RELEASE };
    const plan = reconcile([entry('dev', 'Pending', '1'), prodEntry], [live(dev, { ...syncedHealthy, operationState }), prodLive]);
    // Argo CD writes Progressing now and Healthy one reconcile later, from this same Application status.
    expect(entryOf(plan, 'dev')).toMatchObject({ status: 'Healthy', message: Message.becameHealthy, lastTransitionTime: NOW.toISOString() });
    expect(entryOf(plan, 'prod')).toMatchObject({ status: 'Pending', message: Message.movedToPending });
    expect(plan.releasedNow).toEqual(['prod']);
    expect(plan.requeueAfterSeconds).toBeUndefined();
  });

  it.each(['Failed', 'Running'])('a sync %s onto a Healthy, Synced Application: Progressing now, and the next reconcile asked for', (phase) => {
    const [prodEntry, prodLive] = prodWaiting();
    const operationState = { phase, startedAt: AFTER_RELEASE, ...(phase === 'Running' ? {} : { finishedAt: AFTER_RELEASE }) };
    const plan = reconcile([entry('dev', 'Pending', '1'), prodEntry], [live(dev, { ...syncedHealthy, operationState }), prodLive]);
    expect(entryOf(plan, 'dev')?.status).toBe('Progressing');
    expect(entryOf(plan, 'prod')?.status).toBe('Waiting');
    expect(plan.requeueAfterSeconds).toBe(1);
  });

  it('Progressing becomes Healthy only when the Application is Healthy and Synced, and then the next step is released', () => {
    const [prodEntry, prodLive] = prodWaiting();
    const done = { ...syncedHealthy, operationState: { phase: 'Succeeded', startedAt: AFTER_RELEASE } };
    const degraded = { ...syncedHealthy, health: { status: 'Progressing' }, operationState: done.operationState };
    const waiting = reconcile([entry('dev', 'Progressing', '1'), prodEntry], [live(dev, degraded), prodLive]);
    expect(entryOf(waiting, 'dev')?.status).toBe('Progressing');
    expect(entryOf(waiting, 'prod')?.status).toBe('Waiting');
    const healthy = reconcile([entry('dev', 'Progressing', '1'), prodEntry], [live(dev, done), prodLive]);
    expect(entryOf(healthy, 'dev')).toMatchObject({ status: 'Healthy', message: Message.becameHealthy });
    // Regatta releases prod and sets its operation in this same reconcile (Argo CD: one reconcile later).
    expect(entryOf(healthy, 'prod')).toMatchObject({ status: 'Pending', message: Message.movedToPending });
    expect(healthy.syncNow).toEqual(['prod']);
    expect(healthy.releasedNow).toEqual(['prod']);
    expect(operationOf(healthy, 'dev')).toBeUndefined();
  });

  it('Pending but already Synced with nothing started since: moves on as a Synced Application does, without a second sync', () => {
    const [prodEntry, prodLive] = prodWaiting();
    const healthy = reconcile([entry('dev', 'Pending', '1'), prodEntry], [live(dev, syncedHealthy), prodLive]);
    // The Synced rule of UpdateApplicationSetApplicationStatus (Healthy → Healthy, else Progressing).
    expect(entryOf(healthy, 'dev')).toMatchObject({ status: 'Healthy', message: Message.syncedHealthy });
    expect(operationOf(healthy, 'dev')).toBeUndefined();
    const progressing = reconcile([entry('dev', 'Pending', '1'), prodEntry], [live(dev, { ...syncedHealthy, health: { status: 'Progressing' } }), prodLive]);
    expect(entryOf(progressing, 'dev')).toMatchObject({ status: 'Progressing', message: Message.syncedProgressing });
    expect(progressing.syncNow).toEqual([]);
  });

  it.each(['InvalidSpecError', 'UnknownError'])('an Application with %s moves to Progressing and holds its step', (type) => {
    const [prodEntry, prodLive] = prodWaiting();
    const broken = { sync: { status: 'Unknown' }, health: { status: 'Unknown' }, conditions: [{ type, message: 'spec.destination: cluster not found' }] };
    const first = reconcile([entry('dev', 'Pending', '1', []), prodEntry], [live(dev, broken), prodLive]);
    // isApplicationWithError: InvalidSpecError or UnknownError → Progressing "has error and cannot sync".
    expect(entryOf(first, 'dev')).toMatchObject({ status: 'Progressing', message: Message.appError });
    expect(first.syncNow).toEqual([]);
    // Progressing never turns Healthy while the error lasts, so getAppsToSync never reaches step 2.
    const later = reconcile([entryOf(first, 'dev')!, prodEntry], [live(dev, broken), prodLive]);
    expect(entryOf(later, 'dev')?.status).toBe('Progressing');
    expect(entryOf(later, 'prod')?.status).toBe('Waiting');
    expect(later.syncNow).toEqual([]);
    // Not a failure of the rollout (no failed sync, not Degraded): it simply waits, as Argo CD's does.
    expect(later.rollout.failed).toBeUndefined();
    expect(later.conditions).toContainEqual(
      expect.objectContaining({ type: 'RolloutProgressing', status: 'True', message: 'ApplicationSet is performing rollout of step 1' }),
    );
  });

  it('a failed sync holds its step: Progressing, never Healthy, the next step never released nor synced', () => {
    const [prodEntry, prodLive] = prodWaiting();
    const failed = {
      ...outOfSync,
      operationState: { phase: 'Failed', startedAt: AFTER_RELEASE, finishedAt: AFTER_RELEASE, message: 'one or more objects failed to apply' },
    };
    let entries = [entry('dev', 'Pending', '1'), prodEntry];
    for (let round = 0; round < 3; round++) {
      const plan = reconcile(entries, [live(dev, failed), prodLive]);
      // "It is not the appset's job to retry failed syncs": Progressing until Healthy and Synced, which it never is.
      expect(entryOf(plan, 'dev')?.status).toBe('Progressing');
      expect(entryOf(plan, 'prod')?.status).toBe('Waiting');
      expect(plan.syncNow).toEqual([]);
      entries = plan.applicationStatus;
    }
  });
});

describe('after a failed sync (Regatta: maxFailures defaults to 0)', () => {
  it('the rollout halts, and the step stays closed when the Application recovers until the rollout is resumed', () => {
    const world = new RolloutWorld([dev, prod], [{ matchExpressions: [env('dev')] }, { matchExpressions: [env('prod')] }]);
    world.appSet.status = {
      applicationStatus: [entry('dev', 'Pending', '1'), entry('prod', 'Waiting', '2')],
      rollout: { phase: 'Progressing', step: 1, message: '', updated: ['dev'], stepStartedAt: { '1': RELEASED_AT } },
    };
    const at = (iso: string) => new Date(iso);
    const next = (current: Application[], now: Date) => {
      const plan = planRollout({ appSet: world.appSet, desired: [dev, prod], current, now });
      world.appSet.status = { applicationStatus: plan.applicationStatus, rollout: plan.rollout };
      return plan;
    };
    const prodLive = live(prod, outOfSync);
    const failedSync = { phase: 'Failed', startedAt: AFTER_RELEASE, finishedAt: AFTER_RELEASE, message: 'one or more objects failed to apply' };
    const halted = next([live(dev, { ...outOfSync, operationState: failedSync }), prodLive], NOW);
    expect(halted.rollout).toMatchObject({ phase: 'Halted', failed: [{ application: 'dev', step: 1 }] });

    // dev is synced again by hand and turns Healthy. Argo CD's entry goes Progressing → Healthy and getAppsToSync
    // then opens step 2, so prod is moved to Pending; Regatta's halted rollout releases nothing more.
    const handSync = { phase: 'Succeeded', startedAt: '2026-01-01T00:11:00Z', finishedAt: '2026-01-01T00:11:30Z' };
    const recovered = live(dev, { ...syncedHealthy, reconciledAt: '2026-01-01T00:12:00Z', operationState: handSync });
    const stillHalted = next([recovered, prodLive], at('2026-01-01T00:13:00Z'));
    expect(entryOf(stillHalted, 'dev')?.status).toBe('Healthy');
    expect(entryOf(stillHalted, 'prod')?.status).toBe('Waiting');
    expect(stillHalted.syncNow).toEqual([]);
    expect(stillHalted.rollout.phase).toBe('Halted');

    world.appSet.metadata.annotations = { [ROLLOUT_RESUMED_AT_ANNOTATION]: '2026-01-01T00:14:00Z' };
    const resumed = next([recovered, prodLive], at('2026-01-01T00:15:00Z'));
    expect(entryOf(resumed, 'prod')?.status).toBe('Pending');
    expect(resumed.syncNow).toEqual(['prod']);
  });
});

describe('Waiting entries (Argo CD progressive_sync.go)', () => {
  it('Waiting and Synced: Healthy (or Progressing) without an operation; Waiting and OutOfSync in a reached step: Pending and synced now', () => {
    const plan = reconcile(
      [entry('dev', 'Waiting', '1'), entry('prod', 'Waiting', '2')],
      [live(dev, outOfSync), live(prod, { ...syncedHealthy, health: { status: 'Progressing' } })],
    );
    expect(entryOf(plan, 'prod')).toMatchObject({ status: 'Progressing', message: Message.syncedProgressing });
    expect(operationOf(plan, 'prod')).toBeUndefined();
    expect(entryOf(plan, 'dev')).toMatchObject({ status: 'Pending', message: Message.movedToPending, lastTransitionTime: NOW.toISOString() });
    expect(plan.releasedNow).toEqual(['dev']);
    expect(operationOf(plan, 'dev')?.info).toContainEqual({ name: 'Reason', value: SYNC_REASON });
  });
});
