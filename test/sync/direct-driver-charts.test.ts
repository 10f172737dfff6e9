import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application, ApplicationSource } from '../../src/api/application.js';
import type { KubeObject, Secret } from '../../src/api/meta.js';
import { GitRepositoryCache } from '../../src/git/repository-cache.js';
import { repositoryAccess } from '../../src/git/repository-credentials.js';
import { ChartRepositories } from '../../src/helm/index.js';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';
import { DirectSyncDriver } from '../../src/sync/direct-driver.js';
import { configMapChart, HelmRepositoryServer, OciRegistryServer } from '../support/chart-servers.js';
import { permissiveProjects } from '../support/direct-sync-fixture.js';
import { TestRepository } from '../support/git-fixtures.js';

const PASSWORD = 'chart-repo-s3cret';
const TOKEN = 'oci-t0ken-value';
let fleet: SimFleet;
let charts: HelmRepositoryServer;
let registry: OciRegistryServer;
let values: TestRepository;
let driver: DirectSyncDriver;
let cacheDir: string;

const secret = (name: string, data: Record<string, string>): Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': 'repository' } },
  stringData: { type: 'helm', project: 'team-a', username: 'robot', ...data },
});

const application = (name: string, project: string, source: Partial<ApplicationSource>): Application => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name, namespace: 'argocd' },
  spec: {
    project,
    source: { repoURL: charts.url, chart: 'guestbook', targetRevision: '^1.0', ...source },
    destination: { server: 'https://kubernetes.default.svc', namespace: 'default' },
  },
});

const configMapData = async (name: string) =>
  (await new ObjectClient(kubeConfigFromString(fleet.kubeconfig())).get<KubeObject & { data: Record<string, string> }>('v1', 'ConfigMap', 'default', name))
    ?.data;

