import { describe, expect, it } from 'vitest';
import { ConfigError, loadAppConfig } from '../../src/config/app-config.js';
import type { ClusterRecord } from '../../src/api/cluster-secret.js';
import { silentLogger } from '../../src/observability/logger.js';
import { ControllerMetrics } from '../../src/observability/metrics.js';
import { legacyShard } from '../../src/sharding/argo-algorithms.js';
import { assignOwnership, shardOrder } from '../../src/sharding/shard-assignment.js';
import { ShardingRuntime, type ShardedApplicationSets } from '../../src/sharding/sharding-runtime.js';
import { StaticShards } from '../../src/sharding/static-shards.js';

const clusters = (n: number) => Array.from({ length: n }, (_, i) => ({ server: `https://c${i}.example.com`, uid: `uid-${i}` }));

describe('ownership assignment', () => {
  it('gives every cluster and ApplicationSet one owner, honours pins by shard number, and does not depend on input order', () => {
    const members = ['regatta-10', 'regatta-2', 'regatta-0', 'regatta-1'];
    const keys = [...clusters(40), { server: 'https://pinned.example.com', uid: 'uid-p', shard: 2 }];
    const appSets = ['argocd/a', 'argocd/b', 'team/c'];
    const ownership = assignOwnership('bounded-load', members, keys, appSets);
    expect(ownership.members).toEqual(['regatta-0', 'regatta-1', 'regatta-2', 'regatta-10']);
    expect(Object.keys(ownership.clusters).sort()).toEqual(keys.map((k) => k.server).sort());
    for (const owner of [...Object.values(ownership.clusters), ...Object.values(ownership.appSets)]) expect(members).toContain(owner);
    expect(ownership.clusters['https://pinned.example.com']).toBe('regatta-2');
    expect(Object.keys(ownership.appSets).sort()).toEqual(appSets);
    expect(JSON.stringify(assignOwnership('bounded-load', [...members].reverse(), [...keys].reverse(), [...appSets].reverse()))).toBe(
      JSON.stringify(ownership),
    );
  });

  it('from the previous generation, keeps the clusters and ApplicationSets of replicas that stay where they are', () => {
    const members = ['regatta-0', 'regatta-1', 'regatta-2', 'regatta-3'];
    const appSets = Array.from({ length: 60 }, (_, i) => `team-${i % 4}/set-${i}`);
    const first = assignOwnership('bounded-load', members, clusters(200), appSets);
    const next = assignOwnership('bounded-load', members.slice(0, 3), clusters(200), appSets, { previous: first });
    for (const kind of ['clusters', 'appSets'] as const) {
      const moved = Object.keys(first[kind]).filter((key) => next[kind][key] !== first[kind][key]);
      expect(moved.length).toBeGreaterThan(0);
      for (const key of moved) expect(first[kind][key]).toBe('regatta-3');
    }
    // Switching algorithm gives the new algorithm's own layout, not one bent towards the old.
    const legacy = assignOwnership('legacy', members, clusters(200), appSets);
    const switched = assignOwnership('bounded-load', members.slice(0, 3), clusters(200), appSets, { previous: legacy });
    expect(switched.clusters).toEqual(assignOwnership('bounded-load', members.slice(0, 3), clusters(200), appSets).clusters);
  });

  it("maps Argo CD's algorithms to the member at the shard number they compute", () => {
    const members = ['regatta-0', 'regatta-1', 'regatta-2'];
    const ownership = assignOwnership('legacy', members, clusters(12), []);
    for (const cluster of clusters(12)) expect(ownership.clusters[cluster.server]).toBe(members[legacyShard({ id: cluster.uid }, 3)]);
    const robin = assignOwnership('round-robin', members, clusters(9), []);
    expect(members.map((m) => Object.values(robin.clusters).filter((o) => o === m).length)).toEqual([3, 3, 3]);
  });

  it('orders StatefulSet pods by ordinal', () => {
    expect(['app-10', 'app-9', 'app-1'].sort(shardOrder)).toEqual(['app-1', 'app-9', 'app-10']);
  });
});

