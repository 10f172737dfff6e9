import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import type { ApplicationSet } from '../../src/api/application-set.js';
import type { KubeObject } from '../../src/api/meta.js';
import { ROLLOUT_BUDGET_API_VERSION } from '../../src/api/rollout-budget.js';
import { RedisBudgetReservations, type BudgetReservationStore } from '../../src/appset/budget-reservations.js';
import { LocalRedis } from '../../src/demo/local-redis.js';
import type { RegisteredCluster } from '../../src/generators/generator.js';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';
import { CachedViewReplica } from '../support/cached-view-replica.js';
import { writeMark, writesSince } from '../support/write-log.js';

/**
 * Two sharded replicas, each reconciling its own ApplicationSet, plan budgeted releases at the same
 * moment from caches that do not show each other's writes yet. The count is what landed on the
 * management cluster: Applications carrying a sync operation.
 */
let fleet: SimFleet;
let redis: LocalRedis;
const stores: BudgetReservationStore[] = [];

beforeAll(async () => {
  [fleet, redis] = await Promise.all([SimFleet.start(), LocalRedis.start()]);
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await Promise.all([fleet?.stop(), redis?.stop()]);
});

const EU = ['eu-1', 'eu-2', 'eu-3', 'eu-4'];
/** Each test's own clusters (region = the test's run), so no test counts another's syncs. */
const clustersOf = (run: string): RegisteredCluster[] =>
  EU.map((name) => ({ name: `${run}-${name}`, server: `https://${run}-${name}.example.com`, labels: { region: run }, annotations: {} }));
const admin = () => new ObjectClient(kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'test-admin' })));

/** A replica reconciling the ApplicationSet of its shard, from caches that lag as it observes. */
const replicaOf = (identity: string, shard: string, run: string, budgetReservations?: BudgetReservationStore) =>
  new CachedViewReplica(fleet, identity, shard, { clusters: clustersOf(run), budgetReservations });

/** One ApplicationSet (a replica's shard) with an Application on each eu cluster, all in one step. */
function appSet(name: string, run: string): ApplicationSet {
  return {
    apiVersion: API_VERSION,
    kind: 'ApplicationSet',
    metadata: { name, namespace: 'argocd' },
    spec: {
      goTemplate: true,
      generators: [{ list: { elements: clustersOf(run).map((c) => ({ cluster: c.name, server: c.server })) } }],
      strategy: { type: 'RollingSync', rollingSync: { steps: [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] }] } },
      template: {
        metadata: { name: `${name}-{{.cluster}}`, labels: { tier: 'web' } },
        spec: {
          project: 'default',
          source: { repoURL: 'https://git.example.com/apps.git', path: 'guestbook', targetRevision: 'HEAD' },
          destination: { server: '{{.server}}', namespace: name },
        },
      },
    },
  } as ApplicationSet;
}

/** The Applications on the management cluster with a sync operation written, and who wrote each. */
async function syncsWritten(prefixes: string[]): Promise<string[]> {
  const applications = await admin().list<Application & KubeObject>(API_VERSION, 'Application', 'argocd');
  return applications
    .filter((a) => a.operation && prefixes.some((p) => a.metadata.name.startsWith(p)))
    .map((a) => a.metadata.name)
    .sort();
}

/** Both replicas observe, then reconcile at the same moment from what they observed; `rounds` times. */
async function concurrentRounds(replicas: CachedViewReplica[], rounds: number): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    await Promise.all(replicas.map((r) => r.observe()));
    await Promise.all(replicas.map((r) => r.reconcile()));
  }
}

async function setUp(run: string, maxConcurrentSyncs: number): Promise<string[]> {
  const client = admin();
  await client.create({
    apiVersion: ROLLOUT_BUDGET_API_VERSION,
    kind: 'RolloutBudget',
    metadata: { name: `${run}-eu` },
    spec: { selector: { matchLabels: { region: run } }, maxConcurrentSyncs },
  } as KubeObject);
  const names = [`${run}-a`, `${run}-b`];
  for (const name of names) await client.create(appSet(name, run) as unknown as KubeObject);
  return names;
}

async function tearDown(run: string, names: string[]): Promise<void> {
  const client = admin();
  await client.delete({ apiVersion: ROLLOUT_BUDGET_API_VERSION, kind: 'RolloutBudget', metadata: { name: `${run}-eu` } });
  for (const name of names) await client.delete({ apiVersion: API_VERSION, kind: 'ApplicationSet', metadata: { name, namespace: 'argocd' } });
  const applications = await client.list<Application & KubeObject>(API_VERSION, 'Application', 'argocd');
  for (const application of applications.filter((a) => names.some((n) => a.metadata.name.startsWith(n)))) await client.delete(application);
}

const reservations = (prefix: string) => {
  const store = new RedisBudgetReservations({ redisUrl: redis.url, prefix });
  stores.push(store);
  return store;
};

