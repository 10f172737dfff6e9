import { describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import type { WindowWait } from '../../src/projects/sync-windows.js';
import { Message, planRollout, SYNC_REASON } from '../../src/rollout/planner.js';
import { PROMOTION_INFO, ROLLOUT_CONTROL_ANNOTATION, ROLLOUT_RESUMED_AT_ANNOTATION } from '../../src/api/annotations.js';
import { groupIntoSteps, maxUpdateFor, rolloutConfigMessage } from '../../src/rollout/steps.js';
import { deployed, RolloutWorld } from './rollout-world.js';

const env = (value: string) => ({ key: 'envLabel', operator: 'In', values: [value] });

/** The number of Applications of `names` that were Pending or Progressing after each reconcile. */
function inFlightAfterEachReconcile(world: RolloutWorld, names: string[]): number[] {
  return world.plans.map(
    (plan) => plan.applicationStatus.filter((e) => names.includes(e.application) && (e.status === 'Pending' || e.status === 'Progressing')).length,
  );
}

describe('grouping Applications into steps (Argo CD buildAppDependencyList)', () => {
  const appSet = (steps: object[]) => new RolloutWorld([], steps as never).appSet;
  const apps = [
    RolloutWorld.app('a', { env: 'dev', region: 'eu' }),
    RolloutWorld.app('b', { env: 'prod', region: 'us' }),
    RolloutWorld.app('c', { region: 'eu' }),
  ];

  it('ANDs expressions; In needs the label; NotIn passes a missing label; NotIn wins over In', () => {
    const { steps, stepOf } = groupIntoSteps(
      appSet([
        {
          matchExpressions: [
            { key: 'env', operator: 'In', values: ['dev', 'prod'] },
            { key: 'region', operator: 'NotIn', values: ['us'] },
          ],
        },
        { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] },
      ]),
      apps,
    );
    expect(steps).toEqual([['a'], ['b', 'c']]);
    expect(stepOf.get('c')).toBe(1);
  });

  it('reports an unknown operator once per step and selects nothing with it when the label exists', () => {
    const { steps, issues } = groupIntoSteps(appSet([{ matchExpressions: [{ key: 'env', operator: 'Exists' }] }]), apps);
    expect(steps).toEqual([['c']]);
    expect(rolloutConfigMessage(issues)).toBe("Step 1 has invalid matchExpression operators: Exists. Supported Operators are 'In' and 'NotIn'");
  });

  it('lists an Application selected twice in both steps and names the steps', () => {
    const { steps, issues } = groupIntoSteps(
      appSet([{ matchExpressions: [] }, { matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] }, { matchExpressions: [] }]),
      apps,
    );
    expect(steps).toEqual([['a', 'b', 'c'], ['a'], ['a', 'b', 'c']]);
    expect(rolloutConfigMessage(issues)).toBe("Applications 'a', 'b', 'c' are selected by multiple steps: [(1-2-3), (1-3), (1-3)]");
  });

  it('reports steps that select nothing as Go prints the list', () => {
    const { issues } = groupIntoSteps(
      appSet(
        [env('none'), { matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] }, env('none')].map((e) =>
          'key' in e ? { matchExpressions: [e] } : e,
        ),
      ),
      apps,
    );
    expect(rolloutConfigMessage(issues)).toBe('Steps [1 3] have no applications matching their criteria');
  });
});

describe('maxUpdate (intstr scaled down, at least one for a percentage above 0%)', () => {
  it.each([
    [undefined, 7, Infinity],
    [2, 7, 2],
    [0, 7, 0],
    ['0%', 7, 0],
    ['10%', 7, 1],
    ['25%', 8, 2],
    ['50%', 5, 2],
    ['100%', 5, 5],
  ])('%s of %d → %d', (maxUpdate, total, limit) => {
    expect(maxUpdateFor(maxUpdate, total).limit).toBe(limit);
  });

  it('an invalid value is reported and, as in Argo CD, lets one Application through', () => {
    expect(maxUpdateFor('ten', 4)).toEqual({ limit: 1, invalid: 'ten' });
    const apps = ['a', 'b'].map((n) => RolloutWorld.app(n, { envLabel: 'dev' }));
    const world = new RolloutWorld(apps, [{ matchExpressions: [env('dev')], maxUpdate: 'ten' }]);
    deployed(world, apps);
    world.reconcile();
    world.revision = 'r2';
    world.appController();
    const plan = world.reconcile();
    expect(plan.syncNow).toEqual(['a']);
    expect(plan.conditions.find((c) => c.type === 'InvalidRolloutConfig')).toEqual({
      type: 'InvalidRolloutConfig',
      status: 'True',
      // applicationset_types.go ApplicationSetReasonInvalidRolloutConfig, set by progressive_sync.go getInvalidRolloutConfig.
      reason: 'ApplicationSetInvalidRolloutConfig',
      message: 'Step 1 has an invalid maxUpdate value: ten',
    });
  });
});

