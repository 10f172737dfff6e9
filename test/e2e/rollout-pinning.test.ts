import { afterEach, describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import type { ApplicationSetRolloutStep } from '../../src/api/application-set.js';
import type { KubeObject } from '../../src/api/meta.js';
import { DEMO_APPSET, DemoEnvironment } from '../../src/demo/demo-environment.js';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { regatta } from '../support/cli.js';
import { envStep, THREE_STEP_CLUSTERS, waitFor } from '../support/rollout-fixture.js';
import { writesSince } from '../support/write-log.js';

/**
 * RollingSync with pinRevisions on the simulated fleet, with the direct driver: Applications keep
 * automated sync and selfHeal, each pinned to the commit its step released.
 */
let env: DemoEnvironment | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

const app = (cluster: string) => `guestbook-${cluster}`;
const DEPLOYMENT = 'Deployment/guestbook/guestbook';

async function image(cluster: string): Promise<string | undefined> {
  const store = env!.fleet.cluster(cluster);
  const deployment = (await store.get(store.typeForKind('apps/v1', 'Deployment')!, 'guestbook', 'guestbook')) as Record<string, any> | undefined;
  return deployment?.spec?.template?.spec?.containers?.[0]?.image;
}

async function applicationsByName(): Promise<Map<string, Application>> {
  return new Map((await env!.applications()).map((a) => [a.metadata.name, a]));
}

async function rollout() {
  return (await env!.appSet())?.status?.rollout;
}

async function entry(cluster: string) {
  return (await env!.appSet())?.status?.applicationStatus?.find((e) => e.application === app(cluster));
}

/** Someone with cluster access sets the guestbook Deployment's image themselves. */
async function editByHand(cluster: string, imageName: string): Promise<void> {
  const oncall = new ObjectClient(kubeConfigFromString(env!.fleet.kubeconfig(cluster, { identity: 'oncall' })));
  await oncall.mergePatch({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'guestbook', namespace: 'guestbook' },
    spec: { template: { spec: { containers: [{ name: 'guestbook', image: imageName }] } } },
  } as unknown as KubeObject);
}

/** Every Application pinned to `revision`, with automated sync on. */
async function pinnedTo(revision: string): Promise<boolean> {
  const applications = [...(await applicationsByName()).values()];
  return (
    applications.length === THREE_STEP_CLUSTERS.length &&
    applications.every((a) => a.spec.source?.targetRevision === revision && a.spec.syncPolicy?.automated?.enabled !== false)
  );
}

/** Applies of the guestbook Deployment to `cluster` since `sinceNs` that changed it, as the cluster logged them. */
function deploymentChanges(cluster: string, sinceNs: bigint): number {
  return env!.fleet.cluster(cluster).applies.filter((a) => a.at >= sinceNs && a.object === DEPLOYMENT && a.changed).length;
}

/** Starts the fleet as Argo CD would roll it out, then turns pinning and selfHeal on: every Application is pinned where it runs. */
async function pinnedFleet(steps: ApplicationSetRolloutStep[]): Promise<string> {
  env = await DemoEnvironment.start({
    clusters: THREE_STEP_CLUSTERS,
    steps: [envStep('staging'), envStep('canary'), envStep('production')],
    readyDelayMs: 150,
    refreshIntervalMs: 150,
    // One Git source per Application, the pins read from spec.source; a failing cluster's Deployment (not a PreSync hook) fails.
    layout: 'manifests',
  });
  await waitFor(() => env!.rolledOut(env!.revision), 'the first rollout');
  const since = process.hrtime.bigint();
  await env.client.mergePatch({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: { name: DEMO_APPSET, namespace: 'argocd' },
    spec: { strategy: { rollingSync: { steps, pinRevisions: true } }, template: { spec: { syncPolicy: { automated: { prune: true, selfHeal: true } } } } },
  } as unknown as KubeObject);
  await waitFor(() => pinnedTo(env!.revision), 'every Application pinned to the commit it runs');
  await waitFor(async () => (await rollout())?.phase === 'Completed', 'the rollout to settle');
  // Turning pinning on moved nothing.
  for (const cluster of THREE_STEP_CLUSTERS) expect(deploymentChanges(cluster.name, since)).toBe(0);
  return env.revision;
}

