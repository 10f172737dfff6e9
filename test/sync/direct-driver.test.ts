import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import type { KubeObject, Secret } from '../../src/api/meta.js';
import { GitRepositoryCache } from '../../src/git/repository-cache.js';
import { repositoryAccess } from '../../src/git/repository-credentials.js';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';
import { defaultAppProject } from '../../src/api/app-project.js';
import { DirectSyncDriver } from '../../src/sync/direct-driver.js';
import { ComparisonFailure } from '../../src/sync/sync-driver.js';
import type { ProjectCluster } from '../../src/projects/project-rules.js';
import { ProjectGuard } from '../../src/sync/project-guard.js';
import { TestRepository } from '../support/git-fixtures.js';
import { GitHttpServer } from '../support/git-http-server.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { writeMark, writesSince } from '../support/write-log.js';

const PASSWORD = 'team-a-s3cret';
let fleet: SimFleet;
let repo: TestRepository;
let server: GitHttpServer;
let cacheDir: string;
let driver: DirectSyncDriver;
let sha: string;

const url = () => `${server.base}/${basename(repo.bare)}`;
const application = (name: string, project: string, targetRevision = 'main'): Application => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name, namespace: 'argocd' },
  spec: {
    project,
    source: { repoURL: url(), path: 'guestbook', targetRevision },
    destination: { server: 'https://kubernetes.default.svc', namespace: 'default' },
  },
});

/** The repository's credentials belong to team-a alone. */
const secretsOf = (): Secret[] => [
  {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'team-a-config', namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': 'repository' } },
    stringData: { url: url(), project: 'team-a', username: 'robot', password: PASSWORD },
  },
];

/** Both projects may deploy anything anywhere: what differs is only whose repository credentials they hold. */
const guard = (clusters: ProjectCluster[] = []) =>
  new ProjectGuard({
    controllerNamespace: 'argocd',
    project: (name) => ({ ...defaultAppProject('argocd'), metadata: { name, namespace: 'argocd' } }),
    clusters: () => clusters,
    repositories: () => [],
    settings: () => undefined,
  });

beforeAll(async () => {
  repo = new TestRepository('team-a-config');
  sha = repo.commit({ 'guestbook/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: guestbook}\ndata: {colour: blue}\n' });
  server = await GitHttpServer.start(dirname(repo.bare), 'robot', PASSWORD);
  fleet = await SimFleet.start();
  cacheDir = mkdtempSync(join(tmpdir(), 'regatta-driver-cache-'));
  const management = kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'regatta-sync' }));
  driver = new DirectSyncDriver({
    repositories: new GitRepositoryCache({
      allowLocalRepositories: true,
      directory: cacheDir,
      access: (u, project) => repositoryAccess(u, project, secretsOf()),
    }),
    clusterFor: () => management,
    projects: guard(),
  });
});
afterAll(async () => {
  await server.stop();
  await fleet.stop();
  repo.dispose();
  rmSync(cacheDir, { recursive: true, force: true });
});

describe("the direct driver reads an Application's source with its project's credentials", () => {
  it('syncs an Application of the project the repository Secret is scoped to', async () => {
    expect(await driver.revision(application('a', 'team-a').spec.source!, 'team-a')).toBe(sha);
    const outcome = await driver.sync(application('a', 'team-a'), { prune: false });
    expect(outcome.phase).toBe('Succeeded');
    expect(writesSince(fleet.cluster(), 0n, { kind: 'ConfigMap', name: 'guestbook', identity: 'regatta-sync' })).toHaveLength(1);
  });

  it("refuses another project's Application, even for a commit already read and rendered for team-a", async () => {
    const mark = writeMark();
    await expect(driver.revision(application('b', 'team-b').spec.source!, 'team-b')).rejects.toThrow(
      /failed to authenticate to git repository: no credentials matched this URL/,
    );
    for (const revision of ['main', sha]) {
      await expect(driver.refresh(application('b', 'team-b', revision))).rejects.toThrow(/no credentials matched this URL/);
      await expect(driver.sync(application('b', 'team-b', revision), { prune: false })).rejects.toThrow(/no credentials matched this URL/);
    }
    expect(writesSince(fleet.cluster(), mark, { identity: 'regatta-sync' })).toEqual([]);
  });
});