describe("Argo CD's Progressive Syncs page, the guestbook example", () => {
  const apps = [
    RolloutWorld.app('engineering-dev', { envLabel: 'env-dev' }),
    RolloutWorld.app('engineering-qa', { envLabel: 'env-qa' }),
    RolloutWorld.app('engineering-prod', { envLabel: 'env-prod' }),
  ];
  const steps = [
    { matchExpressions: [env('env-dev')] },
    { matchExpressions: [env('env-qa')], maxUpdate: 0 },
    { matchExpressions: [env('env-prod')], maxUpdate: '10%' },
  ];

  it('turning RollingSync on: autosync off, every synced Healthy Application Healthy, rollout complete', () => {
    const world = new RolloutWorld(apps, steps);
    deployed(world, apps);
    const plan = world.reconcile();
    expect(plan.steps).toEqual([['engineering-dev'], ['engineering-qa'], ['engineering-prod']]);
    expect(plan.applicationStatus.map((e) => [e.application, e.status, e.step, e.message])).toEqual([
      ['engineering-dev', 'Healthy', '1', Message.syncedHealthy],
      ['engineering-prod', 'Healthy', '3', Message.syncedHealthy],
      ['engineering-qa', 'Healthy', '2', Message.syncedHealthy],
    ]);
    expect(plan.desired.every((a) => a.spec.syncPolicy?.automated?.enabled === false && !a.operation)).toBe(true);
    expect(plan.conditions).toContainEqual({
      type: 'RolloutProgressing',
      status: 'False',
      reason: 'ApplicationSetRolloutComplete',
      message: 'ApplicationSet Rollout has completed',
    });
    expect(plan.conditions).toContainEqual({
      type: 'InvalidRolloutConfig',
      status: 'False',
      // applicationset_types.go ApplicationSetReasonValidRolloutConfig, set by progressive_sync.go getInvalidRolloutConfig.
      reason: 'ApplicationSetValidRolloutConfig',
      message: 'Rolling Sync Configured correctly',
    });
  });

  it('a push: env-dev synced first, env-qa (maxUpdate 0) waits for a manual sync, then env-prod', () => {
    const world = new RolloutWorld(apps, steps);
    deployed(world, apps);
    world.reconcile();
    world.revision = 'r2';
    world.appController();

    let plan = world.reconcile();
    expect(plan.syncNow).toEqual(['engineering-dev']);
    expect(plan.applicationStatus.find((e) => e.application === 'engineering-qa')).toMatchObject({
      status: 'Waiting',
      message: Message.revisionChanged,
      targetRevisions: ['r2'],
    });
    expect(plan.applicationStatus.find((e) => e.application === 'engineering-dev')).toMatchObject({ status: 'Pending', message: Message.movedToPending });
    expect(plan.desired.find((a) => a.metadata.name === 'engineering-dev')!.operation).toEqual({
      initiatedBy: { username: 'applicationset-controller', automated: true },
      info: [
        { name: 'Reason', value: SYNC_REASON },
        { name: PROMOTION_INFO, value: `step 1, pending since ${plan.applicationStatus.find((e) => e.application === 'engineering-dev')!.lastTransitionTime}` },
      ],
      sync: { prune: true },
      retry: { limit: 5 },
    });
    expect(plan.conditions).toContainEqual({
      type: 'RolloutProgressing',
      status: 'True',
      reason: 'ApplicationSetModified',
      message: 'ApplicationSet is performing rollout of step 1',
    });

    world.tick();
    world.appController();
    world.tick();
    plan = world.reconcile();
    expect(plan.applicationStatus.find((e) => e.application === 'engineering-dev')).toMatchObject({ status: 'Progressing', message: Message.syncSucceeded });

    world.run(10);
    expect(world.statusOf('engineering-dev')).toBe('Healthy');
    expect(world.statusOf('engineering-qa')).toBe('Waiting');
    expect(world.statusOf('engineering-prod')).toBe('Waiting');
    expect(world.syncLog.map((s) => s.application)).toEqual(['engineering-dev']);
    expect(world.plans.at(-1)!.conditions).toContainEqual(expect.objectContaining({ message: 'ApplicationSet is performing rollout of step 2' }));

    // A user syncs env-qa from the UI; RollingSync sees it synced and moves on.
    world.live.get('engineering-qa')!.operation = { sync: {} };
    world.appController();
    world.run(20, () => world.statusOf('engineering-prod') === 'Healthy');
    expect(world.syncLog.map((s) => s.application)).toEqual(['engineering-dev', 'engineering-qa', 'engineering-prod']);
    expect(world.plans.at(-1)!.rollout.phase).toBe('Completed');
  });
});

