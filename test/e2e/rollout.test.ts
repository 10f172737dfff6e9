import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApplicationSetRolloutStep } from '../../src/api/application-set.js';
import type { KubeObject } from '../../src/api/meta.js';
import { DEMO_APPSET, DemoEnvironment, type DemoAppLayout } from '../../src/demo/demo-environment.js';
import { regatta } from '../support/cli.js';
import { envStep, maxConcurrent, stepTimes, syncHistory, THREE_STEP_CLUSTERS, waitFor } from '../support/rollout-fixture.js';

/**
 * Staged rollouts end to end, in one process: the simulated fleet, real redis-server, real Git,
 * Regatta's ApplicationSet controller with RollingSync, the direct sync driver and its BullMQ worker.
 */
let env: DemoEnvironment | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

const PROD = ['prod-1', 'prod-2', 'prod-3', 'prod-4'];
const steps = (canary: Partial<ApplicationSetRolloutStep> = {}): ApplicationSetRolloutStep[] => [
  envStep('staging'),
  envStep('canary', canary),
  envStep('production', { maxUpdate: '50%' }),
];
const app = (cluster: string) => `guestbook-${cluster}`;

async function started(stepList: ApplicationSetRolloutStep[], layout?: DemoAppLayout): Promise<DemoEnvironment> {
  env = await DemoEnvironment.start({ clusters: THREE_STEP_CLUSTERS, steps: stepList, readyDelayMs: 150, refreshIntervalMs: 150, layout });
  await waitFor(() => env!.rolledOut(env!.revision), 'the first rollout');
  return env;
}

async function image(cluster: string): Promise<string | undefined> {
  const deployment = (await env!.fleet.cluster(cluster).get(env!.fleet.cluster(cluster).typeForKind('apps/v1', 'Deployment')!, 'guestbook', 'guestbook')) as
    Record<string, any> | undefined;
  return deployment?.spec?.template?.spec?.containers?.[0]?.image;
}

async function rollout() {
  return (await env!.appSet())?.status?.rollout;
}

async function annotate(annotations: Record<string, string | null>): Promise<void> {
  await env!.client.mergePatch({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: { name: DEMO_APPSET, namespace: 'argocd', annotations },
  } as unknown as KubeObject);
}