describe('ApplyOutOfSyncOnly (and every resumed sync)', () => {
  const appliesSince = (mark: bigint) => fleet.cluster().applies.filter((apply) => apply.at >= mark && apply.application === 'a');

  it('applies only the objects whose live state does not hold the manifest', async () => {
    await driver.sync(application('a', 'team-a'), { prune: false });
    let mark = writeMark();
    const again = await driver.sync(application('a', 'team-a'), { prune: false, applyOutOfSyncOnly: true });
    expect(again.phase).toBe('Succeeded');
    expect(again.resources.map((r) => r.message)).toEqual(['configmap/guestbook already in sync']);
    expect(appliesSince(mark)).toEqual([]);

    // Someone changed it on the cluster: that object is out of sync, and is applied.
    const admin = new ObjectClient(kubeConfigFromString(fleet.kubeconfig()));
    await admin.mergePatch({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'guestbook', namespace: 'default' }, data: { colour: 'red' } } as never);
    mark = writeMark();
    await driver.sync(application('a', 'team-a'), { prune: false, applyOutOfSyncOnly: true });
    expect(appliesSince(mark).map((apply) => [apply.object, apply.changed])).toEqual([['ConfigMap/default/guestbook', true]]);
  });

  it("compares a Secret's stringData as the data the API server keeps: Synced once applied, not applied again", async () => {
    const commit = repo.commit(
      { 'credentials/secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata: {name: api-token}\nstringData: {token: s3cret}\n' },
      'credentials',
    );
    const credentials = application('credentials', 'team-a', commit);
    credentials.spec.source!.path = 'credentials';
    expect((await driver.refresh(credentials)).sync).toBe('OutOfSync');
    await driver.sync(credentials, { prune: false });
    const live = await new ObjectClient(kubeConfigFromString(fleet.kubeconfig())).get<Secret>('v1', 'Secret', 'default', 'api-token');
    expect(live?.data).toEqual({ token: Buffer.from('s3cret').toString('base64') });
    expect(live?.stringData).toBeUndefined();

    const refreshed = await driver.refresh(credentials);
    expect(refreshed.resources.map((r) => [r.kind, r.status])).toEqual([['Secret', 'Synced']]);
    expect(refreshed.sync).toBe('Synced');
    const mark = writeMark();
    const again = await driver.sync(credentials, { prune: false, applyOutOfSyncOnly: true });
    expect(again.resources.map((r) => r.message)).toEqual(['secret/api-token already in sync']);
    expect(fleet.cluster().applies.filter((apply) => apply.at >= mark)).toEqual([]);
  });
});

describe('sync waves', () => {
  it('applies a wave once the one before is Healthy: config at once, a workload once it is ready', async () => {
    const wave = (n: number) => `  annotations: {argocd.argoproj.io/sync-wave: "${n}"}\n`;
    const waves = repo.commit(
      {
        'waves/config.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n${wave(-1)}data: {colour: blue}\n`,
        'waves/deployment.yaml': `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n${wave(0)}spec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: web:1}]}\n`,
        'waves/service.yaml': `apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n${wave(1)}spec:\n  selector: {app: web}\n  ports: [{port: 80}]\n`,
      },
      'waves',
    );
    const mark = writeMark();
    const app = application('w', 'team-a', waves);
    app.spec.source!.path = 'waves';
    const outcome = await driver.sync(app, { prune: false });
    expect(outcome.phase).toBe('Succeeded');
    const order = writesSince(fleet.cluster(), mark)
      .filter((w) => ['ConfigMap', 'Deployment', 'Service'].includes(w.kind) && w.namespace === 'default')
      .map((w) => `${w.kind}/${w.name} by ${w.identity}`);
    // The simulated kubelet reports the Deployment ready before the Service of the next wave is applied.
    expect(order).toEqual([
      'ConfigMap/settings by regatta-sync',
      'Deployment/web by regatta-sync',
      'Deployment/web by sim-kubelet',
      'Service/web by regatta-sync',
    ]);
  });
});