describe('a 3-step rollout over a fleet', () => {
  const names = ['staging-1', 'staging-2', 'canary-1', ...Array.from({ length: 8 }, (_, i) => `prod-${i + 1}`)];
  const tier = (n: string) => n.replace(/-\d+$/, '');
  const apps = names.map((n) => RolloutWorld.app(n, { tier: tier(n) }));
  const step = (value: string, more = {}) => ({ matchExpressions: [{ key: 'tier', operator: 'In', values: [value] }], ...more });

  function pushed(world: RolloutWorld) {
    deployed(world, apps);
    world.reconcile();
    world.revision = 'r2';
    world.appController();
  }

  it('syncs the steps in order, never more than maxUpdate of a step at once, every Application exactly once', () => {
    const world = new RolloutWorld(apps, [step('staging'), step('canary'), step('prod', { maxUpdate: '25%' })]);
    pushed(world);
    world.run(60, () => world.plans.at(-1)!.rollout.phase === 'Completed');
    const order = world.syncLog.map((s) => tier(s.application));
    expect(order.lastIndexOf('staging')).toBeLessThan(order.indexOf('canary'));
    expect(order.lastIndexOf('canary')).toBeLessThan(order.indexOf('prod'));
    expect(world.syncLog.map((s) => s.application).sort()).toEqual([...names].sort());
    expect(
      Math.max(
        ...inFlightAfterEachReconcile(
          world,
          names.filter((n) => tier(n) === 'prod'),
        ),
      ),
    ).toBe(2);
    expect(world.plans.at(-1)!.applicationStatus.every((e) => e.status === 'Healthy')).toBe(true);
  });

  it('an Application no step selects stays out of the rollout (step -1) and is never synced', () => {
    const world = new RolloutWorld(apps, [step('staging'), step('prod')]);
    pushed(world);
    world.run(40, () => world.plans.at(-1)!.rollout.phase === 'Completed');
    expect(world.syncLog.some((s) => s.application === 'canary-1')).toBe(false);
    expect(world.plans.at(-1)!.applicationStatus.find((e) => e.application === 'canary-1')).toMatchObject({ step: '-1', status: 'Waiting' });
  });

  it('minHealthySeconds holds the next step until the bake time passed, and asks to be requeued', () => {
    const world = new RolloutWorld(apps, [step('staging', { minHealthySeconds: 30 }), step('canary'), step('prod')]);
    pushed(world);
    world.run(20, () => world.statusOf('staging-1') === 'Healthy' && world.statusOf('staging-2') === 'Healthy');
    const healthyAt = world.clock;
    const plan = world.reconcile();
    expect(plan.syncNow).toEqual([]);
    expect(plan.requeueAfterSeconds).toBeGreaterThan(20);
    world.run(40, () => world.syncLog.some((s) => s.application === 'canary-1'));
    const canaryAt = world.syncLog.find((s) => s.application === 'canary-1')!.at;
    expect(canaryAt - healthyAt).toBeGreaterThanOrEqual(28_000);
  });

  it('halts at the step where a cluster turns unhealthy: nothing after it is synced', () => {
    const world = new RolloutWorld(apps, [step('staging'), step('canary'), step('prod', { maxUpdate: '25%' })]);
    world.failing.add('canary-1');
    pushed(world);
    world.run(30, () => world.plans.at(-1)!.rollout.phase === 'Halted');
    const rollout = world.plans.at(-1)!.rollout;
    expect(rollout.phase).toBe('Halted');
    expect(rollout.failed).toEqual([{ application: 'canary-1', step: 2, reason: 'health Degraded' }]);
    expect(rollout.message).toMatch(/^step 2: 1 Application\(s\) failed, more than maxFailures 0/);
    world.run(10);
    expect(world.syncLog.some((s) => tier(s.application) === 'prod')).toBe(false);
  });

  it('maxFailures tolerates failures within the budget', () => {
    const world = new RolloutWorld(apps, [step('staging', { maxFailures: 1 }), step('canary'), step('prod')]);
    world.failing.add('staging-2');
    pushed(world);
    world.run(60, () => world.plans.at(-1)!.rollout.phase === 'Completed');
    expect(world.syncLog.some((s) => s.application === 'prod-8')).toBe(true);
    expect(world.plans.at(-1)!.rollout.failed).toEqual([{ application: 'staging-2', step: 1, reason: 'health Degraded' }]);
  });

  it('onFailure rollback syncs the failed and already-updated Applications back to their previous revision, once', () => {
    const world = new RolloutWorld(apps, [step('staging'), step('canary', { onFailure: 'rollback' }), step('prod')]);
    world.failing.add('canary-1');
    pushed(world);
    world.run(30, () => world.plans.at(-1)!.rollout.phase === 'RolledBack');
    expect(world.plans.at(-1)!.rollout.phase).toBe('RolledBack');
    const rollbacks = world.syncLog
      .filter((s) => s.revision === 'r1')
      .map((s) => s.application)
      .sort();
    expect(rollbacks).toEqual(['canary-1', 'staging-1', 'staging-2']);
    world.run(5);
    expect(world.syncLog.filter((s) => s.revision === 'r1')).toHaveLength(3);
    expect(world.syncLog.some((s) => tier(s.application) === 'prod')).toBe(false);
  });

  it('progressDeadlineSeconds fails an Application whose sync never starts', () => {
    const world = new RolloutWorld(apps, [step('staging', { progressDeadlineSeconds: 20 }), step('canary'), step('prod')]);
    world.stuck.add('staging-2');
    pushed(world);
    world.run(30, () => world.plans.at(-1)!.rollout.phase === 'Halted');
    expect(world.plans.at(-1)!.rollout.failed).toEqual([{ application: 'staging-2', step: 1, reason: 'not Healthy within progressDeadlineSeconds (20s)' }]);
  });

  it('a new revision after a halt starts a new rollout', () => {
    const world = new RolloutWorld(apps, [step('staging'), step('canary'), step('prod')]);
    world.failing.add('canary-1');
    pushed(world);
    world.run(30, () => world.plans.at(-1)!.rollout.phase === 'Halted');
    world.failing.clear();
    world.revision = 'r3';
    world.appController();
    world.run(60, () => world.plans.at(-1)!.rollout.phase === 'Completed');
    expect(world.plans.at(-1)!.rollout.phase).toBe('Completed');
    expect(
      world.syncLog
        .filter((s) => s.revision === 'r3')
        .map((s) => s.application)
        .sort(),
    ).toEqual([...names].sort());
  });

  it('resumed-at later than the halt clears the failures and lets the rollout go on', () => {
    const world = new RolloutWorld(apps, [step('staging'), step('canary'), step('prod')]);
    world.failing.add('canary-1');
    pushed(world);
    world.run(30, () => world.plans.at(-1)!.rollout.phase === 'Halted');
    world.failing.clear();
    world.live.get('canary-1')!.status = { ...world.live.get('canary-1')!.status, health: { status: 'Healthy' } };
    world.tick();
    world.appSet.metadata.annotations![ROLLOUT_RESUMED_AT_ANNOTATION] = world.now.toISOString();
    world.run(60, () => world.plans.at(-1)!.rollout.phase === 'Completed');
    expect(world.plans.at(-1)!.rollout.phase).toBe('Completed');
    expect(world.plans.at(-1)!.rollout.failed).toBeUndefined();
  });

  it('pause stops new promotions and keeps in-flight ones; removing it resumes', () => {
    const world = new RolloutWorld(apps, [step('staging'), step('canary'), step('prod', { maxUpdate: 2 })]);
    pushed(world);
    world.run(30, () => world.syncLog.some((s) => tier(s.application) === 'prod'));
    world.appSet.metadata.annotations![ROLLOUT_CONTROL_ANNOTATION] = 'pause';
    const synced = world.syncLog.length;
    world.run(10);
    expect(world.plans.at(-1)!.rollout.phase).toBe('Paused');
    expect(world.syncLog.length).toBe(synced);
    delete world.appSet.metadata.annotations![ROLLOUT_CONTROL_ANNOTATION];
    world.run(60, () => world.plans.at(-1)!.rollout.phase === 'Completed');
    expect(world.syncLog.map((s) => s.application).sort()).toEqual([...names].sort());
  });

  it('abort puts Applications whose sync has not started back to Waiting and syncs nothing more', () => {
    const world = new RolloutWorld(apps, [step('staging'), step('canary'), step('prod')]);
    pushed(world);
    world.reconcile();
    expect(world.statusOf('staging-1')).toBe('Pending');
    world.appSet.metadata.annotations![ROLLOUT_CONTROL_ANNOTATION] = 'abort';
    world.live.forEach((app) => delete app.operation);
    const plan = world.reconcile();
    expect(plan.rollout.phase).toBe('Aborted');
    expect(plan.applicationStatus.find((e) => e.application === 'staging-1')).toMatchObject({
      status: 'Waiting',
      message: 'Rollout aborted, sync not started',
    });
    expect(plan.syncNow).toEqual([]);
    world.run(10);
    expect(world.syncLog).toEqual([]);
  });
});

