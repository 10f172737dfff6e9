import { describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import type { RolloutBudget, RolloutBudgetSpec } from '../../src/api/rollout-budget.js';
import type { RegisteredCluster } from '../../src/generators/generator.js';
import { rolloutBudgets } from '../../src/rollout/budget-usage.js';
import { RolloutWorld } from './rollout-world.js';

const EU = ['eu-1', 'eu-2', 'eu-3', 'eu-4', 'eu-5'];
const US = ['us-1', 'us-2'];
const apps = [...EU, ...US].map((name) => RolloutWorld.app(name, { env: 'prod' }));
const clusters: RegisteredCluster[] = [...EU, ...US, 'other-eu'].map((name) => ({
  name,
  server: `https://${name}.example`,
  labels: { region: name.slice(0, 2) === 'ot' ? 'eu' : name.slice(0, 2) },
  annotations: {},
}));
const budget = (name: string, spec: RolloutBudgetSpec | Record<string, unknown>): RolloutBudget => ({
  apiVersion: 'regatta.dev/v1alpha1',
  kind: 'RolloutBudget',
  metadata: { name },
  spec: spec as RolloutBudgetSpec,
});
const eu = (limits: Record<string, unknown>) => budget('eu', { selector: { matchLabels: { region: 'eu' } }, ...limits });

/** An Application of another ApplicationSet on the `other-eu` cluster, with the status given. */
const neighbour = (status: Application['status'], operation?: Application['operation']): Application => ({
  ...RolloutWorld.app('other-eu', { env: 'prod' }),
  metadata: { name: 'other-eu', namespace: 'team-b', labels: {} },
  status,
  ...(operation ? { operation } : {}),
});

/** A world deployed at r1 with r2 just pushed, planning under `budgets` with `neighbours` on the fleet too. */
function pushed(budgets: RolloutBudget[], neighbours: Application[] = []): RolloutWorld {
  const world = new RolloutWorld(apps, [{ matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] }]);
  for (const app of apps) {
    world.live.set(app.metadata.name, {
      ...structuredClone(app),
      status: { sync: { status: 'Synced', revision: 'r1' }, health: { status: 'Healthy' }, reconciledAt: '2025-12-31T00:00:00Z' },
    });
  }
  world.budgets = (w) => rolloutBudgets({ budgets, clusters, applications: [...w.live.values(), ...neighbours], appSets: [w.appSet] }, apps);
  world.reconcile();
  world.revision = 'r2';
  world.appController();
  return world;
}

/** Applications of `names` with a sync requested or not yet Healthy after one. */
const inFlight = (world: RolloutWorld, names: string[]) =>
  names.filter((name) => world.live.get(name)?.operation || world.live.get(name)?.status?.health?.status === 'Progressing').length;

const progressing = (world: RolloutWorld) => world.plans.at(-1)!.conditions.find((c) => c.type === 'RolloutProgressing')?.message;