describe('RolloutBudget reservations across replicas', () => {
  it('without reservations, two replicas that plan at the same moment each take the budget: the gap reservations close', async () => {
    const names = await setUp('bare', 2);
    try {
      await concurrentRounds([replicaOf('replica-a', names[0], 'bare'), replicaOf('replica-b', names[1], 'bare')], 3);
      expect((await syncsWritten(names)).length).toBeGreaterThan(2);
    } finally {
      await tearDown('bare', names);
    }
  });

  it('with reservations in Redis, two replicas planning at the same moment together write at most maxConcurrentSyncs syncs; the others wait naming the budget', async () => {
    const names = await setUp('shared', 2);
    try {
      const mark = writeMark();
      const shared = reservations('t1');
      const replicas = [replicaOf('replica-a', names[0], 'shared', shared), replicaOf('replica-b', names[1], 'shared', reservations('t1'))];
      await concurrentRounds(replicas, 4);
      const written = await syncsWritten(names);
      expect(written).toHaveLength(2);
      // Counted from the write log too: every Application write by either replica, and at most 2 distinct ones carrying a sync.
      const writers = new Set(writesSince(fleet.cluster(), mark, { kind: 'Application' }).map((w) => w.identity));
      expect([...writers].sort()).toEqual(['replica-a', 'replica-b']);
      const entries = (await Promise.all(names.map((n) => admin().get<ApplicationSet & KubeObject>(API_VERSION, 'ApplicationSet', 'argocd', n)))).flatMap(
        (set) => set?.status?.applicationStatus ?? [],
      );
      // Each owner has since seen its syncs in flight and dropped their reservations: the observation holds the room now.
      expect((await shared.live(['shared-eu'])).get('shared-eu')!.size).toBe(0);
      const waiting = entries.filter((e) => !written.includes(e.application));
      expect(waiting).toHaveLength(2 * EU.length - 2);
      for (const entry of waiting) {
        expect(entry.status).toBe('Waiting');
        expect(entry.message).toMatch(
          /^Application waiting for RolloutBudget "shared-eu" \((2\/2 syncs in flight|maxConcurrentSyncs 2 reserved or in flight across replicas)\)$/,
        );
      }
    } finally {
      await tearDown('shared', names);
    }
  });

  it('Redis down: budgeted releases are held (fail closed) saying why, the reconcile does not fail; once Redis answers, the next reconciles release within the limit', async () => {
    const names = await setUp('down', 2);
    const stopped = await LocalRedis.start();
    const port = stopped.port;
    await stopped.stop();
    let restarted: LocalRedis | undefined;
    try {
      const store = new RedisBudgetReservations({ redisUrl: `redis://127.0.0.1:${port}` });
      stores.push(store);
      const replica = replicaOf('replica-a', names[0], 'down', store);
      for (let round = 0; round < 3; round++) {
        await replica.observe();
        await replica.reconcile();
      }
      expect(await syncsWritten([names[0]])).toEqual([]);
      const set = await admin().get<ApplicationSet & KubeObject>(API_VERSION, 'ApplicationSet', 'argocd', names[0]);
      const entries = set?.status?.applicationStatus ?? [];
      expect(entries).toHaveLength(EU.length);
      for (const entry of entries) {
        expect(entry.status).toBe('Waiting');
        expect(entry.message).toMatch(/^Application waiting for RolloutBudget "down-eu" \(budget reservations unavailable, held until Redis answers: /);
      }

      restarted = await LocalRedis.start({ port });
      const deadline = Date.now() + 10_000;
      let written: string[] = [];
      for (let round = 0; round < 50 && written.length < 2 && Date.now() < deadline; round++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        await replica.observe();
        await replica.reconcile();
        written = await syncsWritten([names[0]]);
      }
      await replica.observe();
      await replica.reconcile();
      expect(await syncsWritten([names[0]])).toHaveLength(2);
    } finally {
      await restarted?.stop();
      await tearDown('down', names);
    }
  });
});

describe('RedisBudgetReservations', () => {
  it('grants while live reservations and observed syncs together stay under the limit, counting an Application both reserved and observed once', async () => {
    const store = reservations('t-union');
    const claim = (observedInFlight: string[]) => [{ budget: 'eu', limit: 2, observedInFlight }];
    expect(await store.reserve('argocd/a', claim(['argocd/x']))).toBeUndefined();
    // x observed and a reserved: 2 of 2.
    expect(await store.reserve('argocd/b', claim(['argocd/x']))).toBe('eu');
    // a now observed too: still 1 sync, so b fits.
    expect(await store.reserve('argocd/b', claim(['argocd/a']))).toBeUndefined();
    expect(await store.reserve('argocd/c', claim([]))).toBe('eu');
    // Asking again for a reservation already held is granted (a retried reconcile).
    expect(await store.reserve('argocd/b', claim([]))).toBeUndefined();
    expect([...(await store.live(['eu'])).get('eu')!].sort()).toEqual(['argocd/a', 'argocd/b']);
  });

  it('all budgets or none: refused by one budget, the release takes no room in the others', async () => {
    const store = reservations('t-all');
    expect(await store.reserve('argocd/a', [{ budget: 'tight', limit: 1, observedInFlight: [] }])).toBeUndefined();
    const both = [
      { budget: 'wide', limit: 5, observedInFlight: [] },
      { budget: 'tight', limit: 1, observedInFlight: [] },
    ];
    expect(await store.reserve('argocd/b', both)).toBe('tight');
    expect((await store.live(['wide'])).get('wide')!.size).toBe(0);
  });

  it('a released reservation frees its room at once; an unreleased one when its TTL passes', async () => {
    const store = new RedisBudgetReservations({ redisUrl: redis.url, prefix: 't-ttl', ttlMs: 400 });
    stores.push(store);
    const claim = [{ budget: 'eu', limit: 1, observedInFlight: [] }];
    expect(await store.reserve('argocd/a', claim)).toBeUndefined();
    expect(await store.reserve('argocd/b', claim)).toBe('eu');
    await store.release('argocd/a', ['eu']);
    expect(await store.reserve('argocd/b', claim)).toBeUndefined();
    expect(await store.reserve('argocd/c', claim)).toBe('eu');
    const deadline = Date.now() + 5000;
    let granted: string | undefined = 'eu';
    while (granted && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      granted = await store.reserve('argocd/c', claim);
    }
    expect(granted).toBeUndefined();
  });
});