describe('entries as Argo CD moves them', () => {
  /** One deployed Application of a one-step rollout, Pending after a push. */
  const pendingAfterPush = () => {
    const apps = [RolloutWorld.app('a', { envLabel: 'dev' })];
    const world = new RolloutWorld(apps, [{ matchExpressions: [env('dev')] }]);
    deployed(world, apps);
    world.reconcile();
    world.revision = 'r2';
    world.appController();
    world.reconcile();
    world.tick();
    return { apps, world };
  };

  it('an Application with an InvalidSpecError moves from Pending to Progressing without a sync', () => {
    const { apps, world } = pendingAfterPush();
    world.live.get('a')!.status = {
      ...world.live.get('a')!.status,
      conditions: [{ type: 'InvalidSpecError', message: 'bad' }],
      reconciledAt: world.now.toISOString(),
    };
    world.stuck.add('a');
    const plan = planRollout({ appSet: world.appSet, desired: apps, current: [...world.live.values()], now: world.now });
    expect(plan.applicationStatus[0]).toMatchObject({ status: 'Progressing', message: Message.appError });
  });

  it('a spec change with the same revision is "spec differs"; both together say so', () => {
    const apps = [RolloutWorld.app('a', { envLabel: 'dev' })];
    const world = new RolloutWorld(apps, [{ matchExpressions: [env('dev')], maxUpdate: 0 }]);
    deployed(world, apps);
    world.reconcile();
    // Still Synced, the entry would go straight on to Healthy; OutOfSync keeps it Waiting with its reason.
    world.live.get('a')!.status = { ...world.live.get('a')!.status, sync: { status: 'OutOfSync', revision: 'r1' } };
    const changed = structuredClone(apps);
    changed[0].spec.destination.namespace = 'other';
    expect(planRollout({ appSet: world.appSet, desired: changed, current: [...world.live.values()], now: world.now }).applicationStatus[0].message).toBe(
      Message.specChanged,
    );
    world.revision = 'r2';
    world.appController();
    expect(planRollout({ appSet: world.appSet, desired: changed, current: [...world.live.values()], now: world.now }).applicationStatus[0].message).toBe(
      Message.revisionAndSpecChanged,
    );
  });

  it('a sync that left its Application Synced and Healthy: Healthy in that reconcile, with no second one asked for', () => {
    const { world } = pendingAfterPush();
    world.appController();
    // Ready at once (no rollout to wait for): the status the sync wrote is final, and no later write of the Application follows.
    world.live.get('a')!.status!.health = { status: 'Healthy' };
    world.tick();
    const healthy = world.reconcile();
    expect(world.statusOf('a')).toBe('Healthy');
    expect(healthy.requeueAfterSeconds).toBeUndefined();
  });
});

