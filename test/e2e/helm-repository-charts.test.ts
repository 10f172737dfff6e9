import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/api/meta.js';
import { DEMO_APPSET, DemoEnvironment } from '../../src/demo/demo-environment.js';
import { configMapChart, HelmRepositoryServer } from '../support/chart-servers.js';
import { envStep, waitFor } from '../support/rollout-fixture.js';

/**
 * The controller as it runs, on the simulated fleet: an ApplicationSet whose Applications name a
 * chart of a private Helm repository, read with the repository Secret in Argo CD's namespace.
 */
const PASSWORD = 'fleet-charts-s3cret';
const CLUSTERS = [
  { name: 'staging-1', labels: { env: 'staging', region: 'eu' } },
  { name: 'prod-1', labels: { env: 'production', region: 'eu' } },
];
let env: DemoEnvironment | undefined;
let charts: HelmRepositoryServer | undefined;
afterEach(async () => {
  await env?.stop();
  await charts?.stop();
  env = charts = undefined;
});

/** The version the chart's ConfigMap on `cluster` shows, once synced there. */
async function deployedVersion(cluster: string): Promise<string | undefined> {
  const store = env!.fleet.cluster(cluster);
  const type = store.typeForKind('v1', 'ConfigMap');
  const configMap = type && ((await store.get(type, 'guestbook', `guestbook-${cluster}-web`)) as { data?: Record<string, string> } | undefined);
  return configMap?.data?.version;
}

describe('charts from Helm repositories, end to end', () => {
  it('syncs every Application to the chart version its constraint allows, with the credentials of the repository Secret', async () => {
    charts = await HelmRepositoryServer.start('robot', PASSWORD);
    charts.publish('web', '1.1.0', configMapChart('web', '1.1.0'));
    charts.publish('web', '2.0.0', configMapChart('web', '2.0.0'));
    // One source per Application, which the test then points at the repository's chart.
    env = await DemoEnvironment.start({
      clusters: CLUSTERS,
      steps: [envStep('staging'), envStep('production')],
      readyDelayMs: 100,
      refreshIntervalMs: 200,
      layout: 'manifests',
    });
    await waitFor(() => env!.rolledOut(env!.revision), 'the first rollout');

    await env.client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'fleet-charts', namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': 'repository' } },
      stringData: { type: 'helm', name: 'fleet-charts', url: charts.url, username: 'robot', password: PASSWORD },
    } as unknown as KubeObject);
    await env.client.mergePatch({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'ApplicationSet',
      metadata: { name: DEMO_APPSET, namespace: 'argocd' },
      spec: { template: { spec: { source: { repoURL: charts.url, chart: 'web', targetRevision: '^1.0', path: null } } } },
    } as unknown as KubeObject);

    for (const cluster of CLUSTERS) await waitFor(async () => (await deployedVersion(cluster.name)) === '1.1.0', `chart 1.1.0 on ${cluster.name}`);
    const applications = await waitFor(async () => {
      const all = await env!.applications();
      return all.every((a) => a.status?.sync?.status === 'Synced' && a.status.sync.revision === '1.1.0') && all;
    }, 'every Application Synced at 1.1.0');
    expect(applications.map((a) => a.status?.sourceType)).toEqual(['Helm', 'Helm']);
    expect(JSON.stringify(applications.map((a) => a.status))).not.toContain(PASSWORD);
  });
});
