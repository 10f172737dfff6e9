import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultAppProject } from '../../src/api/app-project.js';
import type { Application } from '../../src/api/application.js';
import { parseClusterSecret } from '../../src/api/cluster-secret.js';
import type { KubeObject, Secret } from '../../src/api/meta.js';
import { GitRepositoryCache } from '../../src/git/repository-cache.js';
import { repositoryAccess } from '../../src/git/repository-credentials.js';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { silentLogger } from '../../src/observability/logger.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';
import { ApplicationClient } from '../../src/sync/application-client.js';
import { ApplicationRefresher } from '../../src/sync/application-refresher.js';
import { DirectSyncDriver } from '../../src/sync/direct-driver.js';
import { ProjectGuard } from '../../src/sync/project-guard.js';
import { SyncWindowGate } from '../../src/sync/sync-window-gate.js';
import { WorkloadWatches } from '../../src/sync/workload-watches.js';
import { TestRepository } from '../support/git-fixtures.js';
import { GitHttpServer } from '../support/git-http-server.js';
import { waitFor } from '../support/rollout-fixture.js';

const PASSWORD = 'watch-s3cret';
const WORKLOAD = 'cluster-1';
/** Far longer than any test: every status change seen here comes from the watch, never from the periodic refresh. */
const REFRESH_INTERVAL_MS = 600_000;
const READY_DELAY_MS = 1500;
const WATCH_HISTORY = 40;

let fleet: SimFleet;
let repo: TestRepository;
let server: GitHttpServer;
let cacheDir: string;
let admin: ObjectClient;
let workloadAdmin: ObjectClient;
let driver: DirectSyncDriver;
let watches: WorkloadWatches;
let refresher: ApplicationRefresher;
/** Whether this replica owns the workload cluster (the tests hand it away). */
let owned = true;

const MANIFESTS = [
  'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: guestbook}\ndata: {colour: blue}\n',
  'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: guestbook}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: guestbook}}\n' +
    '  template:\n    metadata: {labels: {app: guestbook}}\n    spec: {containers: [{name: web, image: nginx}]}\n',
];

const application = (): Application & KubeObject => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name: 'guestbook', namespace: 'argocd' },
  spec: {
    project: 'default',
    source: { repoURL: `${server.base}/${basename(repo.bare)}`, path: 'guestbook', targetRevision: 'main' },
    destination: { server: fleet.server(WORKLOAD), namespace: 'default' },
  },
});

const current = () => admin.get<Application & KubeObject>('argoproj.io/v1alpha1', 'Application', 'argocd', 'guestbook');
const statusIs = (sync: string, health: string) => async () => {
  const app = await current();
  return app?.status?.sync?.status === sync && app.status.health?.status === health ? app : undefined;
};
const deploymentType = () => fleet.cluster(WORKLOAD).typeForKind('apps/v1', 'Deployment')!;

beforeAll(async () => {
  repo = new TestRepository('watched-config');
  repo.commit({ 'guestbook/config.yaml': MANIFESTS[0], 'guestbook/deployment.yaml': MANIFESTS[1] });
  server = await GitHttpServer.start(dirname(repo.bare), 'robot', PASSWORD);
  fleet = await SimFleet.start({ clusters: [{ name: WORKLOAD }], readyDelayMs: READY_DELAY_MS, watchHistory: WATCH_HISTORY });
  // Every watch on the workload cluster ends after a while, as API servers end them: the informers resume from their resourceVersion.
  await fleet.fault(WORKLOAD, { closeWatchesAfterMs: 700 });
  cacheDir = mkdtempSync(join(tmpdir(), 'regatta-watch-cache-'));
  const secrets: Secret[] = [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'watched-config', namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': 'repository' } },
      stringData: { url: `${server.base}/${basename(repo.bare)}`, username: 'robot', password: PASSWORD },
    },
  ];
  const management = kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'regatta-controller' }));
  const workload = kubeConfigFromString(fleet.kubeconfig(WORKLOAD, { identity: 'regatta-sync' }));
  admin = new ObjectClient(kubeConfigFromString(fleet.kubeconfig()));
  workloadAdmin = new ObjectClient(kubeConfigFromString(fleet.kubeconfig(WORKLOAD)));
  const projects = new ProjectGuard({
    controllerNamespace: 'argocd',
    project: (name) => ({ ...defaultAppProject('argocd'), metadata: { name, namespace: 'argocd' } }),
    clusters: () => [parseClusterSecret(fleet.clusterSecret(WORKLOAD)).cluster!],
    repositories: () => [],
    settings: () => undefined,
  });
  watches = new WorkloadWatches({ clusterOf: () => ({ key: fleet.server(WORKLOAD), config: workload }), backoff: { initialMs: 50, maxMs: 400 } });
  driver = new DirectSyncDriver({
    repositories: new GitRepositoryCache({ allowLocalRepositories: true, directory: cacheDir, access: (u, project) => repositoryAccess(u, project, secrets) }),
    clusterFor: () => workload,
    projects,
    watches,
  });
  const applications = new ApplicationClient(management);
  const clock = () => new Date();
  const gate = new SyncWindowGate(applications, { clock }, silentLogger, () => undefined);
  refresher = new ApplicationRefresher(
    management,
    driver,
    applications,
    gate,
    { namespaces: ['argocd'], refreshIntervalMs: REFRESH_INTERVAL_MS, sourcePollMs: 0, refreshConcurrency: 4, owns: () => owned, projects, clock, watches },
    silentLogger,
    () => undefined,
  );
  await admin.create(application());
  await refresher.start();
});

