import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultAppProject } from '../../src/api/app-project.js';
import type { Application, RevisionHistory } from '../../src/api/application.js';
import type { KubeObject } from '../../src/api/meta.js';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { silentLogger } from '../../src/observability/logger.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';
import { ApplicationClient } from '../../src/sync/application-client.js';
import { ProjectGuard } from '../../src/sync/project-guard.js';
import type { SyncDriver } from '../../src/sync/sync-driver.js';
import { SyncRunner } from '../../src/sync/sync-runner.js';
import { SyncWindowGate } from '../../src/sync/sync-window-gate.js';

let fleet: SimFleet;
let admin: ObjectClient;
let applications: ApplicationClient;

const historyOf = async (name: string): Promise<RevisionHistory[]> =>
  ((await applications.get('argocd', name))?.status?.history ?? []).map(({ id, revision }) => ({ id, revision }) as RevisionHistory);

/** Creates an Application of a single source with the fields given (an operation, a status). */
const createWebApplication = async (name: string, fields: Pick<Application, 'operation' | 'status'> = {}) =>
  (await admin.create({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'argocd' },
    spec: {
      project: 'default',
      source: { repoURL: 'https://example.com/web.git', path: 'web' },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'web' },
    },
    ...fields,
  } as KubeObject)) as Application;

/** A sync runner over `driver`, for Applications of a project that permits everything. */
function runnerWith(driver: SyncDriver, cached: (namespace: string, name: string) => Application | undefined = () => undefined): SyncRunner {
  const projects = new ProjectGuard({
    controllerNamespace: 'argocd',
    project: (name) => ({ ...defaultAppProject('argocd'), metadata: { name, namespace: 'argocd' } }),
    clusters: () => [],
    repositories: () => [],
    settings: () => undefined,
  });
  const clock = () => new Date();
  const gate = new SyncWindowGate(applications, { clock }, silentLogger, () => undefined);
  return new SyncRunner(driver, applications, gate, { replica: 'r-a', projects, clock }, silentLogger, {
    comparing: () => undefined,
    ended: () => undefined,
    cached,
  });
}

beforeAll(async () => {
  fleet = await SimFleet.start();
  admin = new ObjectClient(kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'another-writer' })));
  applications = new ApplicationClient(kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'regatta-sync' })));
});
afterAll(async () => {
  await fleet.stop();
});

describe("a sync started from the watch's copy of its Application", () => {
  it('that the API server has moved past: its first write is refused, and the sync runs once, with the operation the API server holds', async () => {
    const created = await createWebApplication('behind', { operation: { sync: { revision: 'r1', syncOptions: ['Validate=false'] } } });
    // Asked again with other options after the copy was taken: the copy's operation is not the one to run.
    await admin.mergePatch({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'behind', namespace: 'argocd' },
      operation: { sync: { revision: 'r1', syncOptions: ['ServerSideApply=true'] } },
    } as KubeObject);
    const ran: (string[] | undefined)[] = [];
    const driver: SyncDriver = {
      revision: async () => 'r1',
      sync: async (_application, request) => {
        ran.push(request.syncOptions);
        return { revision: 'r1', phase: 'Succeeded', message: 'synced', resources: [] };
      },
      refresh: async () => undefined,
    };
    const conflicts = () => fleet.counters().conflictsByResource.get('applications') ?? 0;
    const before = conflicts();
    await runnerWith(driver, () => created).run({
      namespace: 'argocd',
      application: 'behind',
      revision: 'r1',
      prune: false,
      identity: ['behind', 'r1'],
      key: 'behind-r1',
      cluster: 'in-cluster',
    });

    expect(ran).toEqual([['ServerSideApply=true']]);
    expect(conflicts() - before).toBe(1);
    expect((await applications.get('argocd', 'behind'))?.status?.operationState).toMatchObject({
      phase: 'Succeeded',
      operation: { sync: { syncOptions: ['ServerSideApply=true'] } },
    });
  });
});

