import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterServerKey } from '../../src/api/cluster-secret.js';
import type { KubeObject } from '../../src/api/meta.js';
import { LocalRedis } from '../../src/demo/local-redis.js';
import { identifyClientsAs, kubeConfigFromString } from '../../src/kube/kube-config.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { silentLogger } from '../../src/observability/logger.js';
import { ClusterFence, FencedError, LEASE_PREFIX, readLease } from '../../src/sharding/cluster-fence.js';
import type { Ownership } from '../../src/sharding/shard-assignment.js';
import { OwnershipHolder } from '../../src/sharding/shard-view.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';
import { auditSyncs } from '../../src/sim/write-audit.js';
import { writeMark, writesSince } from '../support/write-log.js';

/** An ownership view the test sets by hand. */
class SetView extends OwnershipHolder {
  set(generation: number, clusters: Record<string, string>): void {
    this.adopt({ generation, algorithm: 'consistent-hashing', members: [...new Set(Object.values(clusters))], clusters, appSets: {} } as Ownership);
  }
  keysChanged(): void {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}

const TTL_MS = 1500;
let redis: LocalRedis;
let reader: Redis;
let fleet: SimFleet;
let fence: ClusterFence;
let client: ObjectClient;
let server: string;
const view = new SetView('r1');
let pauseBeforeWrite: (() => Promise<void>) | undefined;

const configMap = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { written: 'by r1' } });
const waitFor = async (condition: () => Promise<boolean>, what: string) => {
  for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 50))) if (await condition()) return;
  throw new Error(`timed out waiting for ${what}`);
};

beforeAll(async () => {
  redis = await LocalRedis.start();
  reader = new Redis(redis.url);
  fleet = await SimFleet.start({ clusters: [{ name: 'prod' }] });
  server = fleet.server('prod');
  fleet.auditLeases((cluster) => readLease(reader, cluster).then((lease) => lease?.holder ?? ''));
  identifyClientsAs('r1');
  client = new ObjectClient(kubeConfigFromString(fleet.kubeconfig('prod', { identity: 'regatta-sync' })));
  view.set(1, { [clusterServerKey(server)]: 'r1' });
  fence = new ClusterFence(view, {
    redisUrl: redis.url,
    leaseTtlMs: TTL_MS,
    logger: silentLogger,
    beforeWrite: () => pauseBeforeWrite?.() ?? Promise.resolve(),
  });
  await fence.start();
  await waitFor(async () => (await readLease(reader, server))?.holder === 'r1', 'r1 to take the lease');
});
afterAll(async () => {
  await fence.stop();
  reader.disconnect();
  await fleet.stop();
  await redis.stop();
});

describe('cluster leases fence every write', () => {
  it('lets the lease holder write, and the cluster sees the holder as the writer', async () => {
    const mark = writeMark();
    await fence.guard(server, () => client.apply(configMap('first')));
    expect(writesSince(fleet.cluster('prod'), mark, { name: 'first' })).toHaveLength(1);
    expect(auditSyncs({ prod: fleet.cluster('prod') }, mark).nonOwnerWrites).toBe(0);
  });

  it('refuses a write paused between the lease check and the request until another replica holds the lease: nothing lands', async () => {
    const mark = writeMark();
    pauseBeforeWrite = async () => {
      // As a replica stopped (SIGSTOP) right after its check: the cluster moves on, its lease lapses, r2 takes it.
      view.set(2, { [clusterServerKey(server)]: 'r2' });
      await waitFor(async () => (await readLease(reader, server)) === undefined, 'the lease to lapse');
      await reader.set(`${LEASE_PREFIX}:${clusterServerKey(server)}`, 'r2|2', 'PX', 60_000);
    };
    try {
      await expect(fence.guard(server, () => client.apply(configMap('late')))).rejects.toThrow(FencedError);
    } finally {
      pauseBeforeWrite = undefined;
    }
    expect(writesSince(fleet.cluster('prod'), mark)).toEqual([]);
    expect(auditSyncs({ prod: fleet.cluster('prod') }, mark).nonOwnerWrites).toBe(0);
  });
});