describe('RollingSync pinRevisions with the direct driver', () => {
  it('heals a hand edit of a cluster whose step has not opened back to the old image, then moves each cluster once', async () => {
    const old = await pinnedFleet([envStep('staging', { minHealthySeconds: 6 }), envStep('canary'), envStep('production', { maxUpdate: '50%' })]);
    const since = process.hrtime.bigint();
    const release = await env!.release();
    await waitFor(async () => (await image('staging-1')) === 'guestbook:v2' && (await entry('staging-1'))?.status === 'Healthy', 'staging to run v2');

    // Someone edits production by hand while staging bakes.
    await editByHand('prod-1', 'guestbook:hotfix');
    expect(await image('prod-1')).toBe('guestbook:hotfix');
    await waitFor(async () => (await image('prod-1')) === 'guestbook:v1', 'self-heal to put the old image back');
    const pending = await rollout();
    expect(pending?.step).toBeLessThan(3);
    expect(await entry('prod-1')).toMatchObject({ status: 'Waiting', targetRevisions: [release] });
    expect((await applicationsByName()).get(app('prod-1'))?.spec.source?.targetRevision).toBe(old);
    expect(await image('canary-1')).toBe('guestbook:v1');
    const kubeconfig = join(mkdtempSync(join(tmpdir(), 'regatta-pinning-cli-')), 'kubeconfig');
    writeFileSync(kubeconfig, env!.managementKubeconfig('cli-user'));
    const status = await regatta('rollout', 'status', DEMO_APPSET, '--kubeconfig', kubeconfig);
    expect(status.stdout).toMatch(new RegExp(`${app('prod-1')} +step 3 +Waiting .*\\[pinned ${old.slice(0, 7)}, release ${release.slice(0, 7)}\\]`));

    await waitFor(() => env!.rolledOut(release), 'the rollout of v2', 40_000);
    expect(await pinnedTo(release)).toBe(true);
    // Counted by the clusters: one change to v2 each, and on prod-1 the heal before it.
    for (const cluster of THREE_STEP_CLUSTERS) expect(deploymentChanges(cluster.name, since), cluster.name).toBe(cluster.name === 'prod-1' ? 2 : 1);
    expect(env!.auditSyncs(since)).toMatchObject({ syncs: THREE_STEP_CLUSTERS.length + 1, repeatedSyncs: 0 });
    expect(await image('prod-4')).toBe('guestbook:v2');

    // Settled: the ApplicationSet controller reconciles on (the Applications' status refreshes wake it) and writes nothing.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const quiet = process.hrtime.bigint();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const management = env!.fleet.cluster();
    // The pins moved by the same writes this looks for.
    expect(writesSince(management, since, { kind: 'Application', verb: 'apply' }).length).toBeGreaterThan(0);
    expect([...writesSince(management, quiet, { kind: 'Application', verb: 'apply' }), ...writesSince(management, quiet, { kind: 'ApplicationSet' })]).toEqual(
      [],
    );
  });

  it('finds a commit pushed while nothing else moves, and rolls it out', async () => {
    await pinnedFleet([envStep('staging'), envStep('canary'), envStep('production')]);
    // Pinned, no Application changes when the branch moves: the commit is found by asking the repository.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const release = await env!.release();
    await waitFor(() => env!.rolledOut(release), 'the rollout of the pushed commit', 40_000);
    expect(await pinnedTo(release)).toBe(true);
  });

  it('a rollback re-pins the previous commit, and self-heal then keeps it there', async () => {
    const old = await pinnedFleet([envStep('staging'), envStep('canary', { onFailure: 'rollback' }), envStep('production')]);
    env!.fleet.failWorkloads('canary-1');
    const release = await env!.release();
    await waitFor(async () => (await rollout())?.phase === 'RolledBack', 'the rollback to finish');
    const applications = await applicationsByName();
    for (const cluster of ['staging-1', 'canary-1', 'prod-1']) expect(applications.get(app(cluster))?.spec.source?.targetRevision, cluster).toBe(old);
    expect(await image('staging-1')).toBe('guestbook:v1');
    expect(await entry('staging-1')).toMatchObject({ targetRevisions: [release] });

    const since = process.hrtime.bigint();
    await editByHand('staging-1', 'guestbook:v2');
    await waitFor(async () => (await image('staging-1')) === 'guestbook:v1', 'self-heal to keep the rolled-back image');
    expect(deploymentChanges('staging-1', since)).toBe(1);
  });
});
