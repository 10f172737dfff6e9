import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { DemoEnvironment } from '../../src/demo/demo-environment.js';
import { startReplicaProcess } from '../../src/demo/replica-process.js';
import { RedisShardMembership } from '../../src/sharding/redis-membership.js';
import type { Ownership } from '../../src/sharding/shard-assignment.js';
import { LocalRedis } from '../../src/demo/local-redis.js';
import { envStep, syncsTo, THREE_STEP_CLUSTERS, waitFor } from '../support/rollout-fixture.js';

/**
 * Three real replica processes (`node dist/main.js`) share the simulated fleet through dynamic
 * membership in Redis: each syncs only the clusters it owns, a dead replica's clusters move to the
 * others, and cluster leases fence every write, so no two replicas write to one cluster at once.
 */
const HEARTBEAT_SECONDS = 3;
const REPLICAS = ['regatta-0', 'regatta-1', 'regatta-2'];
const STEPS = [envStep('staging'), envStep('canary'), envStep('production', { maxUpdate: 2 })];

let env: DemoEnvironment | undefined;
let redis: LocalRedis | undefined;
let reader: Redis | undefined;
const processes = new Map<string, { child: ChildProcess; stderr: string[] }>();

afterEach(async () => {
  for (const { child } of processes.values()) {
    if (child.signalCode === 'SIGSTOP') child.kill('SIGCONT');
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  processes.clear();
  reader?.disconnect();
  await env?.stop();
  await redis?.stop();
  env = undefined;
  redis = undefined;
});

function startReplica(replica: string): void {
  const child = startReplicaProcess({
    kubeconfig: env!.managementKubeconfig(),
    redisUrl: redis!.url,
    replica,
    args: [
      '--enable-progressive-syncs=true',
      '--dynamic-cluster-distribution-enabled=true',
      `--heartbeat-time=${HEARTBEAT_SECONDS}`,
      '--app-resync=5',
      '--source-poll-seconds=0.3',
      '--sync-lock-seconds=2',
    ],
    env: { LOG_LEVEL: 'warn' },
    stderr: 'pipe',
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  processes.set(replica, { child, stderr });
}

async function fleetOf(replicas: string[]): Promise<void> {
  redis = await LocalRedis.start();
  reader = new Redis(redis.url);
  env = await DemoEnvironment.start({
    clusters: THREE_STEP_CLUSTERS,
    steps: STEPS,
    readyDelayMs: 200,
    redisUrl: redis.url,
    controller: false,
    auditLeases: true,
    // Plain manifests: a sync is three writes, so the hung owner still has one to make when it wakes (a chart's PreSync hook would hold it in a wait).
    layout: 'manifests',
  });
  for (const replica of replicas) startReplica(replica);
  await waitFor(() => env!.rolledOut(env!.revision), 'the first rollout', 90_000);
}

const ownership = () => RedisShardMembership.read(reader!);
/** Every replica has read the latest ownership (they read it once per third of the heartbeat TTL). */
const settled = () => new Promise((resolve) => setTimeout(resolve, (HEARTBEAT_SECONDS * 1000) / 3 + 500));

/** The ownership once all three replicas are members, and every replica has read it. */
async function allThree(): Promise<Ownership> {
  const ownershipOfThree = await waitFor(async () => {
    const current = await ownership();
    return current?.members.length === 3 && current;
  }, 'three members');
  await settled();
  return ownershipOfThree;
}
const replicaOf = (userAgent: string | undefined) => /\(replica (\S+)\)/.exec(userAgent ?? '')?.[1];

/** The replicas that wrote to a cluster since a moment, in order, with consecutive writes by the same replica merged. */
function writers(cluster: string, sinceNs = 0n): string[] {
  const runs: string[] = [];
  for (const write of env!.fleet.cluster(cluster).writes) {
    if (write.at < sinceNs) continue;
    const replica = replicaOf(write.userAgent);
    if (replica && runs.at(-1) !== replica) runs.push(replica);
  }
  return runs;
}

describe('sharding across replica processes', () => {
  it(
    'every cluster has one owner; a replica killed with SIGKILL hands its clusters to the others within the heartbeat TTL, and no cluster is ever written by two replicas in turn',
    { timeout: 240_000 },
    async () => {
      await fleetOf(REPLICAS);
      const first = await allThree();
      expect(Object.keys(first.clusters).sort()).toEqual(
        [...THREE_STEP_CLUSTERS.map((c) => env!.fleet.server(c.name)), 'https://kubernetes.default.svc'].sort(),
      );
      for (const owner of Object.values(first.clusters)) expect(REPLICAS).toContain(owner);
      const beforeSecond = process.hrtime.bigint();
      const second = await env!.release();
      await waitFor(() => env!.rolledOut(second), 'the second rollout', 90_000);
      // Each cluster was synced by its owner alone.
      for (const { name } of THREE_STEP_CLUSTERS) expect(writers(name, beforeSecond)).toEqual([first.clusters[env!.fleet.server(name)]]);

      const counts = REPLICAS.map((r) => [r, Object.values(first.clusters).filter((o) => o === r).length] as const).sort((a, b) => b[1] - a[1]);
      const victim = counts[0][0];
      const victimClusters = Object.entries(first.clusters)
        .filter(([, owner]) => owner === victim)
        .map(([server]) => server);
      const killedAt = Date.now();
      processes.get(victim)!.child.kill('SIGKILL');
      const next = (await waitFor(
        async () => {
          const current = await ownership();
          return current && !current.members.includes(victim) && current;
        },
        'the ownership without the killed replica',
        20_000,
      )) as Ownership;
      // Its heartbeat lapses after the TTL; the next assignment (a third of the TTL later at most) moves its clusters.
      expect(Date.now() - killedAt).toBeLessThan(HEARTBEAT_SECONDS * 1000 * (1 + 1 / 3) + 1500);
      expect(next.generation).toBeGreaterThan(first.generation);
      for (const server of victimClusters) expect(REPLICAS.filter((r) => r !== victim)).toContain(next.clusters[server]);
      // The leader computed the new generation from the published one: nothing else moved.
      for (const [server, owner] of Object.entries(first.clusters)) if (owner !== victim) expect(next.clusters[server]).toBe(owner);
      for (const [appSet, owner] of Object.entries(first.appSets)) if (owner !== victim) expect(next.appSets[appSet]).toBe(owner);

      await settled();
      const beforeThird = process.hrtime.bigint();
      const third = await env!.release();
      await waitFor(() => env!.rolledOut(third), 'the rollout after the kill', 90_000);
      const { synced, repeated } = await syncsTo(env!, third);
      expect(synced.sort()).toEqual(THREE_STEP_CLUSTERS.map((c) => `guestbook-${c.name}`).sort());
      expect(repeated).toEqual([]);
      for (const { name } of THREE_STEP_CLUSTERS) expect(writers(name, beforeThird)).toEqual([next.clusters[env!.fleet.server(name)]]);
      // What the clusters saw, against the leases in Redis as each write arrived.
      expect(env!.auditSyncs()).toMatchObject({ repeatedSyncs: 0, nonOwnerWrites: 0 });
    },
  );

  it('a replica that lost its lease while hung has its writes refused when it wakes up', { timeout: 240_000 }, async () => {
    await fleetOf(REPLICAS);
    const before = await allThree();
    const target = 'prod-1';
    const server = env!.fleet.server(target);
    const hung = before.clusters[server];
    // Slow requests to the cluster, and the owner stopped the moment its sync's first write lands (before it is answered):
    // two writes are still to come when it wakes, however loaded the machine.
    env!.fleet.fault(target, { latencyMs: 2500 });
    let stoppedAt = 0n;
    const unsubscribe = env!.fleet.cluster(target).subscribe(() => {
      if (stoppedAt || replicaOf(env!.fleet.cluster(target).writes.at(-1)?.userAgent) !== hung) return;
      processes.get(hung)!.child.kill('SIGSTOP');
      stoppedAt = process.hrtime.bigint();
    });
    const revision = await env!.release();
    await waitFor(async () => stoppedAt > 0n, 'the first write of the sync of prod-1', 60_000);
    unsubscribe();
    const moved = (await waitFor(
      async () => {
        const current = await ownership();
        return current && !current.members.includes(hung) && current;
      },
      'prod-1 to move to another replica',
      20_000,
    )) as Ownership;
    const successor = moved.clusters[server];
    expect(successor).not.toBe(hung);
    await waitFor(async () => writers(target, stoppedAt).includes(successor), 'the new owner to write to prod-1', 60_000);
    const successorFrom = env!.fleet.cluster(target).writes.find((w) => replicaOf(w.userAgent) === successor && w.at > stoppedAt)!.at;
    processes.get(hung)!.child.kill('SIGCONT');
    await waitFor(
      async () => processes.get(hung)!.stderr.join('').includes('write refused by the cluster lease'),
      'the woken replica to be refused',
      20_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; its log ends:\n${processes.get(hung)!.stderr.join('').slice(-4000)}`);
    });
    // Stopped here, so it cannot rejoin and be given the cluster back legitimately.
    processes.get(hung)!.child.kill('SIGKILL');
    env!.fleet.clearFaults(target);
    await waitFor(() => env!.rolledOut(revision), 'the rollout to finish', 150_000);
    expect(writers(target, successorFrom)).toEqual([successor]);
    expect(env!.auditSyncs()).toMatchObject({ repeatedSyncs: 0, nonOwnerWrites: 0 });
  });
});
