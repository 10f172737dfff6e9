import { describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import { DEPENDS_ON_ANNOTATION } from '../../src/api/annotations.js';
import { dependencyCycles } from '../../src/rollout/dependency-holds.js';
import { deployed, RolloutWorld } from './rollout-world.js';

/** `component` on `cluster`, optionally depending on the Applications `dependsOn` selects. */
function app(component: string, cluster: string, dependsOn?: string): Application {
  const application = RolloutWorld.app(`${component}-${cluster}`, { component, tier: 'all' });
  application.spec.destination = { server: `https://${cluster}.example`, namespace: component };
  if (dependsOn !== undefined) application.metadata.annotations = { [DEPENDS_ON_ANNOTATION]: dependsOn };
  return application;
}

const oneStep = [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['all'] }] }];

/** Deployed and Healthy at r1, then r2 pushed and seen by every Application. */
function pushed(apps: Application[]): RolloutWorld {
  const world = new RolloutWorld(apps, oneStep);
  deployed(world, apps);
  world.reconcile();
  world.revision = 'r2';
  world.appController();
  return world;
}

const syncedAt = (world: RolloutWorld, name: string) => world.syncLog.find((s) => s.application === name && s.revision === 'r2')?.at;
const invalidConfig = (world: RolloutWorld) => world.plans.at(-1)!.conditions.find((c) => c.type === 'InvalidRolloutConfig');

describe('regatta.dev/depends-on', () => {
  it('releases a dependent only once what it selects on its cluster is Healthy at the same revision', () => {
    const world = pushed([app('db', 'c1'), app('web', 'c1', 'component=db'), app('db', 'c2'), app('web', 'c2', 'component=db')]);
    world.run(40, () => world.appSet.status?.rollout?.phase === 'Completed');
    expect(world.appSet.status?.rollout?.phase).toBe('Completed');
    for (const cluster of ['c1', 'c2']) {
      const db = `db-${cluster}`;
      const web = `web-${cluster}`;
      // The plan that released web saw db Healthy at r2; none before released it.
      const released = world.plans.findIndex((p) => p.applicationStatus.find((e) => e.application === web)?.status === 'Pending');
      expect(released).toBeGreaterThan(0);
      expect(world.plans[released].applicationStatus.find((e) => e.application === db)).toMatchObject({ status: 'Healthy', targetRevisions: ['r2'] });
      expect(syncedAt(world, web)).toBeGreaterThan(syncedAt(world, db)!);
    }
    const heldMessage = world.plans
      .flatMap((p) => p.applicationStatus)
      .find((e) => e.application === 'web-c1' && e.message.startsWith('Application release held'))?.message;
    expect(heldMessage).toBe("Application release held: waiting for 'db-c1' to be Healthy");
    expect(world.syncLog.filter((s) => s.revision === 'r2')).toHaveLength(4);
  });

  it('selects only among Applications of the same cluster', () => {
    const world = pushed([app('db', 'c1'), app('web', 'c2', 'component=db')]);
    const plan = world.reconcile();
    expect(plan.syncNow).toEqual(['db-c1', 'web-c2']);
  });

  it('ignores what a selector matches in another step, which would hold its own step for good', () => {
    const apps = [app('db', 'c1'), app('web', 'c1', 'component=db')];
    apps[0].metadata.labels = { ...apps[0].metadata.labels, tier: 'late' };
    const world = new RolloutWorld(apps, [...oneStep, { matchExpressions: [{ key: 'tier', operator: 'In', values: ['late'] }] }]);
    deployed(world, apps);
    world.reconcile();
    world.revision = 'r2';
    world.appController();
    expect(world.reconcile().syncNow).toEqual(['web-c1']);
  });

  it('reports a cycle in InvalidRolloutConfig, releases none of it, and deletes nothing', () => {
    const world = pushed([app('a', 'c1', 'component=b'), app('b', 'c1', 'component=a'), app('c', 'c1')]);
    world.run(20);
    expect(invalidConfig(world)).toMatchObject({
      status: 'True',
      reason: 'ApplicationSetInvalidRolloutConfig',
      message: `Applications 'a-c1', 'b-c1' depend on each other in a cycle (${DEPENDS_ON_ANNOTATION}); none of them is released`,
    });
    expect(world.syncLog.filter((s) => s.revision === 'r2').map((s) => s.application)).toEqual(['c-c1']);
    expect(
      world.plans
        .at(-1)!
        .desired.map((a) => a.metadata.name)
        .sort(),
    ).toEqual(['a-c1', 'b-c1', 'c-c1']);
    expect(world.plans.at(-1)!.applicationStatus.find((e) => e.application === 'a-c1')?.message).toBe(
      `Application release held: it is part of a ${DEPENDS_ON_ANNOTATION} cycle`,
    );
  });

  it('reports a selector that does not parse, naming the Application, and does not release it', () => {
    const world = pushed([app('db', 'c1'), app('web', 'c1', 'component in (db')]);
    world.run(20);
    expect(invalidConfig(world)).toMatchObject({
      status: 'True',
      message: `Application 'web-c1' has an invalid ${DEPENDS_ON_ANNOTATION} selector: unable to parse requirement: "component in (db"`,
    });
    expect(syncedAt(world, 'web-c1')).toBeUndefined();
    expect(syncedAt(world, 'db-c1')).toBeDefined();
  });

  it('finds every Application of each cycle, and none outside one', () => {
    const edges = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
      ['e', ['f']],
      ['f', ['e']],
      ['g', []],
    ]);
    expect(dependencyCycles(edges)).toEqual([
      ['a', 'b', 'c'],
      ['e', 'f'],
    ]);
  });
});