afterAll(async () => {
  await refresher?.stop();
  await server?.stop();
  await fleet?.stop();
  repo?.dispose();
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
});

describe('the live watch of a workload cluster', () => {
  it("shows a workload turning healthy in the Application's health without waiting for a refresh", async () => {
    // The first refresh finds nothing deployed; the kinds it tracks (ConfigMap, Deployment) are then watched.
    await waitFor(statusIs('OutOfSync', 'Missing'), 'the first refresh', 10_000);
    await waitFor(async () => watches.covers((await current())!), 'the watches of the tracked kinds', 10_000);

    const outcome = await driver.sync((await current())!, { prune: false });
    expect(outcome.phase).toBe('Succeeded');
    // The applied objects show at once (Progressing: the Deployment is not ready yet), the kubelet's readiness once it comes.
    await waitFor(statusIs('Synced', 'Progressing'), 'the applied objects to be seen', 5_000);
    const ready = await waitFor(statusIs('Synced', 'Healthy'), 'the workload turning healthy to be seen', READY_DELAY_MS + 3_000);
    const deployment = ready.status!.resources!.find((r) => r.kind === 'Deployment');
    expect(deployment).toMatchObject({ status: 'Synced', health: { status: 'Healthy' } });
    // The kubelet did write the readiness: that is what the watch carried.
    expect(fleet.cluster(WORKLOAD).writes.some((w) => w.kind === 'Deployment' && w.identity === 'sim-kubelet')).toBe(true);
  });

  it('holds only the labelled objects Regatta manages, without their managed fields', async () => {
    await workloadAdmin.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'not-managed', namespace: 'default' },
      data: { a: '1' },
    } as KubeObject);
    const app = (await current())!;
    const key = { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'default' };
    await waitFor(async () => watches.covers(app) || undefined, 'the watches', 5_000);
    expect(watches.live(app, { ...key, name: 'not-managed' })).toBeUndefined();
    const managed = watches.live(app, { ...key, name: 'guestbook' });
    expect(managed?.metadata?.labels?.['app.kubernetes.io/instance']).toBe('guestbook');
    expect((managed?.metadata as { managedFields?: unknown }).managedFields).toBeUndefined();
    // The live object on the cluster has them: the cache dropped them.
    const live = await workloadAdmin.get<KubeObject>('v1', 'ConfigMap', 'default', 'guestbook');
    expect((live?.metadata as { managedFields?: unknown[] }).managedFields?.length).toBeGreaterThan(0);
    expect(watches.cachedObjects()).toBe(2);
  });

  it('relists after its resourceVersion became too old (410 Gone) and sees what changed meanwhile', async () => {
    const store = fleet.cluster(WORKLOAD);
    const startedBefore = fleet.counters(WORKLOAD).watchesStarted;
    // The cluster goes away: the open watches end (closeWatchesAfterMs) and cannot come back.
    await fleet.fault(WORKLOAD, { unreachable: true });
    await waitFor(async () => fleet.counters(WORKLOAD).watchesOpen === 0, 'the watches to break', 5_000);
    const brokenAt = store.resourceVersion;
    // Meanwhile the Deployment is deleted, and so much else changes that the watch history no longer reaches back.
    store.delete(deploymentType(), 'default', 'guestbook', 'someone-else');
    const configMaps = store.typeForKind('v1', 'ConfigMap')!;
    for (let i = 0; i < WATCH_HISTORY + 10; i++) store.create(configMaps, 'default', { metadata: { name: `noise-${i}` } }, 'someone-else');
    expect(store.changesSince(brokenAt)).toBeUndefined();

    await fleet.fault(WORKLOAD, { unreachable: false });
    const missing = await waitFor(statusIs('OutOfSync', 'Missing'), 'the deletion to be seen after the relist', 5_000);
    expect(missing.status!.resources!.find((r) => r.kind === 'Deployment')).toMatchObject({ status: 'OutOfSync', health: { status: 'Missing' } });
    expect(fleet.counters(WORKLOAD).watchesStarted).toBeGreaterThan(startedBefore);
  });

  it('stops watching a cluster handed to another replica', async () => {
    await waitFor(async () => fleet.counters(WORKLOAD).watchesOpen > 0, 'the watches to resume', 5_000);
    owned = false;
    refresher.observeAll();
    await waitFor(async () => fleet.counters(WORKLOAD).watchesOpen === 0, 'the watches to stop', 5_000);
    expect(watches.watchedClusters()).toEqual([]);
    const started = fleet.counters(WORKLOAD).watchesStarted;
    // A change on the cluster is the new owner's: no watch comes back for it, and this replica does not write the status.
    const before = (await current())!.metadata.resourceVersion;
    await driver.sync((await current())!, { prune: false });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(fleet.counters(WORKLOAD).watchesStarted).toBe(started);
    expect((await current())!.metadata.resourceVersion).toBe(before);
  });
});