describe('static membership', () => {
  it('derives the members from the pod name and owns its share; a new cluster is a new generation', () => {
    let keys = clusters(30);
    const views = [0, 1, 2].map((i) => new StaticShards(`regatta-controller-${i}`, 3, 'bounded-load', () => ({ clusters: keys, appSets: ['argocd/one'] })));
    for (const view of views) view.keysChanged();
    expect(views[0].current()!.members).toEqual(['regatta-controller-0', 'regatta-controller-1', 'regatta-controller-2']);
    for (const cluster of keys) expect(views.filter((v) => v.ownsCluster(cluster.server))).toHaveLength(1);
    expect(views.filter((v) => v.ownsAppSet('argocd/one'))).toHaveLength(1);
    const seen: number[] = [];
    views[0].onChange((next) => seen.push(next.generation));
    keys = clusters(31);
    views[0].keysChanged();
    views[0].keysChanged();
    expect(seen).toEqual([2]);
  });

  it('a single replica owns every cluster, the local one included', () => {
    const view = new StaticShards('regatta-abc', 1, 'bounded-load', () => ({ clusters: clusters(3), appSets: [] }));
    view.keysChanged();
    for (const cluster of clusters(3)) expect(view.ownsCluster(`${cluster.server}/`)).toBe(true);
  });
});

describe('the sharding runtime', () => {
  it('reconciles only owned ApplicationSets and publishes shard metrics', async () => {
    const metrics = new ControllerMetrics();
    let owns: (key: string) => boolean = () => true;
    let reconciles = 0;
    const controller = {
      shardBy: (filter: (key: string) => boolean) => (owns = filter),
      reconcileKeys: (keys: string[]) => (reconciles += keys.length),
      appSetKeys: () => ['argocd/a', 'argocd/b', 'argocd/c', 'argocd/d'],
      onAppSetsChanged: () => undefined,
    } satisfies ShardedApplicationSets;
    const records = clusters(6).map(
      (c, i) => ({ name: `c${i}`, server: c.server, secret: { namespace: 'argocd', name: `c${i}`, uid: c.uid } }) as ClusterRecord,
    );
    const runtime = new ShardingRuntime({ identity: 'regatta-1', replicas: 2, algorithm: 'bounded-load' }, () => records, silentLogger, metrics);
    runtime.serve(controller);
    expect(owns('argocd/a')).toBe(false);
    await runtime.start();
    const owned = ['argocd/a', 'argocd/b', 'argocd/c', 'argocd/d'].filter(owns);
    expect(owned.length).toBeGreaterThan(0);
    expect(owned.length).toBeLessThan(4);
    expect(reconciles).toBe(owned.length);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/regatta_shard_generation 1/);
    const counts = [...text.matchAll(/regatta_shard_clusters\{shard="(regatta-[01])"\} (\d+)/g)].map((m) => Number(m[2]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(7);
    expect(text).toMatch(/regatta_shard_appsets\{shard="regatta-1"\} \d/);
    await runtime.stop();
  });
});

describe('sharding settings', () => {
  it("accepts Argo CD's variables, and refuses dynamic membership without Redis or an unknown algorithm", () => {
    const config = loadAppConfig([], {
      ARGOCD_CONTROLLER_REPLICAS: '3',
      ARGOCD_CONTROLLER_SHARDING_ALGORITHM: 'round-robin',
      ARGOCD_CONTROLLER_HEARTBEAT_TIME: '5',
    });
    expect(config).toMatchObject({ replicas: 3, shardingAlgorithm: 'round-robin', heartbeatSeconds: 5, dynamicClusterDistribution: false });
    expect(() => loadAppConfig(['--dynamic-cluster-distribution-enabled=true'], {})).toThrow(ConfigError);
    expect(() => loadAppConfig(['--sharding-method=random'], {})).toThrow(
      /--sharding-method: "random" is not one of bounded-load, legacy, round-robin, consistent-hashing/,
    );
  });
});
