import { describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import type { ApplicationSetRolloutStep } from '../../src/api/application-set.js';
import { unreachableClusterMessage, unreachableReason } from '../../src/api/cluster-reachability.js';
import { deployed, RolloutWorld } from './rollout-world.js';

const names = ['staging-1', 'prod-1', 'prod-2', 'prod-3'];
const tier = (n: string) => n.replace(/-\d+$/, '');
const apps = names.map((n) => RolloutWorld.app(n, { tier: tier(n) }));
const step = (value: string, more: Partial<ApplicationSetRolloutStep> = {}) => ({
  matchExpressions: [{ key: 'tier', operator: 'In', values: [value] }],
  ...more,
});
const refused = (name: string) => unreachableClusterMessage(`https://${name}.example`, `dial tcp ${name}.example:443: connect: connection refused`);

/** A fleet whose application controller cannot reach the clusters in `unreachable`: it writes Argo CD's ComparisonError for them and syncs nothing there. */
class PartitionedWorld extends RolloutWorld {
  unreachable = new Set<string>();
  liveStateError = refused;

  override appController(): void {
    for (const name of this.unreachable) this.stuck.add(name);
    super.appController();
    for (const name of this.unreachable) {
      const app = this.live.get(name)!;
      app.status = {
        ...app.status,
        conditions: [{ type: 'ComparisonError', message: this.liveStateError(name), lastTransitionTime: this.now.toISOString() }],
        sync: { status: 'Unknown', revision: this.revision },
      };
    }
  }

  heal(name: string): void {
    this.unreachable.delete(name);
    this.stuck.delete(name);
    const app = this.live.get(name)!;
    delete app.status!.conditions;
  }
}

/** Deployed and Healthy at r1; r2 pushed while `down` does not answer. */
function pushedWhileDown(prodStep: Partial<ApplicationSetRolloutStep>, down: string[] = ['prod-2']): PartitionedWorld {
  const world = new PartitionedWorld(apps, [step('staging'), step('prod', prodStep)]);
  deployed(world, apps);
  world.reconcile();
  world.revision = 'r2';
  for (const name of down) world.unreachable.add(name);
  world.appController();
  return world;
}

const synced = (world: RolloutWorld, revision: string) => world.syncLog.filter((s) => s.revision === revision).map((s) => s.application);

describe('unreachable clusters: which Applications count as unreachable', () => {
  const withCondition = (message: string): Application => ({
    ...apps[0],
    status: { conditions: [{ type: 'ComparisonError', message }] },
  });

  it("reads Regatta's message and Argo CD's transport errors as unreachable, other live-state failures not", () => {
    expect(unreachableReason(withCondition(refused('prod-1')))).toBe(refused('prod-1'));
    const argo =
      'Failed to load live state: failed to get cluster info for "https://10.0.0.1": error synchronizing cache state : failed to sync cluster https://10.0.0.1: failed to load initial state of resource Deployment.apps: Get "https://10.0.0.1/apis/apps/v1/deployments?limit=500": dial tcp 10.0.0.1:443: i/o timeout';
    expect(unreachableReason(withCondition(argo))).toBe(argo);
    expect(
      unreachableReason(withCondition('Failed to load live state: cluster level Namespace "tenant" can not be managed when in namespaced mode')),
    ).toBeUndefined();
    expect(unreachableReason(withCondition('Failed to load target state: failed to generate manifest: connection refused'))).toBeUndefined();
    expect(unreachableReason(apps[0])).toBeUndefined();
  });
});

describe('unreachable: skip', () => {
  it('completes the rollout without the unreachable Application, lists it, never counts it failed, and syncs nothing there', () => {
    const world = pushedWhileDown({ unreachable: 'skip', maxFailures: 0, progressDeadlineSeconds: 5 });
    world.run(30, () => world.appSet.status?.rollout?.phase === 'Completed');
    const plan = world.plans.at(-1)!;
    expect(plan.rollout.phase).toBe('Completed');
    expect(plan.rollout.failed).toBeUndefined();
    expect(plan.rollout.skipped).toEqual([
      { application: 'prod-2', destination: 'https://prod-2.example', step: 2, since: expect.any(String), reason: refused('prod-2') },
    ]);
    expect(plan.applicationStatus.find((e) => e.application === 'prod-2')).toMatchObject({
      status: 'Waiting',
      message: `Application skipped: its cluster does not answer (${refused('prod-2')})`,
    });
    expect(plan.conditions.find((c) => c.type === 'RolloutProgressing')).toMatchObject({ status: 'False', message: 'ApplicationSet Rollout has completed' });
    expect(synced(world, 'r2').sort()).toEqual(['prod-1', 'prod-3', 'staging-1']);
    expect(plan.desired.find((a) => a.metadata.name === 'prod-2')?.operation).toBeUndefined();
  });

  it('keeps `since` while it stays unreachable, catches it up once when it answers, and empties the list', () => {
    const world = pushedWhileDown({ unreachable: 'skip' });
    world.run(30, () => world.appSet.status?.rollout?.phase === 'Completed');
    const since = world.appSet.status!.rollout!.skipped![0].since;
    world.run(5);
    expect(world.appSet.status!.rollout!.skipped![0].since).toBe(since);

    world.heal('prod-2');
    world.reconcile();
    expect(world.appSet.status!.rollout!.skipped).toEqual([
      { application: 'prod-2', destination: 'https://prod-2.example', step: 2, since, catchingUpSince: world.now.toISOString() },
    ]);
    world.run(30, () => !world.appSet.status?.rollout?.skipped);
    world.run(3);
    expect(synced(world, 'r2').filter((n) => n === 'prod-2')).toEqual(['prod-2']);
    expect(world.statusOf('prod-2')).toBe('Healthy');
    expect(world.appSet.status?.rollout).toMatchObject({ phase: 'Completed' });
    expect(world.appSet.status?.rollout?.skipped).toBeUndefined();
  });

  it('sends a Pending Application whose sync has not started back to Waiting and takes its sync operation back', () => {
    const world = pushedWhileDown({ unreachable: 'skip' }, []);
    for (let round = 0; round < 30 && world.statusOf('prod-1') !== 'Pending'; round++) {
      world.tick();
      world.appController();
      world.tick();
      world.reconcile();
    }
    expect(world.live.get('prod-1')?.operation).toBeDefined();
    // Its cluster stops answering before the sync starts.
    world.live.get('prod-1')!.status!.conditions = [{ type: 'ComparisonError', message: refused('prod-1') }];
    world.tick();
    const plan = world.reconcile();
    expect(plan.applicationStatus.find((e) => e.application === 'prod-1')?.status).toBe('Waiting');
    expect(plan.desired.find((a) => a.metadata.name === 'prod-1')?.operation).toBeUndefined();
    expect(plan.syncNow).not.toContain('prod-1');
  });

  it('waits for an Application whose live state fails for another reason than an unreachable cluster', () => {
    const world = pushedWhileDown({ unreachable: 'skip' });
    world.liveStateError = () => 'Failed to load live state: cluster level Namespace "tenant" can not be managed when in namespaced mode';
    world.run(30);
    expect(world.appSet.status?.rollout).toMatchObject({ phase: 'Progressing', step: 2 });
    expect(world.appSet.status?.rollout?.skipped).toBeUndefined();
    expect(world.appSet.status?.rollout?.unreachable).toBeUndefined();
  });
});

describe('unreachable: wait (the default)', () => {
  it('stays at the step, names the cluster it waits for, and completes once it answers', () => {
    const world = pushedWhileDown({});
    world.run(30);
    const plan = world.plans.at(-1)!;
    const summary = 'step 2: waiting for 1 unreachable cluster: https://prod-2.example';
    expect(plan.rollout).toMatchObject({ phase: 'Progressing', step: 2, message: summary });
    expect(plan.conditions.find((c) => c.type === 'RolloutProgressing')).toMatchObject({ status: 'True', message: summary });
    expect(plan.rollout.unreachable).toEqual([
      { application: 'prod-2', destination: 'https://prod-2.example', step: 2, since: expect.any(String), reason: refused('prod-2') },
    ]);
    expect(plan.rollout.skipped).toBeUndefined();
    expect(synced(world, 'r2')).not.toContain('prod-2');

    world.heal('prod-2');
    world.run(30, () => world.appSet.status?.rollout?.phase === 'Completed');
    expect(world.appSet.status?.rollout?.unreachable).toBeUndefined();
    expect(synced(world, 'r2').filter((n) => n === 'prod-2')).toEqual(['prod-2']);
  });
});