describe('CreateNamespace=true: the Namespace Regatta created goes with its Application, one that existed stays', () => {
  const admin = () => new ObjectClient(kubeConfigFromString(fleet.kubeconfig()));
  const inNamespace = (name: string, namespace: string): Application => {
    const app = application(name, 'team-a');
    return {
      ...app,
      spec: { ...app.spec, destination: { ...app.spec.destination, namespace }, syncPolicy: { syncOptions: ['CreateNamespace=true'] } },
      status: { resources: [{ group: '', version: 'v1', kind: 'ConfigMap', namespace, name: 'guestbook', status: 'Synced' }] },
    } as Application;
  };

  it('a Namespace the sync created is marked for the Application and deleted with its resources', async () => {
    const app = inNamespace('preview-1', 'preview-1');
    expect((await driver.sync(app, { prune: false })).phase).toBe('Succeeded');
    const created = await admin().get('v1', 'Namespace', undefined, 'preview-1');
    expect(created?.metadata?.annotations?.['regatta.dev/created-for-application']).toBe('argocd/preview-1');

    const mark = writeMark();
    const deleted = await driver.deleteResources(app);
    expect(deleted.map((k) => `${k.kind}/${k.namespace}/${k.name}`)).toEqual(['ConfigMap/preview-1/guestbook', 'Namespace//preview-1']);
    expect(writesSince(fleet.cluster(), mark, { verb: 'delete' }).map((w) => `${w.kind}/${w.name}`)).toEqual(['ConfigMap/guestbook', 'Namespace/preview-1']);
    expect(await admin().get('v1', 'ConfigMap', 'preview-1', 'guestbook')).toBeUndefined();
  });

  it('a Namespace that existed before the sync is not marked and never deleted; another Application’s is not either', async () => {
    await admin().create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-shared' } });
    const app = inNamespace('shared-1', 'team-shared');
    await driver.sync(app, { prune: false });
    expect((await admin().get('v1', 'Namespace', undefined, 'team-shared'))?.metadata?.annotations?.['regatta.dev/created-for-application']).toBeUndefined();

    const owner = inNamespace('preview-2', 'preview-2');
    await driver.sync(owner, { prune: false });
    const other = { ...inNamespace('other', 'preview-2'), status: { resources: [] } } as Application;

    const mark = writeMark();
    expect((await driver.deleteResources(app)).map((k) => k.kind)).toEqual(['ConfigMap']);
    expect(await driver.deleteResources(other)).toEqual([]);
    expect(writesSince(fleet.cluster(), mark, { kind: 'Namespace', verb: 'delete' })).toEqual([]);
    expect(await admin().get('v1', 'Namespace', undefined, 'team-shared')).toBeDefined();
    expect(await admin().get('v1', 'Namespace', undefined, 'preview-2')).toBeDefined();
  });
});

describe('Helm sources', () => {
  it("syncs a chart from the repository: a release per Application, the destination's version in .Capabilities", async () => {
    const chart = repo.commit(
      {
        'webchart/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
        'webchart/values.yaml': 'colour: blue\n',
        'webchart/templates/config.yaml': [
          'apiVersion: v1',
          'kind: ConfigMap',
          'metadata:',
          '  name: {{ .Release.Name }}-{{ .Chart.Name }}',
          'data:',
          '  colour: {{ .Values.colour }}',
          '  kube: {{ .Capabilities.KubeVersion.Version }}',
          '  autoscaling: "{{ .Capabilities.APIVersions.Has "autoscaling/v2" }}"',
          '',
        ].join('\n'),
      },
      'helm',
    );
    const app = (name: string) => {
      const a = application(name, 'team-a', chart);
      a.spec.source = { ...a.spec.source!, path: 'webchart', helm: { parameters: [{ name: 'colour', value: name === 'shop' ? 'green' : 'red' }] } };
      return a;
    };
    const mark = writeMark();
    for (const name of ['shop', 'blog']) expect((await driver.sync(app(name), { prune: false })).phase).toBe('Succeeded');
    expect(writesSince(fleet.cluster(), mark, { kind: 'ConfigMap', identity: 'regatta-sync' }).map((w) => w.name)).toEqual(['shop-web', 'blog-web']);
    const admin = new ObjectClient(kubeConfigFromString(fleet.kubeconfig()));
    expect((await admin.get('v1', 'ConfigMap', 'default', 'shop-web'))?.data).toEqual({ colour: 'green', kube: 'v1.32.0', autoscaling: 'true' });
    expect((await admin.get<{ data: Record<string, string> } & KubeObject>('v1', 'ConfigMap', 'default', 'blog-web'))?.data.colour).toBe('red');
    expect((await driver.refresh(app('shop'))).sourceType).toBe('Helm');
  });
});

