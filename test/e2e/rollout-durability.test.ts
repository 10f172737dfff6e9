import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { DemoEnvironment } from '../../src/demo/demo-environment.js';
import { startReplicaProcess } from '../../src/demo/replica-process.js';
import { LocalRedis } from '../../src/demo/local-redis.js';
import { envStep, syncsTo, THREE_STEP_CLUSTERS, waitFor } from '../support/rollout-fixture.js';

/**
 * What happens to a rollout when the process running it dies, or Redis does: the rollout state is
 * in the ApplicationSet's status and the sync jobs in Redis, so it finishes, with every cluster
 * synced exactly once to the new revision.
 */
const STEPS = [envStep('staging'), envStep('canary'), envStep('production', { maxUpdate: 1 })];

let env: DemoEnvironment | undefined;
let redis: LocalRedis | undefined;
const replicas: ChildProcess[] = [];

afterEach(async () => {
  for (const replica of replicas.splice(0)) if (replica.exitCode === null && replica.signalCode === null) replica.kill('SIGKILL');
  await env?.stop();
  await redis?.stop();
  env = undefined;
  redis = undefined;
});

/** The real controller process (`node dist/main.js`), pointed at the simulated management cluster. */
function startReplica(environment: DemoEnvironment, redisUrl: string): ChildProcess {
  const child = startReplicaProcess({
    kubeconfig: environment.managementKubeconfig(),
    redisUrl,
    args: ['--enable-progressive-syncs=true', '--app-resync=0.2', '--source-poll-seconds=0.2', '--sync-lock-seconds=2'],
  });
  replicas.push(child);
  return child;
}

describe('durable rollouts', () => {
  it('a replica killed with SIGKILL mid-step and started again finishes the rollout: none synced twice, none skipped', async () => {
    redis = await LocalRedis.start({ persistent: true });
    env = await DemoEnvironment.start({ clusters: THREE_STEP_CLUSTERS, steps: STEPS, readyDelayMs: 400, redisUrl: redis.url, controller: false });
    const first = startReplica(env, redis.url);
    await waitFor(() => env!.rolledOut(env!.revision), 'the first rollout', 90_000);

    const revision = await env.release();
    await waitFor(async () => (await syncsTo(env!, revision)).synced.some((name) => name.includes('prod-')), 'production to start', 60_000);
    first.kill('SIGKILL');
    await new Promise((done) => first.once('exit', done));
    const atKill = await syncsTo(env, revision);
    expect(atKill.synced.length).toBeLessThan(THREE_STEP_CLUSTERS.length);

    startReplica(env, redis.url);
    await waitFor(() => env!.rolledOut(revision), 'the rollout to finish after the restart', 90_000);
    const after = await syncsTo(env, revision);
    expect(after.synced.sort()).toEqual(THREE_STEP_CLUSTERS.map((c) => `guestbook-${c.name}`).sort());
    expect(after.repeated).toEqual([]);
  });

  it('Redis restarted mid-rollout: the rollout resumes and finishes, every cluster synced once', async () => {
    redis = await LocalRedis.start({ persistent: true });
    env = await DemoEnvironment.start({ clusters: THREE_STEP_CLUSTERS, steps: STEPS, readyDelayMs: 300, redisUrl: redis.url, refreshIntervalMs: 200 });
    await waitFor(() => env!.rolledOut(env!.revision), 'the first rollout', 60_000);
    const revision = await env.release();
    await waitFor(async () => (await syncsTo(env!, revision)).synced.includes('guestbook-canary-1'), 'the canary to be synced', 60_000);
    await redis.restart();
    await waitFor(() => env!.rolledOut(revision), 'the rollout to finish after Redis came back', 90_000);
    expect((await syncsTo(env, revision)).repeated).toEqual([]);
    // What the clusters saw: each of the two rollouts applied once to every cluster.
    expect(env.auditSyncs()).toMatchObject({ syncs: 2 * THREE_STEP_CLUSTERS.length, repeatedSyncs: 0 });
  });

  it('Redis restarted empty mid-rollout: the queue is rebuilt from the Applications within a resync, every cluster synced once', async () => {
    redis = await LocalRedis.start({ persistent: false });
    env = await DemoEnvironment.start({ clusters: THREE_STEP_CLUSTERS, steps: STEPS, readyDelayMs: 300, redisUrl: redis.url, refreshIntervalMs: 500 });
    await waitFor(() => env!.rolledOut(env!.revision), 'the first rollout', 60_000);
    const revision = await env.release();
    await waitFor(async () => (await syncsTo(env!, revision)).synced.includes('guestbook-canary-1'), 'the canary to be synced', 60_000);
    // Every queued and running sync job, every lock and every de-duplication record is gone.
    await redis.restart();
    await waitFor(() => env!.rolledOut(revision), 'the rollout to finish after Redis came back empty', 90_000);
    expect((await syncsTo(env, revision)).repeated).toEqual([]);
    expect(env.auditSyncs()).toMatchObject({ syncs: 2 * THREE_STEP_CLUSTERS.length, repeatedSyncs: 0 });
  });
});
