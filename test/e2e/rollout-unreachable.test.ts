import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import type { ApplicationSetRolloutStep } from '../../src/api/application-set.js';
import { DEMO_APPSET, DemoEnvironment } from '../../src/demo/demo-environment.js';
import { regatta } from '../support/cli.js';
import { envStep, syncHistory, THREE_STEP_CLUSTERS, waitFor } from '../support/rollout-fixture.js';

/**
 * Unreachable clusters and dependencies during RollingSync, end to end: the simulated fleet with
 * its faults, real redis-server and Git, Regatta's controllers with the direct driver. Syncs are
 * counted from the clusters' write logs.
 */
let env: DemoEnvironment | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

const app = (cluster: string) => `guestbook-${cluster}`;
const steps = (production: Partial<ApplicationSetRolloutStep>) => [envStep('staging'), envStep('canary'), envStep('production', production)];

async function started(stepList: ApplicationSetRolloutStep[], separatePorts = false): Promise<DemoEnvironment> {
  env = await DemoEnvironment.start({ clusters: THREE_STEP_CLUSTERS, steps: stepList, readyDelayMs: 150, refreshIntervalMs: 150, separatePorts });
  await waitFor(() => env!.rolledOut(env!.revision), 'the first rollout');
  return env;
}

async function application(name: string): Promise<Application> {
  return (await env!.applications()).find((a) => a.metadata.name === name)!;
}