beforeAll(async () => {
  charts = await HelmRepositoryServer.start('robot', PASSWORD);
  charts.publish('guestbook', '1.0.0', configMapChart('guestbook', '1.0.0'));
  charts.publish('guestbook', '1.4.2', configMapChart('guestbook', '1.4.2'));
  charts.publish('guestbook', '2.0.0', configMapChart('guestbook', '2.0.0'));
  registry = await OciRegistryServer.start('robot', PASSWORD, TOKEN);
  registry.push('charts/guestbook', '0.3.0', configMapChart('guestbook', '0.3.0'));
  values = new TestRepository('chart-values');
  fleet = await SimFleet.start();
  cacheDir = mkdtempSync(join(tmpdir(), 'regatta-chart-driver-'));
  // Only team-a holds the credentials of the Helm repository and of the registry.
  const secrets = [
    secret('charts', { url: charts.url, password: PASSWORD }),
    secret('registry', { url: `${registry.host}/charts`, password: PASSWORD, enableOCI: 'true', insecureOCIForceHttp: 'true' }),
  ];
  const management = kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'regatta-sync' }));
  driver = new DirectSyncDriver({
    repositories: new GitRepositoryCache({ allowLocalRepositories: true, directory: cacheDir }),
    // The index is read again on every resolve, so a newly published version is seen at once.
    charts: new ChartRepositories({ access: (url, project) => repositoryAccess(url, project, secrets), indexMaxAgeMs: 0 }),
    clusterFor: () => management,
    projects: permissiveProjects(),
    waveTimeoutMs: 10_000,
    pollMs: 20,
  });
});
afterAll(async () => {
  await fleet.stop();
  await charts.stop();
  await registry.stop();
  values.dispose();
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('Applications of charts from Helm repositories and OCI registries', () => {
  it('syncs the highest version the constraint allows, with the parameters, and names that version as the revision', async () => {
    const app = application('shop', 'team-a', { helm: { parameters: [{ name: 'colour', value: 'green' }] } });
    expect(await driver.sync(app, { prune: false })).toMatchObject({ phase: 'Succeeded', revision: '1.4.2' });
    expect(await configMapData('shop-guestbook')).toEqual({ version: '1.4.2', colour: 'green' });
    expect(await driver.refresh(app)).toMatchObject({ sync: 'Synced', revision: '1.4.2', sourceType: 'Helm' });

    charts.publish('guestbook', '1.5.0', configMapChart('guestbook', '1.5.0'));
    expect(await driver.revision(app.spec.source!, 'team-a')).toBe('1.5.0');
    expect(await driver.refresh(app)).toMatchObject({ sync: 'OutOfSync', revision: '1.5.0' });
    expect(await driver.sync(app, { prune: false })).toMatchObject({ phase: 'Succeeded', revision: '1.5.0' });
    expect((await configMapData('shop-guestbook'))?.version).toBe('1.5.0');
  });

  it('syncs a chart from an OCI registry', async () => {
    const app = application('blog', 'team-a', { repoURL: `${registry.host}/charts`, targetRevision: '0.3.0' });
    expect(await driver.sync(app, { prune: false })).toMatchObject({ phase: 'Succeeded', revision: '0.3.0' });
    expect(await configMapData('blog-guestbook')).toEqual({ version: '0.3.0', colour: 'blue' });
  });

  it('reads a `$values` value file of a multi-source Application from the Git source at its commit', async () => {
    const sha = values.commit({ 'envs/wiki.yaml': 'colour: purple\n' });
    const app = application('wiki', 'team-a', {});
    app.spec.source = undefined;
    app.spec.sources = [
      { repoURL: charts.url, chart: 'guestbook', targetRevision: '1.0.0', helm: { valueFiles: ['$values/envs/wiki.yaml'] } },
      { repoURL: values.url, targetRevision: 'main', ref: 'values' },
    ];
    expect(await driver.sync(app, { prune: false })).toMatchObject({ phase: 'Succeeded', revisions: ['1.0.0', sha] });
    expect(await configMapData('wiki-guestbook')).toEqual({ version: '1.0.0', colour: 'purple' });

    // As Argo CD: a source with a chart provides no files to the others.
    app.spec.sources[1] = { repoURL: charts.url, chart: 'guestbook', targetRevision: '2.0.0', ref: 'values' };
    await expect(driver.refresh(app)).rejects.toThrow(
      "spec.sources[0]: helm template guestbook-1.0.0: source has a 'chart' field defined, but Helm charts are not yet not supported for 'ref' sources",
    );
  });

  it("fails the comparison naming the source field, never showing the repository's password or the registry's token", async () => {
    const refused = async (app: Application, pattern: RegExp) => {
      const error = await driver.refresh(app).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).toMatch(pattern);
      expect(error?.message).not.toContain(PASSWORD);
      expect(error?.message).not.toContain(TOKEN);
    };
    // team-b holds no credentials for the repository.
    await refused(
      application('other', 'team-b', {}),
      /^spec\.source: error loading repo index http:\/\/127\.0\.0\.1:\d+\/charts\/index\.yaml: the server answered 401/,
    );
    await refused(application('shop', 'team-a', { targetRevision: '^9' }), /^spec\.source: invalid revision: version matching constraint not found in 4 tags$/);
    await refused(application('shop', 'team-a', { chart: 'missing' }), /^spec\.source: chart 'missing' not found in index$/);
    await refused(
      application('blog', 'team-b', { repoURL: `${registry.host}/charts`, targetRevision: '0.3.0' }),
      /^spec\.source: failed to pull 0\.3\.0 of 127\.0\.0\.1:\d+\/charts\/guestbook: /,
    );
  });

  it("refuses values that break the chart's values.schema.json, in Helm's words", async () => {
    const schema = JSON.stringify({ type: 'object', properties: { colour: { enum: ['blue', 'green'] } } });
    charts.publish('guestbook', '3.0.0', configMapChart('guestbook', '3.0.0', { 'values.schema.json': schema }));
    const app = application('shop', 'team-a', { targetRevision: '3.0.0', helm: { parameters: [{ name: 'colour', value: 'pink' }] } });
    await expect(driver.refresh(app)).rejects.toThrow(
      'spec.source: helm template guestbook-3.0.0: values don\'t meet the specifications of the schema(s) in the following chart(s):\nguestbook:\n- colour: colour must be one of the following: "blue", "green"\n',
    );
    // helm.skipSchemaValidation, as Helm's --skip-schema-validation.
    app.spec.source!.helm!.skipSchemaValidation = true;
    expect(await driver.sync(app, { prune: false })).toMatchObject({ phase: 'Succeeded', revision: '3.0.0' });
    expect(await configMapData('shop-guestbook')).toEqual({ version: '3.0.0', colour: 'pink' });
  });
});
