import { describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import type { ApplicationSet, ApplicationSetRolloutStep } from '../../src/api/application-set.js';
import { deepEqual } from '../../src/lib/json-values.js';
import { ROLLOUT_RESUMED_AT_ANNOTATION } from '../../src/api/annotations.js';
import { planRollout, type RolloutPlan } from '../../src/rollout/planner.js';

const COMMIT_1 = '1'.repeat(40);
const COMMIT_2 = '2'.repeat(40);
const COMMIT_3 = '3'.repeat(40);
const step = (env: string, extra: Partial<ApplicationSetRolloutStep> = {}): ApplicationSetRolloutStep => ({
  matchExpressions: [{ key: 'env', operator: 'In', values: [env] }],
  ...extra,
});

function generated(name: string, env: string): Application {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'argocd', labels: { env } },
    spec: {
      project: 'default',
      source: { repoURL: 'https://git.example/repo.git', path: 'guestbook', targetRevision: 'main' },
      destination: { server: `https://${name}.example`, namespace: 'guestbook' },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
  };
}

/**
 * The planner over a fleet whose application controller honours the pinned targetRevision: it
 * syncs an operation, autosyncs a new pin when automated sync is on, and self-heals drift back to
 * the pin. `deployed` is what runs on each cluster; every change of it is logged.
 */
class PinnedFleet {
  appSet: ApplicationSet;
  live = new Map<string, Application>();
  deployed = new Map<string, string>();
  drifted = new Set<string>();
  degraded = new Set<string>();
  /** What `main` names now. */
  head = COMMIT_1;
  clock = Date.parse('2026-01-01T00:00:00Z');
  moves: { application: string; revision: string; by: 'operation' | 'autosync' | 'self-heal' }[] = [];
  plans: RolloutPlan[] = [];

  constructor(
    readonly desired: Application[],
    steps: ApplicationSetRolloutStep[],
  ) {
    this.appSet = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'ApplicationSet',
      metadata: { name: 'guestbook', namespace: 'argocd', annotations: {} },
      spec: { generators: [], template: { metadata: {}, spec: {} } as never, strategy: { type: 'RollingSync', rollingSync: { steps, pinRevisions: true } } },
      status: {},
    };
  }

  get now(): Date {
    return new Date(this.clock);
  }

  /** One reconcile, writing what the plan says; returns whether it wrote anything. */
  reconcile(): boolean {
    const plan = planRollout({
      appSet: this.appSet,
      desired: this.desired,
      current: [...this.live.values()],
      now: this.now,
      releaseRevisions: new Map(this.desired.map((a) => [a.metadata.name, [this.head]])),
    });
    this.plans.push(plan);
    const status = { ...this.appSet.status, applicationStatus: plan.applicationStatus, rollout: plan.rollout };
    let wrote = !deepEqual(status, this.appSet.status);
    this.appSet.status = status;
    for (const desired of plan.desired) {
      const current = this.live.get(desired.metadata.name);
      const next = {
        ...structuredClone(desired),
        status: current?.status ?? {},
        ...(current?.operation && !desired.operation ? { operation: current.operation } : {}),
      };
      if (deepEqual(next, current)) continue;
      wrote = true;
      this.live.set(desired.metadata.name, next);
    }
    this.clock += 1000;
    return wrote;
  }

  pinOf(name: string): string | undefined {
    return this.live.get(name)?.spec.source?.targetRevision;
  }

  /** The application controller, one pass over every Application. */
  appController(): void {
    for (const [name, app] of this.live) {
      const pin = app.spec.source!.targetRevision!;
      const status = structuredClone(app.status ?? {});
      const deploy = (revision: string, by: PinnedFleet['moves'][number]['by']) => {
        if (this.deployed.get(name) !== revision || this.drifted.has(name)) this.moves.push({ application: name, revision, by });
        this.drifted.delete(name);
        this.deployed.set(name, revision);
        const at = this.now.toISOString();
        status.operationState = { phase: 'Succeeded', startedAt: at, finishedAt: at, syncResult: { revision } };
        status.health = { status: 'Progressing' };
        delete app.operation;
      };
      const automated = app.spec.syncPolicy?.automated;
      const inSync = () => this.deployed.get(name) === pin && !this.drifted.has(name);
      if (app.operation) deploy(app.operation.sync?.revision ?? pin, 'operation');
      else if (automated && automated.enabled !== false && !inSync()) {
        if (status.operationState?.syncResult?.revision !== pin) deploy(pin, 'autosync');
        else if (automated.selfHeal) deploy(pin, 'self-heal');
      } else if (status.health?.status === 'Progressing') status.health = { status: this.degraded.has(name) ? 'Degraded' : 'Healthy' };
      status.sync = { status: inSync() ? 'Synced' : 'OutOfSync', revision: pin };
      status.reconciledAt = this.now.toISOString();
      app.status = status;
    }
    this.clock += 1000;
  }

  run(limit: number, until: () => boolean): void {
    for (let round = 0; round < limit && !until(); round++) {
      this.reconcile();
      this.appController();
    }
  }

  entry(name: string) {
    return this.appSet.status?.applicationStatus?.find((e) => e.application === name);
  }

  settled(revision: string): boolean {
    return this.appSet.status?.rollout?.phase === 'Completed' && this.desired.every((a) => this.deployed.get(a.metadata.name) === revision);
  }
}