/** `regatta rollout status` of the demo's ApplicationSet, as a user runs it. */
async function rolloutStatusCli(): Promise<string> {
  const directory = mkdtempSync(join(tmpdir(), 'regatta-unreachable-cli-'));
  try {
    writeFileSync(join(directory, 'kubeconfig'), env!.managementKubeconfig('cli-user'));
    return (await regatta('rollout', 'status', DEMO_APPSET, '--kubeconfig', join(directory, 'kubeconfig'))).stdout;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

async function rollout() {
  return (await env!.appSet())?.status?.rollout;
}

describe('RollingSync with an unreachable production cluster', () => {
  it('unreachable: skip completes the rollout without it, lists it, and syncs it once when it answers again', async () => {
    await started(steps({ unreachable: 'skip' }));
    const since = process.hrtime.bigint();
    const revision = await env!.release();
    // Mid-rollout: staging is being rolled out when prod-4 stops answering.
    await waitFor(async () => (await rollout())?.step === 1 || undefined, 'step 1 of the new rollout');
    await env!.fleet.fault('prod-4', { unreachable: true });

    const completed = await waitFor(async () => {
      const status = await rollout();
      return status?.phase === 'Completed' && status.skipped?.length ? status : undefined;
    }, 'the rollout completed without prod-4');
    const destination = (await application(app('prod-4'))).spec.destination.server;
    expect(completed.skipped).toEqual([
      { application: app('prod-4'), destination, step: 3, since: expect.any(String), reason: expect.stringContaining('cluster unreachable: ') },
    ]);
    expect((await application(app('prod-4'))).status?.conditions).toEqual([
      expect.objectContaining({
        type: 'ComparisonError',
        message: `Failed to load live state: failed to get cluster info for "${destination}": cluster unreachable: read tcp ${new URL(destination!).host}: connection reset by peer`,
      }),
    ]);
    const entry = (await env!.appSet())!.status!.applicationStatus!.find((e) => e.application === app('prod-4'));
    expect(entry?.message).toMatch(/^Application skipped: its cluster does not answer/);
    expect(completed.failed).toBeUndefined();
    // Every other cluster got the release once; prod-4 nothing.
    expect(env!.auditSyncs(since)).toMatchObject({ syncs: THREE_STEP_CLUSTERS.length - 1, repeatedSyncs: 0 });
    expect(env!.fleet.cluster('prod-4').writes.filter((w) => w.at >= since)).toEqual([]);
    expect(await rolloutStatusCli()).toContain(
      `  skipped: ${app('prod-4')} on ${destination} (step 3) since ${completed.skipped![0].since}: cluster unreachable\n`,
    );

    await env!.fleet.clearFaults('prod-4');
    await waitFor(async () => {
      const status = await rollout();
      const history = (await syncHistory(env!)).get(app('prod-4')) ?? [];
      return status?.phase === 'Completed' && !status.skipped && history.at(-1) === revision;
    }, 'prod-4 caught up and off the skipped list');
    expect((await syncHistory(env!)).get(app('prod-4'))!.filter((r) => r === revision)).toHaveLength(1);
    expect(env!.auditSyncs(since)).toMatchObject({ syncs: THREE_STEP_CLUSTERS.length, repeatedSyncs: 0 });
    expect((await application(app('prod-4'))).status?.conditions ?? []).toEqual([]);
  }, 45_000);

  it('unreachable: wait (the default) stays at the step and names the cluster it waits for', async () => {
    await started(steps({}), true);
    await env!.fleet.fault('prod-2', { refuseConnections: true });
    const since = process.hrtime.bigint();
    await env!.release();
    const destination = (await application(app('prod-2'))).spec.destination.server!;

    const waiting = await waitFor(async () => {
      const appSet = await env!.appSet();
      const condition = appSet?.status?.conditions?.find((c) => c.type === 'RolloutProgressing');
      return condition?.message.includes('unreachable') && appSet?.status?.rollout?.unreachable?.length ? appSet : undefined;
    }, 'the rollout waiting for prod-2');
    expect(waiting.status?.conditions?.find((c) => c.type === 'RolloutProgressing')).toMatchObject({
      status: 'True',
      message: `step 3: waiting for 1 unreachable cluster: ${destination}`,
    });
    expect(waiting.status?.rollout).toMatchObject({
      phase: 'Progressing',
      step: 3,
      unreachable: [
        {
          application: app('prod-2'),
          destination,
          step: 3,
          reason: expect.stringContaining(`dial tcp ${new URL(destination).host}: connect: connection refused`),
        },
      ],
    });
    // The other production clusters got the release, once each; prod-2 nothing.
    await waitFor(async () => env!.auditSyncs(since).syncs === THREE_STEP_CLUSTERS.length - 1, 'the reachable clusters synced');
    expect(env!.auditSyncs(since).repeatedSyncs).toBe(0);
    expect(env!.fleet.cluster('prod-2').writes.filter((w) => w.at >= since)).toEqual([]);
    expect((await rollout())?.phase).toBe('Progressing');
  }, 45_000);
});

describe('regatta.dev/depends-on on the simulated fleet', () => {
  it("syncs each cluster's web only after its db turned ready, each once", async () => {
    const clusters = ['c-1', 'c-2'].map((name) => ({ name, labels: { env: 'production', region: 'eu' } }));
    env = await DemoEnvironment.start({
      clusters,
      apps: ['db', 'web'],
      dependsOn: { web: 'component=db' },
      steps: [envStep('production')],
      readyDelayMs: 300,
      refreshIntervalMs: 150,
    });
    await waitFor(() => env!.rolledOut(env!.revision), 'the first rollout');
    const since = process.hrtime.bigint();
    await env!.release();
    await waitFor(() => env!.rolledOut(env!.revision), 'the second rollout');

    for (const { name } of clusters) {
      const deploymentWrites = (namespace: string) =>
        env!.fleet.cluster(name).writes.filter((w) => w.kind === 'Deployment' && w.namespace === namespace && w.at >= since);
      const dbApplied = deploymentWrites('db').find((w) => w.identity !== 'sim-kubelet')!.at;
      const dbReady = deploymentWrites('db').find((w) => w.identity === 'sim-kubelet' && w.at > dbApplied)!.at;
      const webApplied = deploymentWrites('web').find((w) => w.identity !== 'sim-kubelet')!.at;
      expect(webApplied).toBeGreaterThan(dbReady);
    }
    expect(env!.auditSyncs(since)).toMatchObject({ syncs: 4, repeatedSyncs: 0 });
  }, 40_000);
});
