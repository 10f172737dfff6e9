import { describe, expect, it } from 'vitest';
import { FleetView } from '../../src/api-server/fleet-view.js';
import type { ClusterRecord } from '../../src/api/cluster-secret.js';
import { clusterKeys } from '../../src/sharding/sharding-runtime.js';
import { StaticShards } from '../../src/sharding/static-shards.js';

const cluster = (i: number): ClusterRecord => ({
  name: `c-${i}`,
  server: `https://c-${i}.example:6443`,
  namespaces: [],
  clusterResources: false,
  config: { bearerToken: `secret-${i}` },
  labels: { 'argocd.argoproj.io/secret-type': 'cluster', env: i % 2 ? 'prod' : 'staging' },
  annotations: {},
  secret: { namespace: 'argocd', name: `cluster-c-${i}`, uid: `uid-${i}` },
  ...(i === 0 ? { shard: 2 } : {}),
});

describe('FleetView', () => {
  it('probes a large fleet a bounded number at a time, reuses recent results, and shows no credentials', async () => {
    const clusters = Array.from({ length: 40 }, (_, i) => cluster(i));
    let running = 0;
    let peak = 0;
    let probes = 0;
    const probe = async (c: ClusterRecord) => {
      probes++;
      peak = Math.max(peak, ++running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      return c.name === 'c-3'
        ? { status: 'Failed' as const, message: `cannot reach ${c.server}: ECONNREFUSED` }
        : { status: 'Successful' as const, message: 'Kubernetes v1.32.0' };
    };
    const secrets = { read: () => ({ clusters, problems: [] }) };
    const shards = new StaticShards('regatta-0', 3, 'bounded-load', () => ({ clusters: clusterKeys(clusters), appSets: [] }));
    shards.keysChanged();
    const fleet = new FleetView(secrets, { shardOf: (server) => shards.ownerOfCluster(server) }, probe, 60_000, 4);
    const view = await fleet.clusters();
    expect(peak).toBe(4);
    expect(probes).toBe(40);
    await fleet.clusters();
    expect(probes).toBe(40);
    expect(view.find((c) => c.name === 'c-3')?.connection.status).toBe('Failed');
    // Pinned by the Secret's shard field; the others spread over the three replicas.
    expect(view.find((c) => c.name === 'c-0')?.shard).toBe('regatta-2');
    expect(new Set(view.map((c) => c.shard))).toEqual(new Set(['regatta-0', 'regatta-1', 'regatta-2']));
    expect(view[0].labels).toEqual({ env: 'staging' });
    expect(JSON.stringify(view)).not.toContain('secret-');
  });
});