const fleet = (steps = [step('staging'), step('production')]) =>
  new PinnedFleet([generated('staging-1', 'staging'), generated('prod-1', 'production'), generated('prod-2', 'production')], steps);

describe('revision pinning (strategy.rollingSync.pinRevisions)', () => {
  it('creates a new fleet pinned to the release commit, automated sync held off until each step opens, then as the template says', () => {
    const world = fleet();
    world.reconcile();
    expect([...world.live.values()].map((a) => [a.spec.source?.targetRevision, a.spec.syncPolicy?.automated])).toEqual([
      [COMMIT_1, { prune: true, selfHeal: true, enabled: false }],
      [COMMIT_1, { prune: true, selfHeal: true, enabled: false }],
      [COMMIT_1, { prune: true, selfHeal: true, enabled: false }],
    ]);
    world.run(30, () => world.settled(COMMIT_1));
    expect(world.settled(COMMIT_1)).toBe(true);
    // Production synced only after staging: the held automated sync did not start it early.
    expect(world.moves.map((m) => m.application)).toEqual(['staging-1', 'prod-1', 'prod-2']);
    for (const app of world.live.values()) expect(app.spec.syncPolicy?.automated).toEqual({ prune: true, selfHeal: true });
    expect(world.appSet.status?.applicationStatus?.map((e) => e.targetRevisions)).toEqual([[COMMIT_1], [COMMIT_1], [COMMIT_1]]);
  });

  it('writes nothing in steady state', () => {
    const world = fleet();
    world.run(30, () => world.settled(COMMIT_1));
    world.appController();
    const writes = [1, 2, 3].map(() => {
      const wrote = world.reconcile();
      world.appController();
      return wrote;
    });
    expect(writes).toEqual([false, false, false]);
  });

  it('keeps a step that has not opened pinned to the commit it ran, healing drift back to it, and moves each Application once', () => {
    const world = fleet([step('staging', { minHealthySeconds: 30 }), step('production')]);
    world.run(60, () => world.settled(COMMIT_1));
    world.moves = [];
    world.plans = [];
    world.head = COMMIT_2;
    world.reconcile();
    world.appController();
    world.run(10, () => world.entry('staging-1')?.status === 'Healthy');
    expect(world.deployed.get('staging-1')).toBe(COMMIT_2);
    expect(world.pinOf('prod-1')).toBe(COMMIT_1);
    expect(world.entry('prod-1')).toMatchObject({ status: 'Waiting', targetRevisions: [COMMIT_2] });
    expect(world.appSet.status?.rollout?.previousRevisions).toMatchObject({ 'prod-1': [COMMIT_1] });

    // A hand edit on production during staging's bake: self-heal restores the old commit, the rollout waits on.
    world.drifted.add('prod-1');
    world.reconcile();
    world.appController();
    expect(world.moves.at(-1)).toEqual({ application: 'prod-1', revision: COMMIT_1, by: 'self-heal' });
    expect(world.pinOf('prod-1')).toBe(COMMIT_1);
    expect(world.entry('prod-1')?.status).toBe('Waiting');

    world.run(60, () => world.settled(COMMIT_2));
    expect(world.settled(COMMIT_2)).toBe(true);
    const toRelease = world.moves.filter((m) => m.revision === COMMIT_2);
    expect(toRelease.map((m) => m.application).sort()).toEqual(['prod-1', 'prod-2', 'staging-1']);
    // The released pin and its operation land together: the operation syncs, autosync never adds a second sync.
    expect(toRelease.every((m) => m.by === 'operation')).toBe(true);
    const released = world.plans.flatMap((plan) => plan.desired).find((a) => a.metadata.name === 'prod-1' && a.operation);
    expect(released?.operation?.sync?.revision).toBe(COMMIT_2);
    expect([...world.live.values()].map((a) => a.spec.source?.targetRevision)).toEqual([COMMIT_2, COMMIT_2, COMMIT_2]);
  });

  it('a second push during a rollout moves the open step on and takes a waiting step from its old commit straight to the newest', () => {
    const world = fleet([step('staging', { minHealthySeconds: 30 }), step('production')]);
    world.run(60, () => world.settled(COMMIT_1));
    world.head = COMMIT_2;
    world.reconcile();
    world.appController();
    world.run(10, () => world.entry('staging-1')?.status === 'Healthy');
    world.head = COMMIT_3;
    world.reconcile();
    expect(world.pinOf('staging-1')).toBe(COMMIT_3);
    expect(world.pinOf('prod-1')).toBe(COMMIT_1);
    world.run(60, () => world.settled(COMMIT_3));
    expect(world.settled(COMMIT_3)).toBe(true);
    expect(world.moves.filter((m) => m.application === 'prod-1').map((m) => m.revision)).toEqual([COMMIT_1, COMMIT_3]);
  });

  it('re-pins the previous commit on rollback', () => {
    const world = fleet([step('staging', { onFailure: 'rollback' }), step('production')]);
    world.run(60, () => world.settled(COMMIT_1));
    world.degraded.add('staging-1');
    world.head = COMMIT_2;
    world.run(20, () => world.appSet.status?.rollout?.phase === 'RolledBack');
    expect(world.appSet.status?.rollout?.phase).toBe('RolledBack');
    expect(world.pinOf('staging-1')).toBe(COMMIT_1);
    expect(world.deployed.get('staging-1')).toBe(COMMIT_1);
    expect(world.pinOf('prod-1')).toBe(COMMIT_1);
    expect(world.moves.filter((m) => m.application.startsWith('prod') && m.revision === COMMIT_2)).toEqual([]);
    // Rolled back and pinned: drift heals back to the previous commit, and nothing more is written.
    world.drifted.add('staging-1');
    world.reconcile();
    world.appController();
    expect(world.moves.at(-1)).toEqual({ application: 'staging-1', revision: COMMIT_1, by: 'self-heal' });
  });

  it('after a rollback, a resumed rollout releases the rolled-back Applications step by step again', () => {
    const world = fleet([step('staging'), step('production', { onFailure: 'rollback' })]);
    world.run(60, () => world.settled(COMMIT_1));
    world.degraded.add('prod-1');
    world.head = COMMIT_2;
    world.run(30, () => world.appSet.status?.rollout?.phase === 'RolledBack');
    expect(world.appSet.status?.rollout?.phase).toBe('RolledBack');
    expect(world.appSet.status?.applicationStatus?.map((e) => [e.application, e.status, world.pinOf(e.application)])).toEqual([
      ['prod-1', 'Waiting', COMMIT_1],
      ['prod-2', 'Waiting', COMMIT_1],
      ['staging-1', 'Waiting', COMMIT_1],
    ]);
    world.degraded.clear();
    world.moves = [];
    world.appSet.metadata.annotations = { [ROLLOUT_RESUMED_AT_ANNOTATION]: new Date(world.clock).toISOString() };
    world.clock += 1000;
    world.reconcile();
    expect([world.pinOf('staging-1'), world.pinOf('prod-1'), world.pinOf('prod-2')]).toEqual([COMMIT_2, COMMIT_1, COMMIT_1]);
    world.appController();
    world.run(60, () => world.settled(COMMIT_2));
    expect(world.settled(COMMIT_2)).toBe(true);
    expect(world.moves.map((m) => m.application)).toEqual(['staging-1', 'prod-1', 'prod-2']);
  });

  it('without pinRevisions, turns automated sync off and leaves targetRevision as the template says', () => {
    const world = fleet();
    world.appSet.spec.strategy!.rollingSync!.pinRevisions = false;
    const plan = planRollout({
      appSet: world.appSet,
      desired: world.desired,
      current: [],
      now: world.now,
      releaseRevisions: new Map(world.desired.map((a) => [a.metadata.name, [COMMIT_1]])),
    });
    expect(plan.desired.map((a) => [a.spec.source?.targetRevision, a.spec.syncPolicy?.automated?.enabled])).toEqual([
      ['main', false],
      ['main', false],
      ['main', false],
    ]);
  });
});