describe('multi-source Applications', () => {
  let values: TestRepository;
  let chartSha: string;
  beforeAll(async () => {
    values = new TestRepository('values');
    chartSha = repo.commit(
      {
        'sharedchart/Chart.yaml': 'apiVersion: v2\nname: shared\nversion: 0.1.0\n',
        'sharedchart/values.yaml': 'colour: blue\n',
        'sharedchart/templates/config.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-shared\ndata:\n  colour: {{ .Values.colour }}\n',
      },
      'multi',
    );
    // The repository's refs are reused for a second, and the tests before listed them without this branch.
    await new Promise((resolve) => setTimeout(resolve, 1100));
  });
  afterAll(() => values.dispose());

  /** A chart of team-a's repository with its value file from a second repository, named by `ref`. */
  const twoSources = (valueFile = '$values/envs/shop.yaml'): Application => ({
    ...application('shop2', 'team-a'),
    spec: {
      project: 'team-a',
      sources: [
        { repoURL: url(), path: 'sharedchart', targetRevision: 'multi', helm: { valueFiles: [valueFile] } },
        { repoURL: values.url, targetRevision: 'main', ref: 'values' },
      ],
      destination: { server: 'https://kubernetes.default.svc', namespace: 'default' },
    },
  });
  const colour = async () => {
    const admin = new ObjectClient(kubeConfigFromString(fleet.kubeconfig()));
    return (await admin.get<{ data: Record<string, string> } & KubeObject>('v1', 'ConfigMap', 'default', 'shop2-shared'))?.data.colour;
  };

  it("syncs a chart with a `$values` value file read from the other source's repository, each source at its own commit; a push to that repository alone moves it", async () => {
    const first = values.commit({ 'envs/shop.yaml': 'colour: purple\n' });
    const synced = await driver.sync(twoSources(), { prune: false });
    expect(synced).toMatchObject({ phase: 'Succeeded', revisions: [chartSha, first] });
    expect(await colour()).toBe('purple');
    const app = twoSources();
    expect(await driver.refresh(app)).toMatchObject({ sync: 'Synced', revisions: [chartSha, first], sourceTypes: ['Helm', ''] });

    const second = values.commit({ 'envs/shop.yaml': 'colour: orange\n' });
    // The repository's refs are reused for a second: past that, the push is seen.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await driver.revision(twoSources().spec.sources![1], 'team-a')).toBe(second);
    expect(await driver.refresh(app)).toMatchObject({ sync: 'OutOfSync', revisions: [chartSha, second] });
    expect(await driver.sync(twoSources(), { prune: false })).toMatchObject({ phase: 'Succeeded', revisions: [chartSha, second] });
    expect(await colour()).toBe('orange');
    // A rollback syncs every source to the commit it names.
    expect(await driver.sync(twoSources(), { prune: false, revisions: [chartSha, first] })).toMatchObject({ phase: 'Succeeded', revisions: [chartSha, first] });
    expect(await colour()).toBe('purple');
  });

  it('a value file naming no source, or leaving the referenced repository, fails the comparison naming the source', async () => {
    await expect(driver.refresh(twoSources('$other/envs/shop.yaml'))).rejects.toThrow(
      'spec.sources[0]: helm template sharedchart: source referenced "$other", which is not one of the available sources ($values)',
    );
    await expect(driver.refresh(twoSources('$values/../../etc/passwd'))).rejects.toThrow(
      "spec.sources[0]: helm template sharedchart: file '/../../etc/passwd' resolved to outside repository root",
    );
  });
});