describe('a push seen one refresh at a time (Regatta)', () => {
  it('does not open a later step while an earlier step still reports Healthy for the old commit', () => {
    const apps = [RolloutWorld.app('staging-1', { envLabel: 'staging' }), RolloutWorld.app('prod-1', { envLabel: 'prod' })];
    const world = new RolloutWorld(apps, [{ matchExpressions: [env('staging')] }, { matchExpressions: [env('prod')] }]);
    deployed(world, apps);
    world.reconcile();
    world.tick();
    // Only prod-1 has been refreshed since the push.
    const prod = world.live.get('prod-1')!;
    prod.status = { ...prod.status, sync: { status: 'OutOfSync', revision: 'r2' }, reconciledAt: world.now.toISOString() };
    const plan = world.reconcile();
    expect(plan.syncNow).toEqual([]);
    expect(plan.applicationStatus.find((e) => e.application === 'staging-1')?.status).toBe('Healthy');
    expect(plan.applicationStatus.find((e) => e.application === 'prod-1')?.status).toBe('Waiting');
  });
});

describe('sync windows (Regatta): the rollout knows why it waits', () => {
  const names = ['staging-1', 'prod-1', 'prod-2', 'prod-3'];
  const tier = (n: string) => n.replace(/-\d+$/, '');
  const apps = names.map((n) => RolloutWorld.app(n, { tier: tier(n) }));
  const step = (value: string, more = {}) => ({ matchExpressions: [{ key: 'tier', operator: 'In', values: [value] }], ...more });
  const opensAt = '2026-01-01T02:00:00.000Z';
  /** A freeze over the production clusters until 02:00 UTC (the world's clock starts at midnight). */
  const freeze = (now: Date) =>
    new Map<string, WindowWait>(
      now.toISOString() < opensAt ? names.filter((n) => tier(n) === 'prod').map((n) => [n, { windows: ['"change freeze"'], opensAt }]) : [],
    );

  /** A push of r2 to a world whose windows hold what `waits` says; `stuck` never syncs. */
  function pushedWorld(waits: RolloutWorld['windowWaits'], prodStep: object = {}, stuck: string[] = []): RolloutWorld {
    const world = new RolloutWorld(apps, [step('staging'), step('prod', prodStep)]);
    world.windowWaits = waits;
    for (const name of stuck) world.stuck.add(name);
    deployed(world, apps);
    world.reconcile();
    world.revision = 'r2';
    world.appController();
    return world;
  }

  function frozenWorld(prodStep: object = {}): RolloutWorld {
    const world = pushedWorld(freeze, prodStep);
    world.run(30, () => world.statusOf('prod-1') !== 'Waiting' && world.statusOf('prod-1') !== 'Healthy');
    world.run(3);
    return world;
  }

  it('names the step, the count, the window and its opening in the condition, the rollout state and each entry; syncs nothing held', () => {
    const world = frozenWorld();
    const plan = world.plans.at(-1)!;
    const summary = 'step 2: 3 Applications waiting for sync window "change freeze" (opens 02:00 UTC)';
    expect(plan.conditions.find((c) => c.type === 'RolloutProgressing')).toMatchObject({ status: 'True', reason: 'ApplicationSetModified', message: summary });
    expect(plan.rollout).toMatchObject({ phase: 'Progressing', step: 2, message: summary });
    expect(plan.rollout.waiting).toEqual([{ step: 2, applications: 3, windows: ['"change freeze"'], opensAt, message: summary }]);
    for (const name of ['prod-1', 'prod-2', 'prod-3']) {
      expect(plan.applicationStatus.find((e) => e.application === name)?.message).toBe(
        'Application sync held: waiting for sync window "change freeze" (opens 02:00 UTC)',
      );
    }
    expect(world.syncLog.map((s) => s.application)).toEqual(['staging-1']);
    // Woken when the window opens.
    const untilOpen = (Date.parse(opensAt) - world.clock) / 1000;
    expect(plan.requeueAfterSeconds).toBeGreaterThanOrEqual(untilOpen);
    expect(plan.requeueAfterSeconds).toBeLessThanOrEqual(untilOpen + 4);
  });

  it('once the window opens the held Applications sync and the rollout completes; the wait leaves no trace in the messages', () => {
    const world = frozenWorld();
    world.clock = Date.parse(opensAt);
    world.run(30, () => world.plans.at(-1)!.rollout.phase === 'Completed');
    const plan = world.plans.at(-1)!;
    expect(plan.rollout.phase).toBe('Completed');
    expect(plan.rollout.waiting).toBeUndefined();
    expect(world.syncLog.map((s) => s.application).sort()).toEqual([...names].sort());
    expect(plan.applicationStatus.every((e) => e.status === 'Healthy' && !e.message.includes('sync window'))).toBe(true);
    expect(plan.conditions.find((c) => c.type === 'RolloutProgressing')?.message).toBe('ApplicationSet Rollout has completed');
  });

  it("a step's progress deadline does not run down while its Applications wait for a window", () => {
    const world = frozenWorld({ progressDeadlineSeconds: 60 });
    const waitStarted = world.plans.at(-1)!.rollout.windowWait?.['2']?.since;
    expect(waitStarted).toBeDefined();
    world.clock += 30 * 60_000;
    world.run(5);
    expect(world.plans.at(-1)!.rollout.phase).toBe('Progressing');
    expect(world.plans.at(-1)!.rollout.failed).toBeUndefined();
    // The stored status carries the wait: the opening ends it and the deadline goes on from where it stood.
    world.clock = Date.parse(opensAt);
    world.stuck.add('prod-3');
    world.run(60, () => world.plans.at(-1)!.rollout.phase !== 'Progressing');
    const rollout = world.plans.at(-1)!.rollout;
    expect(rollout.windowWait?.['2']).toEqual({ seconds: Math.round((Date.parse(opensAt) - Date.parse(waitStarted!)) / 1000) });
    expect(rollout.phase).toBe('Halted');
    expect(rollout.failed).toEqual([{ application: 'prod-3', step: 2, reason: 'not Healthy within progressDeadlineSeconds (60s)' }]);
    const stepStarted = Date.parse(rollout.stepStartedAt!['2']);
    const failedAt = Date.parse(rollout.haltedAt!);
    expect(failedAt - stepStarted).toBeGreaterThanOrEqual((60 + rollout.windowWait!['2'].seconds) * 1000);
  });

  it('invalid windows are named with their error and hold the sync without an opening', () => {
    const error = "invalid sync windows: cannot parse schedule '0 2 * *': expected exactly 5 fields, found 4: [0 2 * *]";
    const world = pushedWorld(() => new Map([['prod-1', { windows: ['#0 "0 2 * *"'], error }]]));
    world.run(10);
    const plan = world.plans.at(-1)!;
    expect(plan.rollout.message).toBe(`step 2: 1 Application blocked by ${error}`);
    expect(plan.rollout.waiting).toEqual([
      { step: 2, applications: 1, windows: ['#0 "0 2 * *"'], error, message: `step 2: 1 Application blocked by ${error}` },
    ]);
    expect(world.syncLog.some((s) => s.application === 'prod-1')).toBe(false);
    expect(world.syncLog.some((s) => s.application === 'prod-2')).toBe(true);
  });

  it('Applications still Waiting for their step are not reported as held by a window', () => {
    const world = pushedWorld(freeze, {}, ['staging-1']);
    world.run(5);
    const plan = world.plans.at(-1)!;
    expect(plan.rollout.waiting).toBeUndefined();
    expect(plan.rollout.message).toBe('rolling out step 1');
    expect(plan.applicationStatus.find((e) => e.application === 'prod-1')?.status).toBe('Waiting');
  });
});