describe("a sync's status writes", () => {
  it('never replace what another writer added to the history while the sync ran: the sync reads again and adds to it', async () => {
    await createWebApplication('web', { status: { history: [{ id: 0, revision: 'r0', deployedAt: '2026-12-01T00:00:00Z' }] } });
    // Another writer (a second replica, or a person) records a sync of its own just before this one records its result.
    const driver: SyncDriver = {
      revision: async () => 'r2',
      sync: async () => ({ revision: 'r2', phase: 'Succeeded', message: 'synced', resources: [] }),
      refresh: async (application: Application) => {
        const history = [...(application.status?.history ?? []), { id: 1, revision: 'r1', deployedAt: '2026-12-02T00:00:00Z' }];
        await admin.mergePatch({
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          metadata: { name: 'web', namespace: 'argocd' },
          status: { history },
        } as KubeObject);
        return undefined;
      },
    };
    const runner = runnerWith(driver);
    await runner.run({ namespace: 'argocd', application: 'web', revision: 'r2', prune: false, identity: ['web', 'r2'], key: 'web-r2', cluster: 'in-cluster' });

    expect(await historyOf('web')).toEqual([
      { id: 0, revision: 'r0' },
      { id: 1, revision: 'r1' },
      { id: 2, revision: 'r2' },
    ]);
    expect((await applications.get('argocd', 'web'))?.status?.operationState).toMatchObject({ phase: 'Succeeded', syncResult: { revision: 'r2' } });
  });

  it("of a multi-source Application are Argo CD's: revisions and sources in syncResult, history and sync status, no single revision", async () => {
    const sources = [
      { repoURL: 'https://example.com/charts.git', path: 'web', targetRevision: 'main', helm: { valueFiles: ['$values/web.yaml'] } },
      { repoURL: 'https://example.com/values.git', targetRevision: 'main', ref: 'values' },
    ];
    await admin.create({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'two', namespace: 'argocd' },
      spec: { project: 'default', sources, destination: { server: 'https://kubernetes.default.svc', namespace: 'web' } },
    } as KubeObject);
    const revisions = ['a1', 'b1'];
    const requested: (string[] | undefined)[] = [];
    const driver: SyncDriver = {
      revision: async () => 'unused',
      sync: async (_application, request) => {
        requested.push(request.revisions);
        return { revision: '', revisions, phase: 'Succeeded', message: 'synced', resources: [] };
      },
      refresh: async () => ({
        revision: '',
        revisions,
        sourceType: 'Helm',
        sourceTypes: ['Helm', ''],
        sync: 'Synced',
        health: { status: 'Healthy' },
        resources: [],
      }),
    };
    const runner = runnerWith(driver);
    await runner.run({ namespace: 'argocd', application: 'two', revisions, prune: false, identity: ['two', 'a1,b1'], key: 'two-a1-b1', cluster: 'in-cluster' });

    expect(requested).toEqual([revisions]);
    const status = (await applications.get('argocd', 'two'))!.status!;
    expect(status.operationState?.syncResult).toEqual({ revisions, sources, resources: [] });
    expect(status.history?.map(({ id, revision, revisions, source, sources }) => ({ id, revision, revisions, source, sources }))).toEqual([
      { id: 0, revision: undefined, revisions, source: undefined, sources },
    ]);
    expect(status.sync).toEqual({
      status: 'Synced',
      revisions,
      comparedTo: { sources, destination: { server: 'https://kubernetes.default.svc', namespace: 'web' } },
    });
  });

  it('while a sync waits for pruning confirmation its operation says so, and the approval is read from the Application as it is then, no earlier than the sync started', async () => {
    await createWebApplication('gated');
    const approve = (at: Date) =>
      admin.mergePatch({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: 'gated', namespace: 'argocd', annotations: { 'argocd.argoproj.io/deletion-approved': at.toISOString().replace(/\.\d+Z$/, 'Z') } },
      } as KubeObject);
    const seen: Record<string, unknown> = {};
    const driver: SyncDriver = {
      revision: async () => 'r1',
      sync: async (_application, request) => {
        await request.waiting!('waiting for pruning confirmation of /ConfigMap/guarded');
        seen.message = (await applications.get('argocd', 'gated'))?.status?.operationState?.message;
        seen.unapproved = await request.pruneApproved!();
        await approve(new Date(request.startedAt!.getTime() - 60_000));
        seen.approvedBeforeTheSync = await request.pruneApproved!();
        await approve(new Date(request.startedAt!.getTime() + 1000));
        seen.approved = await request.pruneApproved!();
        return { revision: 'r1', phase: 'Succeeded', message: 'synced', resources: [] };
      },
      refresh: async () => undefined,
    };
    await runnerWith(driver).run({
      namespace: 'argocd',
      application: 'gated',
      revision: 'r1',
      prune: true,
      identity: ['gated', 'r1'],
      key: 'gated-r1',
      cluster: 'in-cluster',
    });

    expect(seen).toEqual({
      message: 'waiting for pruning confirmation of /ConfigMap/guarded',
      unapproved: false,
      approvedBeforeTheSync: false,
      approved: true,
    });
    expect((await applications.get('argocd', 'gated'))?.status?.operationState).toMatchObject({ phase: 'Succeeded', message: 'synced' });
  });
});