describe('a refresh or a sync whose destination cluster does not answer', () => {
  let edge: SimFleet;
  let edgeDriver: DirectSyncDriver;
  const onEdge = () => ({
    ...application('edge-app', 'team-a'),
    spec: { ...application('edge-app', 'team-a').spec, destination: { server: edge.server('edge'), namespace: 'default' } },
  });
  const refreshFailure = () =>
    edgeDriver.refresh(onEdge()).then(
      () => undefined,
      (error: ComparisonFailure) => error,
    );
  const expected = (detail: string) =>
    `Failed to load live state: failed to get cluster info for "${edge.server('edge')}": cluster unreachable: ${detail.replace('HOST', new URL(edge.server('edge')).host)}`;

  beforeAll(async () => {
    edge = await SimFleet.start({ clusters: [{ name: 'edge', labels: {} }], separatePorts: true });
    const config = kubeConfigFromString(edge.kubeconfig('edge', { identity: 'regatta-sync' }));
    edgeDriver = new DirectSyncDriver({
      repositories: new GitRepositoryCache({
        allowLocalRepositories: true,
        directory: cacheDir,
        access: (u, project) => repositoryAccess(u, project, secretsOf()),
      }),
      clusterFor: () => config,
      clusterTimeoutMs: 300,
      syncRequestTimeoutMs: 300,
      projects: guard([{ name: 'edge', server: edge.server('edge'), namespaces: [], clusterResources: false }]),
    });
  });
  afterAll(async () => {
    await edge.stop();
  });

  it('fails with Argo CD-style live-state errors naming what the connection did, at the revision Git is at, without the token', async () => {
    await edge.fault('edge', { refuseConnections: true });
    const refused = await refreshFailure();
    expect(refused).toBeInstanceOf(ComparisonFailure);
    expect(refused).toMatchObject({ message: expected('dial tcp HOST: connect: connection refused'), revision: sha });
    await edge.clearFaults('edge');

    await edge.fault('edge', { unreachable: true });
    expect(await refreshFailure()).toMatchObject({ message: expected('read tcp HOST: connection reset by peer'), revision: sha });
    await edge.clearFaults('edge');

    await edge.fault('edge', { hang: true });
    const started = Date.now();
    expect(await refreshFailure()).toMatchObject({ message: expected('dial tcp HOST: i/o timeout (no answer)'), revision: sha });
    expect(Date.now() - started).toBeLessThan(5_000);
    await edge.clearFaults('edge');

    expect((await edgeDriver.refresh(onEdge())).revision).toBe(sha);
    const token = /token: (\S+)/.exec(edge.kubeconfig('edge', { identity: 'regatta-sync' }))![1];
    expect(refused!.message).not.toContain(token);
  });

  it('a sync to it ends within its request timeout, as one to a cluster refusing connections does, and goes through once it answers', async () => {
    await edge.fault('edge', { hang: true });
    const started = Date.now();
    // A read it cannot do without fails the sync; a write that got no answer is that object's failure.
    const ended = await edgeDriver.sync(onEdge(), { prune: false }).then(
      (outcome) => ({ phase: outcome.phase, message: outcome.message }),
      (error: Error) => ({ phase: 'thrown', message: error.message }),
    );
    const waitedMs = Date.now() - started;
    await edge.clearFaults('edge');
    expect([
      { phase: 'thrown', message: expected('dial tcp HOST: i/o timeout (no answer)') },
      { phase: 'Failed', message: 'one or more objects failed to apply, reason: no answer within the request timeout: the request was cancelled' },
    ]).toContainEqual(ended);
    expect(waitedMs).toBeLessThan(5_000);
    const token = /token: (\S+)/.exec(edge.kubeconfig('edge', { identity: 'regatta-sync' }))![1];
    expect(ended.message).not.toContain(token);
    expect(await edgeDriver.sync(onEdge(), { prune: false })).toMatchObject({ phase: 'Succeeded', revision: sha });
  });

  it('fails the same way for a chart, whose render asks the cluster for its version and API groups first, at the commits of its sources', async () => {
    const chart = repo.commit(
      {
        'edgechart/Chart.yaml': 'apiVersion: v2\nname: edge\nversion: 0.1.0\n',
        'edgechart/templates/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: edge}\ndata: {kube: "{{ .Capabilities.KubeVersion.Version }}"}\n',
      },
      'edge-chart',
    );
    const edgeChart = onEdge();
    edgeChart.spec.source = undefined;
    edgeChart.spec.sources = [
      { repoURL: url(), path: 'edgechart', targetRevision: chart, helm: { valueFiles: ['$values/edge.yaml'], ignoreMissingValueFiles: true } },
      { repoURL: url(), targetRevision: chart, ref: 'values' },
    ];
    await edge.fault('edge', { unreachable: true });
    const failure = await edgeDriver.refresh(edgeChart).then(
      () => undefined,
      (error: ComparisonFailure) => error,
    );
    await edge.clearFaults('edge');
    expect(failure).toBeInstanceOf(ComparisonFailure);
    expect(failure).toMatchObject({ message: expected('read tcp HOST: connection reset by peer'), revision: '', revisions: [chart, chart] });
  });
});