describe("steps as Argo CD's progressive sync reads them (progressive_sync.go)", () => {
  const dev = RolloutWorld.app('dev', { envLabel: 'dev' });
  const qa = RolloutWorld.app('qa', { envLabel: 'qa' });
  const prod = RolloutWorld.app('prod', { envLabel: 'prod' });

  function pushed(world: RolloutWorld, apps: Application[]): void {
    deployed(world, apps);
    world.reconcile();
    world.revision = 'r2';
    world.appController();
  }

  it('an empty step is reported and skipped: the step after it opens once the one before is Healthy', () => {
    const world = new RolloutWorld([dev, prod], [{ matchExpressions: [env('dev')] }, { matchExpressions: [env('none')] }, { matchExpressions: [env('prod')] }]);
    pushed(world, [dev, prod]);
    world.run(20, () => world.statusOf('prod') === 'Healthy');
    // getAppsToSync: a step with no Applications has nothing to wait for; getProgressingCondition skips it.
    expect(world.syncLog.map((s) => s.application)).toEqual(['dev', 'prod']);
    expect(world.plans.at(-1)!.conditions).toEqual([
      // validation_issues.go formatEmptyStepsMessage, reason ApplicationSetReasonInvalidRolloutConfig.
      {
        type: 'InvalidRolloutConfig',
        status: 'True',
        reason: 'ApplicationSetInvalidRolloutConfig',
        message: 'Steps [2] have no applications matching their criteria',
      },
      { type: 'RolloutProgressing', status: 'False', reason: 'ApplicationSetRolloutComplete', message: 'ApplicationSet Rollout has completed' },
    ]);
  });

  it('an Application two steps select belongs to the first, is synced once there, and is waited for by the second', () => {
    const notProd = { matchExpressions: [{ key: 'envLabel', operator: 'NotIn', values: ['prod'] }] };
    const world = new RolloutWorld([dev, qa, prod], [{ matchExpressions: [env('dev')] }, notProd, { matchExpressions: [env('prod')] }]);
    pushed(world, [dev, qa, prod]);
    const first = world.reconcile();
    // buildAppDependencyList: appStepMap keeps the first step; the Application is listed in both.
    expect(first.steps).toEqual([['dev'], ['dev', 'qa'], ['prod']]);
    expect(first.applicationStatus.find((e) => e.application === 'dev')?.step).toBe('1');
    expect(first.syncNow).toEqual(['dev']);
    world.tick();
    world.appController();
    world.run(20, () => world.statusOf('prod') === 'Healthy');
    expect(world.syncLog.map((s) => s.application)).toEqual(['dev', 'qa', 'prod']);
    expect(world.plans.at(-1)!.conditions[0]).toEqual({
      type: 'InvalidRolloutConfig',
      status: 'True',
      reason: 'ApplicationSetInvalidRolloutConfig',
      message: "Application 'dev' is selected by multiple steps: (1-2)",
    });
  });

  it('an unsupported operator: an Application with the label is in no step (never synced), one without it is selected', () => {
    const unlabelled = RolloutWorld.app('unlabelled', {});
    const world = new RolloutWorld([dev, unlabelled], [{ matchExpressions: [{ key: 'envLabel', operator: 'Exists', values: [] }] }]);
    pushed(world, [dev, unlabelled]);
    world.run(10, () => world.statusOf('unlabelled') === 'Healthy');
    // labelMatchedExpression errors only when the label is present; a missing label fails only `In`.
    expect(world.plans.at(-1)!.steps).toEqual([['unlabelled']]);
    expect(world.syncLog.map((s) => s.application)).toEqual(['unlabelled']);
    expect(world.plans.at(-1)!.applicationStatus.find((e) => e.application === 'dev')).toMatchObject({ step: '-1', status: 'Waiting' });
    expect(world.plans.at(-1)!.conditions[0]).toMatchObject({
      status: 'True',
      reason: 'ApplicationSetInvalidRolloutConfig',
      message: "Step 1 has invalid matchExpression operators: Exists. Supported Operators are 'In' and 'NotIn'",
    });
  });

  it('a generated Application validation refused (never created) holds its step, which is not reported empty', () => {
    const refused = RolloutWorld.app('dev-refused', { envLabel: 'dev' });
    const world = new RolloutWorld([dev, prod], [{ matchExpressions: [env('dev')] }, { matchExpressions: [env('prod')] }]);
    pushed(world, [dev, prod]);
    let plan = world.reconcile();
    for (let round = 0; round < 5; round++) {
      world.tick();
      world.appController();
      world.tick();
      // The reconciler groups every generated Application, as PerformProgressiveSyncs is given generatedApplications.
      plan = planRollout({ appSet: world.appSet, desired: [dev, prod], generated: [dev, refused, prod], current: [...world.live.values()], now: world.now });
      world.appSet.status = { ...world.appSet.status, applicationStatus: plan.applicationStatus, rollout: plan.rollout };
    }
    // getAppsToSync: an Application of the step that does not exist stops the next wave.
    expect(plan.steps).toEqual([['dev', 'dev-refused'], ['prod']]);
    expect(plan.applicationStatus.find((e) => e.application === 'dev')?.status).toBe('Healthy');
    expect(plan.applicationStatus.find((e) => e.application === 'prod')?.status).toBe('Waiting');
    expect(plan.conditions[0]).toMatchObject({ status: 'False', reason: 'ApplicationSetValidRolloutConfig' });
  });
});

