import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DemoEnvironment } from '../../src/demo/demo-environment.js';
import { LocalRedis } from '../../src/demo/local-redis.js';
import { startReplicaProcess } from '../../src/demo/replica-process.js';
import { THREE_STEP_CLUSTERS, envStep, waitFor } from '../support/rollout-fixture.js';

/**
 * A replica and the processes the demo, the benches and the tests start must not outlive what
 * they serve: SIGTERM ends a replica within --shutdown-timeout even when Redis and the API servers
 * are gone, a replica whose starter is gone stops itself, and redis-server dies with its starter.
 */
let env: DemoEnvironment | undefined;
let redis: LocalRedis | undefined;
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await env?.stop();
  await redis?.stop();
  env = undefined;
  redis = undefined;
});

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((done) => child.once('exit', () => done()));

/** A replica in the middle of a rollout: Redis and the simulator in use, syncs queued. */
async function busyReplica(): Promise<ChildProcess> {
  redis = await LocalRedis.start();
  env = await DemoEnvironment.start({
    clusters: THREE_STEP_CLUSTERS,
    steps: [envStep('staging'), envStep('canary'), envStep('production', { maxUpdate: 1 })],
    readyDelayMs: 400,
    redisUrl: redis.url,
    controller: false,
  });
  const replica = startReplicaProcess({
    kubeconfig: env.managementKubeconfig(),
    redisUrl: redis.url,
    args: ['--enable-progressive-syncs=true', '--app-resync=0.2', '--source-poll-seconds=0.2', '--shutdown-timeout=3'],
    stderr: 'ignore',
  });
  children.push(replica);
  const environment = env;
  await waitFor(async () => (await environment.applications()).some((a: any) => a.status?.operationState), 'the first syncs', 60_000);
  return replica;
}

describe('process lifetimes', () => {
  it('SIGTERM ends a replica within --shutdown-timeout after Redis and the API servers are gone', async () => {
    const replica = await busyReplica();
    await redis!.stop();
    await env!.stop();
    redis = undefined;
    env = undefined;
    const started = Date.now();
    replica.kill('SIGTERM');
    await Promise.race([exited(replica), new Promise((done) => setTimeout(done, 15_000))]);
    expect(replica.exitCode !== null || replica.signalCode !== null, 'the replica has exited').toBe(true);
    // 3 s of timeout, and the time a loaded machine takes to run the timer.
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it('a replica whose starter is gone (its IPC channel closed) stops by itself', async () => {
    const replica = await busyReplica();
    replica.disconnect();
    await Promise.race([exited(replica), new Promise((done) => setTimeout(done, 15_000))]);
    expect(replica.exitCode !== null || replica.signalCode !== null, 'the replica has exited').toBe(true);
  });

  it('redis-server dies with the process that started it, even one killed with SIGKILL', async () => {
    const localRedis = resolve('dist/demo/local-redis.js');
    const starter = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { LocalRedis } = await import(${JSON.stringify(localRedis)}); const r = await LocalRedis.start(); console.log(r.port); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(starter);
    const port = await new Promise<number>((done, fail) => {
      starter.stdout!.once('data', (chunk: Buffer) => done(Number(chunk.toString('utf8').trim())));
      starter.once('exit', (code) => fail(new Error(`the starter exited with ${code}`)));
    });
    const answers = () =>
      new Promise<boolean>((done) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => (socket.destroy(), done(true)));
        socket.once('error', () => done(false));
      });
    expect(await answers()).toBe(true);
    starter.kill('SIGKILL');
    await waitFor(async () => !(await answers()), 'redis-server to stop', 15_000);
  });
});