describe('RolloutBudget holds (Regatta)', () => {
  it('releases no more syncs onto the clusters a budget selects than maxConcurrentSyncs, and the rollout still completes, each synced once', () => {
    const world = pushed([eu({ maxConcurrentSyncs: 2 })]);
    const seen: number[] = [];
    for (let round = 0; round < 40; round++) {
      if (world.reconcile().rollout.phase === 'Completed') break;
      seen.push(inFlight(world, EU));
      world.tick();
      world.appController();
      seen.push(inFlight(world, EU));
      world.tick();
    }
    expect(world.plans.at(-1)!.rollout.phase).toBe('Completed');
    expect(Math.max(...seen)).toBe(2);
    const synced = world.syncLog.filter((s) => s.revision === 'r2').map((s) => s.application);
    expect(synced.sort()).toEqual([...EU, ...US].sort());
    // Clusters no budget selects are not held: both went in the first round.
    expect(world.syncLog.filter((s) => US.includes(s.application)).every((s) => s.at === world.syncLog[0].at)).toBe(true);
    expect(world.plans.at(-1)!.rollout.budgetWaiting).toBeUndefined();
    expect(world.plans.at(-1)!.applicationStatus.some((e) => e.message.includes('RolloutBudget'))).toBe(false);
  });

  it('says which budget holds how many Applications of the step, in the condition, the rollout state and the entries, and asks to run again', () => {
    const world = pushed([eu({ maxConcurrentSyncs: 2 })]);
    const plan = world.reconcile();
    const summary = 'step 1: 3 Applications waiting for RolloutBudget "eu" (2/2 syncs in flight)';
    expect(progressing(world)).toBe(summary);
    expect(plan.rollout).toMatchObject({ phase: 'Progressing', step: 1, message: summary });
    expect(plan.rollout.budgetWaiting).toEqual([{ step: 1, applications: 3, budget: 'eu', message: summary }]);
    expect(plan.syncNow).toEqual(['eu-1', 'eu-2', 'us-1', 'us-2']);
    for (const name of ['eu-3', 'eu-4', 'eu-5']) {
      expect(plan.applicationStatus.find((e) => e.application === name)).toMatchObject({
        status: 'Waiting',
        message: 'Application waiting for RolloutBudget "eu" (2/2 syncs in flight)',
      });
    }
    expect(plan.rollout.updated?.sort()).toEqual(['eu-1', 'eu-2', 'us-1', 'us-2']);
    expect(plan.requeueAfterSeconds).toBeLessThanOrEqual(10);
  });

  it("counts another ApplicationSet's syncs on the same clusters: its running sync, and its Pending entry not yet started", () => {
    const running = pushed([eu({ maxConcurrentSyncs: 2 })], [neighbour({ operationState: { phase: 'Running', startedAt: '2026-01-01T00:00:00Z' } })]);
    expect(running.reconcile().syncNow.filter((name) => EU.includes(name))).toEqual(['eu-1']);

    const released = neighbour({ health: { status: 'Healthy' } });
    const world = new RolloutWorld(apps, []);
    const usage = rolloutBudgets(
      {
        budgets: [eu({ maxConcurrentSyncs: 2 })],
        clusters,
        applications: [released],
        appSets: [
          {
            ...world.appSet,
            metadata: { name: 'other', namespace: 'team-b' },
            status: { applicationStatus: [{ application: 'other-eu', status: 'Pending', step: '1', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
          },
        ],
      },
      apps,
    );
    expect(usage?.usage.get('eu')?.inFlight).toBe(1);
    expect(usage?.budgetsOf.get('eu-1')).toEqual(['eu']);
    expect(usage?.budgetsOf.has('us-1')).toBe(false);
  });

  it('holds every release onto the budget while more Applications are Degraded than maxUnhealthy, or failed than maxFailures', () => {
    const degraded = pushed([eu({ maxUnhealthy: 0 })], [neighbour({ health: { status: 'Degraded' } })]);
    const plan = degraded.reconcile();
    expect(plan.syncNow).toEqual(['us-1', 'us-2']);
    expect(progressing(degraded)).toBe('step 1: 5 Applications waiting for RolloutBudget "eu" (1 Application Degraded, more than maxUnhealthy 0)');

    const failed = pushed([eu({ maxFailures: 0 })], [neighbour({ operationState: { phase: 'Failed', message: 'boom', startedAt: '2025-12-31T00:00:00Z' } })]);
    expect(failed.reconcile().syncNow).toEqual(['us-1', 'us-2']);
    expect(progressing(failed)).toBe('step 1: 5 Applications waiting for RolloutBudget "eu" (1 Application failed to sync, more than maxFailures 0)');
    expect(
      pushed([eu({ maxFailures: 1 })], [neighbour({ operationState: { phase: 'Failed', startedAt: '2025-12-31T00:00:00Z' } })]).reconcile().syncNow,
    ).toHaveLength(7);
  });

  it('several budgets on one cluster all apply: the tighter one holds', () => {
    const world = pushed([
      eu({ maxConcurrentSyncs: 4 }),
      budget('eu-1-and-2', { selector: { matchExpressions: [{ key: 'region', operator: 'In', values: ['eu'] }] }, maxConcurrentSyncs: 1 }),
    ]);
    const plan = world.reconcile();
    expect(plan.syncNow.filter((name) => EU.includes(name))).toEqual(['eu-1']);
    expect(progressing(world)).toBe('step 1: 4 Applications waiting for RolloutBudget "eu-1-and-2" (1/1 syncs in flight)');
  });

  it('an invalid budget is not applied and says why, naming the budget and the field; one that selects none of these clusters is not reported', () => {
    const world = pushed([
      budget('bad-selector', { selector: { matchExpressions: [{ key: 'region', operator: 'Near', values: ['eu'] }] }, maxConcurrentSyncs: 1 }),
      eu({ maxConcurrentSyncs: -1 }),
      budget('no-selector', { maxConcurrentSyncs: 1 }),
      budget('elsewhere', { selector: { matchLabels: { region: 'ap' } }, maxConcurrentSyncs: 'two' }),
    ]);
    const plan = world.reconcile();
    expect(plan.syncNow).toHaveLength(7);
    expect(plan.rollout.invalidBudgets).toEqual([
      'RolloutBudget "bad-selector" is not applied: spec.selector: "Near" is not a valid pod selector operator',
      'RolloutBudget "eu" is not applied: spec.maxConcurrentSyncs: Invalid value: -1: must be a non-negative integer',
      'RolloutBudget "no-selector" is not applied: spec.selector: Required value: a label selector of clusters ({} selects every cluster)',
    ]);
    expect(plan.rollout.budgetWaiting).toBeUndefined();
  });

  it('a step whose every release the budget held has not started: its progress deadline does not run', () => {
    const world = pushed([eu({ maxConcurrentSyncs: 0 })]);
    const plan = world.reconcile();
    expect(plan.syncNow).toEqual(['us-1', 'us-2']);
    const onlyEu = pushed([eu({ maxConcurrentSyncs: 0 }), budget('us', { selector: { matchLabels: { region: 'us' } }, maxConcurrentSyncs: 0 })]);
    expect(onlyEu.reconcile().rollout.stepStartedAt?.['1']).toBeUndefined();
    expect(plan.rollout.stepStartedAt?.['1']).toBeDefined();
  });
});