describe('RollingSync on the simulated fleet', () => {
  it('rolls a change out step by step, never more than maxUpdate of production at once, each cluster synced once', async () => {
    await started(steps());
    const since = process.hrtime.bigint();
    const revision = await env!.release();
    await waitFor(() => env!.rolledOut(revision), 'the second rollout');

    const { firstSync, lastReady } = stepTimes(env!, since);
    expect(lastReady('staging-1')).toBeLessThan(firstSync('canary-1'));
    for (const cluster of PROD) expect(lastReady('canary-1')).toBeLessThan(firstSync(cluster));
    expect(maxConcurrent(env!, PROD, since)).toBe(2);

    const history = await syncHistory(env!);
    for (const cluster of THREE_STEP_CLUSTERS) expect(history.get(app(cluster.name))!.filter((r) => r === revision)).toHaveLength(1);
    // The same, counted by the clusters themselves: one sync each, none repeated.
    expect(env!.auditSyncs(since)).toMatchObject({ syncs: THREE_STEP_CLUSTERS.length, repeatedSyncs: 0 });
    expect(await image('prod-4')).toBe('guestbook:v2');
    const appSet = await env!.appSet();
    expect(appSet?.status?.conditions?.find((c) => c.type === 'RolloutProgressing')).toMatchObject({
      status: 'False',
      message: 'ApplicationSet Rollout has completed',
    });
  });

  it('halts at the step where a cluster turns unhealthy, within its progress deadline, and syncs nothing after it', async () => {
    // Plain manifests: with the chart, the failing cluster's PreSync migration Job would fail the sync before its Deployment turns unhealthy.
    await started(steps({ progressDeadlineSeconds: 20 }), 'manifests');
    env!.fleet.failWorkloads('canary-1');
    const started_ = Date.now();
    await env!.release();
    const halted = await waitFor(async () => ((await rollout())?.phase === 'Halted' ? rollout() : undefined), 'the rollout to halt');
    expect(Date.now() - started_).toBeLessThan(20_000);
    expect(halted!.failed).toEqual([{ application: app('canary-1'), step: 2, reason: expect.stringMatching(/^health Degraded/) }]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const cluster of PROD) expect(await image(cluster)).toBe('guestbook:v1');
    expect(await image('staging-1')).toBe('guestbook:v2');
  });

  it('onFailure rollback puts the clusters already updated back on the previous revision', async () => {
    await started(steps({ onFailure: 'rollback' }), 'manifests');
    const previous = env!.revision;
    env!.fleet.failWorkloads('canary-1');
    await env!.release();
    await waitFor(async () => (await rollout())?.phase === 'RolledBack', 'the rollback to finish');
    expect(await image('staging-1')).toBe('guestbook:v1');
    expect(await image('canary-1')).toBe('guestbook:v1');
    for (const cluster of PROD) expect(await image(cluster)).toBe('guestbook:v1');
    const history = await syncHistory(env!);
    expect(history.get(app('staging-1'))!.at(-1)).toBe(previous);
    expect(history.get(app('prod-1')), JSON.stringify(await rollout())).toEqual([previous]);
  });

  it('pause stops promotions and resume finishes the rollout, through the CLI', async () => {
    await started([envStep('staging'), envStep('canary'), envStep('production', { maxUpdate: 1 })]);
    const kubeconfig = join(mkdtempSync(join(tmpdir(), 'regatta-rollout-cli-')), 'kubeconfig');
    writeFileSync(kubeconfig, env!.managementKubeconfig('cli-user'));
    const revision = await env!.release();
    await waitFor(
      async () => (await syncHistory(env!)).get(app('prod-1'))?.includes(revision) || (await syncHistory(env!)).get(app('prod-2'))?.includes(revision),
      'production to start',
    );
    expect((await regatta('rollout', 'pause', DEMO_APPSET, '--kubeconfig', kubeconfig)).code).toBe(0);
    await waitFor(async () => (await rollout())?.phase === 'Paused', 'the pause to be seen');
    await new Promise((resolve) => setTimeout(resolve, 800));
    const during = [...(await syncHistory(env!)).values()].filter((h) => h.includes(revision)).length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect([...(await syncHistory(env!)).values()].filter((h) => h.includes(revision)).length).toBe(during);
    expect(during).toBeLessThan(THREE_STEP_CLUSTERS.length);
    const status = await regatta('rollout', 'status', DEMO_APPSET, '--kubeconfig', kubeconfig);
    expect(status.stdout).toMatch(/^ApplicationSet argocd\/guestbook-fleet: Paused, step 3: paused by the rollout.regatta.dev\/control annotation\n/);
    expect((await regatta('rollout', 'resume', DEMO_APPSET, '--kubeconfig', kubeconfig)).code).toBe(0);
    await waitFor(() => env!.rolledOut(revision), 'the rollout to finish after resume');
  });

  it('abort stops the rollout where it is; later changes start a new one', async () => {
    await started([envStep('staging', { minHealthySeconds: 3 }), envStep('canary'), envStep('production')]);
    await env!.release();
    await waitFor(
      async () => (await env!.appSet())?.status?.applicationStatus?.find((e) => e.application === app('staging-1'))?.status === 'Healthy',
      'staging to be Healthy',
    );
    await annotate({ 'rollout.regatta.dev/control': 'abort' });
    await waitFor(async () => (await rollout())?.phase === 'Aborted', 'the abort to be seen');
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(await image('canary-1')).toBe('guestbook:v1');
    await annotate({ 'rollout.regatta.dev/control': null });
    const next = await env!.release();
    await waitFor(() => env!.rolledOut(next), 'the next rollout');
  });
});