describe('a rollout of multi-source Applications (a chart and a values repository)', () => {
  const names = ['staging-1', 'staging-2', 'prod-1', 'prod-2', 'prod-3'];
  const tier = (n: string) => n.replace(/-\d+$/, '');
  const apps = names.map((n) => {
    const app = RolloutWorld.app(n, { tier: tier(n) });
    app.spec.sources = [
      { ...app.spec.source!, helm: { valueFiles: ['$values/guestbook.yaml'] } },
      { repoURL: 'https://git.example/values.git', targetRevision: 'HEAD', ref: 'values' },
    ];
    delete app.spec.source;
    return app;
  });
  const step = (value: string) => ({ matchExpressions: [{ key: 'tier', operator: 'In', values: [value] }] });

  it('a push to the values repository alone rolls out step by step, each Application synced once to the revisions of both sources', () => {
    const world = new RolloutWorld(apps, [step('staging'), step('prod')]);
    world.valuesRevision = 'v1';
    for (const app of apps) {
      const revisions = ['r1', 'v1'];
      world.live.set(app.metadata.name, {
        ...structuredClone(app),
        status: {
          sync: { status: 'Synced', revisions },
          health: { status: 'Healthy' },
          operationState: { phase: 'Succeeded', startedAt: '2025-12-31T00:00:00Z', syncResult: { revisions } },
          reconciledAt: '2025-12-31T00:00:00Z',
        },
      });
    }
    world.reconcile();
    world.valuesRevision = 'v2';
    world.appController();
    world.run(40, () => world.plans.at(-1)!.rollout.phase === 'Completed');

    expect(world.syncLog.map((s) => s.application).sort()).toEqual([...names].sort());
    expect(new Set(world.syncLog.map((s) => s.revision))).toEqual(new Set(['r1,v2']));
    const order = world.syncLog.map((s) => tier(s.application));
    expect(order.lastIndexOf('staging')).toBeLessThan(order.indexOf('prod'));
    expect(world.plans.at(-1)!.applicationStatus.every((e) => e.status === 'Healthy')).toBe(true);
  });
});
