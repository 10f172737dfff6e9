import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AppProjectSpec } from '../../src/api/app-project.js';
import type { Application, ApplicationSpec } from '../../src/api/application.js';
import type { KubeObject } from '../../src/api/meta.js';
import { DirectSyncHarness } from '../support/direct-sync-harness.js';
import { TestRepository } from '../support/git-fixtures.js';
import { waitFor } from '../support/rollout-fixture.js';
import { writeMark, writesSince } from '../support/write-log.js';

/**
 * Tenants trying to escape their AppProject through Regatta's direct driver, on the simulated
 * fleet with a real redis-server and real Git. Each attempt is refused as Argo CD refuses it (the
 * Application's condition or operation message) with nothing written to the target cluster; each
 * has a counterpart the project permits, which syncs.
 */
let h: DirectSyncHarness;
let allowed: TestRepository;
let forbidden: TestRepository;
let created: { namespace: string; name: string }[] = [];

const NAMESPACES = ['default', 'argocd', 'team-a', 'guestbook', 'kube-system'];
const configMap = (name: string, namespace?: string, wave?: number) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${namespace ? `  namespace: ${namespace}\n` : ''}${wave !== undefined ? `  annotations:\n    argocd.argoproj.io/sync-wave: "${wave}"\n` : ''}data:\n  k: v\n`;
const MANIFESTS = {
  'guestbook/configmap.yaml': configMap('guestbook-config'),
  'crb/configmap.yaml': configMap('harmless'),
  'crb/binding.yaml':
    'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: tenant-is-admin\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\nsubjects:\n- kind: ServiceAccount\n  name: tenant\n  namespace: guestbook\n',
  'secret/configmap.yaml': configMap('harmless'),
  'secret/secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: planted\nstringData:\n  token: x\n',
  'elsewhere/configmap.yaml': configMap('harmless'),
  'elsewhere/planted.yaml': configMap('planted', 'kube-system'),
  'namespace/namespace.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: tenant-owned\n',
  'waves/deployment.yaml':
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: web\n        image: web:v1\n',
  'waves/configmap.yaml': configMap('after-web', undefined, 1),
  'prune/keep.yaml': configMap('keep'),
  'prune/old.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: old\nstringData:\n  token: x\n',
};

const server = (cluster: string) => h.fleet.server(cluster);
/** The team's project as an admin wrote it: one repository, the guestbook namespace of dev and prod, any namespace of the cluster named `limited`. */
const teamProject = (): AppProjectSpec => ({
  sourceRepos: [allowed.url],
  destinations: [
    { server: server('dev'), namespace: 'guestbook' },
    { server: server('prod'), namespace: 'guestbook' },
    { name: 'limited', namespace: '*' },
  ],
});

const application = (name: string, spec: Partial<ApplicationSpec> = {}, namespace = 'argocd'): Pick<Application, 'metadata' | 'spec'> => ({
  metadata: { name, namespace },
  spec: {
    project: 'team',
    source: { repoURL: allowed.url, path: 'guestbook', targetRevision: 'main' },
    destination: { server: server('dev'), namespace: 'guestbook' },
    ...spec,
  },
});

type Status = {
  operationState?: { phase?: string; message?: string; syncResult?: { resources?: { kind: string; name: string; status: string; message: string }[] } };
  conditions?: { type: string; message: string }[];
};
const statusOf = (application: Application) => (application.status ?? {}) as Status;

/** What Regatta wrote to a workload cluster since `mark` (the simulated kubelet's status updates aside). */
const writesTo = (cluster: string, mark: bigint) => writesSince(h.fleet.cluster(cluster), mark).filter((w) => w.identity !== 'sim-kubelet');

/** A tenant's Application with a sync requested: its state once the operation is over, and what reached `cluster`. */
async function attempt(cluster: string, app: Pick<Application, 'metadata' | 'spec'>) {
  const mark = writeMark();
  const namespace = app.metadata.namespace ?? 'argocd';
  created.push({ namespace, name: app.metadata.name });
  await h.createApplication(app);
  const finished = await h.finished(namespace, app.metadata.name);
  return { status: statusOf(finished), writes: writesTo(cluster, mark) };
}

const live = (cluster: string, apiVersion: string, kind: string, namespace: string | undefined, name: string) => {
  const store = h.fleet.cluster(cluster);
  return store.get(store.typeForKind(apiVersion, kind)!, namespace, name);
};

beforeAll(async () => {
  allowed = new TestRepository('allowed');
  allowed.commit(MANIFESTS);
  forbidden = new TestRepository('forbidden');
  forbidden.commit(MANIFESTS);
  h = await DirectSyncHarness.start({
    clusters: ['dev', 'prod', 'other', 'limited', 'team-a-cluster'].map((name) => ({ name, labels: { env: name } })),
    namespaces: NAMESPACES,
    applicationNamespaces: ['argocd', 'team-a'],
    readyDelayMs: 800,
  });
  for (const name of ['dev', 'prod', 'other']) await h.registerCluster(name);
  await h.registerCluster('limited', { namespaces: 'guestbook' });
  await h.registerCluster('team-a-cluster', { project: 'team-a' });
  await h.applyProject('team-a', { sourceRepos: [allowed.url], destinations: [] });
}, 60_000);

beforeEach(async () => {
  await h.applyProject('team', teamProject());
});

afterEach(async () => {
  for (const { namespace, name } of created) await h.deleteApplication(namespace, name);
  created = [];
});

afterAll(async () => {
  await h?.stop();
  allowed?.dispose();
  forbidden?.dispose();
});

describe('sources and destinations (refused when the refresh checks the spec)', () => {
  it('an Application in a repository the project does not list', async () => {
    const refused = await attempt('dev', application('from-forbidden-repo', { source: { repoURL: forbidden.url, path: 'guestbook', targetRevision: 'main' } }));
    const message = `application repo ${forbidden.url} is not permitted in project 'team'`;
    expect(refused.status.conditions).toEqual([expect.objectContaining({ type: 'InvalidSpecError', message })]);
    expect(refused.status.operationState).toMatchObject({ phase: 'Error', message: `InvalidSpecError: ${message}` });
    expect(refused.writes).toEqual([]);

    const synced = await attempt('dev', application('from-allowed-repo'));
    expect(synced.status.operationState?.phase).toBe('Succeeded');
    expect(synced.writes.map((w) => [w.kind, w.name])).toEqual([['ConfigMap', 'guestbook-config']]);
  });

  it('a `!` entry in sourceRepos refuses the repository even after `*`', async () => {
    await h.applyProject('team', { ...teamProject(), sourceRepos: ['*', `!${forbidden.url}`] });
    const refused = await attempt('dev', application('denied-repo', { source: { repoURL: forbidden.url, path: 'guestbook', targetRevision: 'main' } }));
    expect(refused.status.operationState).toMatchObject({
      phase: 'Error',
      message: `InvalidSpecError: application repo ${forbidden.url} is not permitted in project 'team'`,
    });
    expect(refused.writes).toEqual([]);
    expect((await attempt('dev', application('other-repo'))).status.operationState?.phase).toBe('Succeeded');
  });

  it('a destination server the project does not list', async () => {
    const refused = await attempt('other', application('to-other-cluster', { destination: { server: server('other'), namespace: 'guestbook' } }));
    const message = `application destination server '${server('other')}' and namespace 'guestbook' do not match any of the allowed destinations in project 'team'`;
    expect(refused.status.conditions).toEqual([expect.objectContaining({ type: 'InvalidSpecError', message })]);
    expect(refused.status.operationState).toMatchObject({ phase: 'Error', message: `InvalidSpecError: ${message}` });
    expect(refused.writes).toEqual([]);
    expect(
      (await attempt('prod', application('to-prod', { destination: { server: server('prod'), namespace: 'guestbook' } }))).status.operationState?.phase,
    ).toBe('Succeeded');
  });

  it('a destination namespace the project does not list', async () => {
    const refused = await attempt('dev', application('to-kube-system', { destination: { server: server('dev'), namespace: 'kube-system' } }));
    expect(refused.status.operationState).toMatchObject({
      phase: 'Error',
      message: `InvalidSpecError: application destination server '${server('dev')}' and namespace 'kube-system' do not match any of the allowed destinations in project 'team'`,
    });
    expect(refused.writes).toEqual([]);
    expect((await attempt('dev', application('to-guestbook'))).status.operationState?.phase).toBe('Succeeded');
  });

  it('a destination a `!` entry denies, though another entry allows every server', async () => {
    await h.applyProject('team', {
      ...teamProject(),
      destinations: [
        { server: '*', namespace: 'guestbook' },
        { server: `!${server('prod')}`, namespace: 'guestbook' },
      ],
    });
    const refused = await attempt('prod', application('denied-prod', { destination: { server: server('prod'), namespace: 'guestbook' } }));
    expect(refused.status.conditions?.[0]).toMatchObject({
      type: 'InvalidSpecError',
      message: expect.stringContaining(`application destination server '${server('prod')}'`),
    });
    expect(refused.writes).toEqual([]);
    expect(
      (await attempt('other', application('any-other', { destination: { server: server('other'), namespace: 'guestbook' } }))).status.operationState?.phase,
    ).toBe('Succeeded');
  });

  it('a cluster scoped to another project', async () => {
    const refused = await attempt(
      'team-a-cluster',
      application('borrowed-cluster', { destination: { server: server('team-a-cluster'), namespace: 'guestbook' } }),
    );
    expect(refused.status.operationState).toMatchObject({
      phase: 'Error',
      message: expect.stringContaining(`application destination server '${server('team-a-cluster')}' and namespace 'guestbook' do not match`),
    });
    expect(refused.writes).toEqual([]);
    // The project the cluster is scoped to may use it without listing it.
    const own = await attempt(
      'team-a-cluster',
      application('own-cluster', { project: 'team-a', destination: { server: server('team-a-cluster'), namespace: 'guestbook' } }),
    );
    expect(own.status.operationState?.phase).toBe('Succeeded');
    expect(own.writes.map((w) => w.name)).toEqual(['guestbook-config']);
  });

  it("an Application outside Argo CD's namespace using a project whose sourceNamespaces do not name it", async () => {
    const refused = await attempt('dev', application('tenant-app', {}, 'team-a'));
    const message = "application 'tenant-app' in namespace 'team-a' is not permitted to use project 'team'";
    expect(refused.status.conditions).toEqual([expect.objectContaining({ type: 'UnknownError', message })]);
    expect(refused.status.operationState).toMatchObject({ phase: 'Error', message: `Failed to load application project: ${message}` });
    expect(refused.writes).toEqual([]);

    await h.applyProject('team', { ...teamProject(), sourceNamespaces: ['team-*'] });
    expect((await attempt('dev', application('tenant-app-allowed', {}, 'team-a'))).status.operationState?.phase).toBe('Succeeded');
  });

  it('a project that does not exist, until an admin creates it: the condition clears without the Application changing', async () => {
    const refused = await attempt('dev', application('no-project', { project: 'ghost' }));
    expect(refused.status.conditions).toEqual([
      expect.objectContaining({ type: 'InvalidSpecError', message: 'Application referencing project ghost which does not exist' }),
    ]);
    expect(refused.status.operationState).toMatchObject({
      phase: 'Error',
      message: 'Failed to load application project: error getting app project "ghost": appproject.argoproj.io "ghost" not found',
    });
    expect(refused.writes).toEqual([]);

    await h.applyProject('ghost', teamProject());
    try {
      await waitFor(async () => !statusOf((await h.application('argocd', 'no-project'))!).conditions?.length, 'the condition to clear', 10_000);
      const since = new Date().toISOString();
      const mark = writeMark();
      await h.requestSync('argocd', 'no-project');
      expect(statusOf(await h.finished('argocd', 'no-project', since)).operationState?.phase).toBe('Succeeded');
      expect(writesTo('dev', mark).map((w) => w.name)).toEqual(['guestbook-config']);
    } finally {
      await h.deleteProject('ghost');
    }
  });
});

describe('objects (refused before the sync writes anything)', () => {
  it('a cluster-scoped kind under a project with no clusterResourceWhitelist', async () => {
    const refused = await attempt('dev', application('cluster-admin-grab', { source: { repoURL: allowed.url, path: 'crb', targetRevision: 'main' } }));
    expect(refused.status.operationState).toMatchObject({
      phase: 'Failed',
      message: 'one or more synchronization tasks are not valid: resource rbac.authorization.k8s.io:ClusterRoleBinding is not permitted in project team',
    });
    expect(refused.status.operationState?.syncResult?.resources).toEqual([
      expect.objectContaining({
        kind: 'ClusterRoleBinding',
        name: 'tenant-is-admin',
        status: 'SyncFailed',
        message: 'resource rbac.authorization.k8s.io:ClusterRoleBinding is not permitted in project team',
      }),
    ]);
    // Not even the permitted ConfigMap of the same sync.
    expect(refused.writes).toEqual([]);
    expect(live('dev', 'rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', undefined, 'tenant-is-admin')).toBeUndefined();

    await h.applyProject('team', {
      ...teamProject(),
      clusterResourceWhitelist: [{ group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding', name: 'tenant-*' }],
    });
    const synced = await attempt('dev', application('cluster-admin-granted', { source: { repoURL: allowed.url, path: 'crb', targetRevision: 'main' } }));
    expect(synced.status.operationState?.phase).toBe('Succeeded');
    expect(synced.writes.map((w) => w.kind).sort()).toEqual(['ClusterRoleBinding', 'ConfigMap']);
  });

  it('a namespaced kind the project blacklists', async () => {
    await h.applyProject('team', { ...teamProject(), namespaceResourceBlacklist: [{ group: '', kind: 'Secret' }] });
    const refused = await attempt('dev', application('plants-secret', { source: { repoURL: allowed.url, path: 'secret', targetRevision: 'main' } }));
    expect(refused.status.operationState).toMatchObject({
      phase: 'Failed',
      message: 'one or more synchronization tasks are not valid: resource :Secret is not permitted in project team',
    });
    expect(refused.writes).toEqual([]);

    await h.applyProject('team', teamProject());
    const synced = await attempt('dev', application('secret-allowed', { source: { repoURL: allowed.url, path: 'secret', targetRevision: 'main' } }));
    expect(synced.status.operationState?.phase).toBe('Succeeded');
    expect(synced.writes.map((w) => w.kind).sort()).toEqual(['ConfigMap', 'Secret']);
  });

  it('a manifest that names a namespace the project does not allow', async () => {
    const refused = await attempt('dev', application('plants-elsewhere', { source: { repoURL: allowed.url, path: 'elsewhere', targetRevision: 'main' } }));
    expect(refused.status.operationState).toMatchObject({
      phase: 'Failed',
      message: "one or more synchronization tasks are not valid: namespace kube-system is not permitted in project 'team'",
    });
    expect(refused.writes).toEqual([]);
    expect(live('dev', 'v1', 'ConfigMap', 'kube-system', 'planted')).toBeUndefined();

    await h.applyProject('team', { ...teamProject(), destinations: [...teamProject().destinations!, { server: server('dev'), namespace: 'kube-system' }] });
    const synced = await attempt('dev', application('elsewhere-allowed', { source: { repoURL: allowed.url, path: 'elsewhere', targetRevision: 'main' } }));
    expect(synced.status.operationState?.phase).toBe('Succeeded');
    expect(synced.writes.map((w) => `${w.namespace}/${w.name}`).sort()).toEqual(['guestbook/harmless', 'kube-system/planted']);
  });

  it('a namespace a cluster Secret in namespaced mode does not manage', async () => {
    const refused = await attempt(
      'limited',
      application('limited-elsewhere', {
        source: { repoURL: allowed.url, path: 'elsewhere', targetRevision: 'main' },
        destination: { name: 'limited', namespace: 'guestbook' },
      }),
    );
    const message = 'Failed to load live state: namespace "kube-system" for ConfigMap "planted" is not managed';
    expect(refused.status.conditions).toEqual([expect.objectContaining({ type: 'ComparisonError', message })]);
    expect(refused.status.operationState).toMatchObject({ phase: 'Error', message: `ComparisonError: ${message}` });
    expect(refused.writes).toEqual([]);
    expect(
      (await attempt('limited', application('limited-guestbook', { destination: { name: 'limited', namespace: 'guestbook' } }))).status.operationState?.phase,
    ).toBe('Succeeded');
  });

  it('a cluster-scoped object on a cluster in namespaced mode without clusterResources', async () => {
    await h.applyProject('team', { ...teamProject(), clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }] });
    const refused = await attempt(
      'limited',
      application('limited-namespace', {
        source: { repoURL: allowed.url, path: 'namespace', targetRevision: 'main' },
        destination: { name: 'limited', namespace: 'guestbook' },
      }),
    );
    expect(refused.status.operationState).toMatchObject({
      phase: 'Error',
      message: 'ComparisonError: Failed to load live state: cluster level Namespace "tenant-owned" can not be managed when in namespaced mode',
    });
    expect(refused.writes).toEqual([]);

    await h.registerCluster('limited', { namespaces: 'guestbook', clusterResources: 'true' });
    try {
      await waitFor(
        async () => !statusOf((await h.application('argocd', 'limited-namespace'))!).conditions?.length,
        'the cluster Secret change to clear the condition',
        10_000,
      );
      const since = new Date().toISOString();
      await h.requestSync('argocd', 'limited-namespace');
      expect(statusOf(await h.finished('argocd', 'limited-namespace', since)).operationState?.phase).toBe('Succeeded');
      expect(live('limited', 'v1', 'Namespace', undefined, 'tenant-owned')).toBeDefined();
    } finally {
      await h.registerCluster('limited', { namespaces: 'guestbook', clusterResources: 'false' });
    }
  });

  it('a live object the project does not permit is never pruned', async () => {
    const app = application('prunes', { source: { repoURL: allowed.url, path: 'prune', targetRevision: 'main' } });
    expect((await attempt('dev', app)).status.operationState?.phase).toBe('Succeeded');
    expect(live('dev', 'v1', 'Secret', 'guestbook', 'old')).toBeDefined();
    const revision = allowed.commit({ 'prune/old.yaml': null }, 'main', 'drop the Secret');
    try {
      await waitFor(
        async () => (statusOf((await h.application('argocd', 'prunes'))!) as { sync?: { revision?: string } }).sync?.revision === revision,
        'the new commit to be compared',
        10_000,
      );
      await h.applyProject('team', { ...teamProject(), namespaceResourceBlacklist: [{ group: '', kind: 'Secret' }] });
      let since = new Date().toISOString();
      let mark = writeMark();
      await h.requestSync('argocd', 'prunes');
      expect(statusOf(await h.finished('argocd', 'prunes', since)).operationState?.phase).toBe('Succeeded');
      expect(writesTo('dev', mark).filter((w) => w.verb === 'delete')).toEqual([]);
      expect(live('dev', 'v1', 'Secret', 'guestbook', 'old')).toBeDefined();

      await h.applyProject('team', teamProject());
      since = new Date().toISOString();
      mark = writeMark();
      await h.requestSync('argocd', 'prunes');
      expect(statusOf(await h.finished('argocd', 'prunes', since)).operationState?.phase).toBe('Succeeded');
      expect(
        writesTo('dev', mark)
          .filter((w) => w.verb === 'delete')
          .map((w) => [w.kind, w.name]),
      ).toEqual([['Secret', 'old']]);
    } finally {
      allowed.commit({ 'prune/old.yaml': MANIFESTS['prune/old.yaml'] }, 'main', 'restore the Secret');
    }
  });
});

describe('impersonation (argocd-cm application.sync.impersonation.enabled)', () => {
  const DEPLOYER = 'system:serviceaccount:guestbook:deployer';

  beforeAll(async () => {
    const dev = (object: Record<string, unknown>) =>
      h.fleet
        .cluster('dev')
        .create(h.fleet.cluster('dev').typeForKind('rbac.authorization.k8s.io/v1', object.kind as string)!, 'guestbook', object, 'dev-admin');
    dev({
      kind: 'Role',
      metadata: { name: 'deployer', namespace: 'guestbook' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'create', 'patch', 'delete'] }],
    });
    dev({
      kind: 'RoleBinding',
      metadata: { name: 'deployer', namespace: 'guestbook' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployer' },
      subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'guestbook' }],
    });
    await h.argocdSettings({ 'application.sync.impersonation.enabled': 'true' });
  });
  afterAll(async () => {
    await h.argocdSettings({ 'application.sync.impersonation.enabled': 'false' });
  });

  it('a sync to a destination no destinationServiceAccounts entry covers', async () => {
    const refused = await attempt('dev', application('no-service-account'));
    expect(refused.status.operationState).toMatchObject({
      phase: 'Error',
      message: `no matching service account found for destination server ${server('dev')} and namespace guestbook`,
    });
    expect(refused.writes).toEqual([]);

    await h.applyProject('team', {
      ...teamProject(),
      destinationServiceAccounts: [{ server: server('dev'), namespace: 'guestbook', defaultServiceAccount: 'deployer' }],
    });
    const synced = await attempt('dev', application('as-deployer'));
    expect(synced.status.operationState?.phase).toBe('Succeeded');
    expect(synced.writes.map((w) => [w.name, w.identity])).toEqual([['guestbook-config', DEPLOYER]]);
  });

  it("a kind the impersonated ServiceAccount may not write: the cluster's RBAC refuses it", async () => {
    await h.applyProject('team', { ...teamProject(), destinationServiceAccounts: [{ server: '*', namespace: '*', defaultServiceAccount: 'deployer' }] });
    const refused = await attempt('dev', application('deployer-plants-secret', { source: { repoURL: allowed.url, path: 'secret', targetRevision: 'main' } }));
    expect(refused.status.operationState).toMatchObject({
      phase: 'Failed',
      message: `one or more objects failed to apply, reason: 403 Forbidden: secrets "planted" is forbidden: User "${DEPLOYER}" cannot patch resource "secrets" in API group "" in the namespace "guestbook"`,
    });
    expect(refused.writes).toEqual([]);
    expect((await attempt('dev', application('deployer-configmap'))).writes.map((w) => w.identity)).toEqual([DEPLOYER]);
  });
});

describe('a project made stricter while changes roll out', () => {
  it('stops a sync between waves, before the first write the project no longer permits', async () => {
    const app = application('waves', { source: { repoURL: allowed.url, path: 'waves', targetRevision: 'main' } });
    const mark = writeMark();
    created.push({ namespace: 'argocd', name: 'waves' });
    await h.createApplication(app);
    // Wave 0 (the Deployment) is written and turns Healthy after 800 ms; the admin tightens the project meanwhile.
    await waitFor(async () => writesTo('dev', mark).some((w) => w.kind === 'Deployment'), 'wave 0 to be applied', 10_000);
    await h.applyProject('team', { ...teamProject(), namespaceResourceBlacklist: [{ group: '', kind: 'ConfigMap' }] });
    const stopped = statusOf(await h.finished('argocd', 'waves'));
    expect(stopped.operationState).toMatchObject({
      phase: 'Failed',
      message: 'one or more synchronization tasks are not valid: resource :ConfigMap is not permitted in project team',
    });
    expect(writesTo('dev', mark).map((w) => w.kind)).toEqual(['Deployment']);

    await h.applyProject('team', teamProject());
    const since = new Date().toISOString();
    await h.requestSync('argocd', 'waves');
    expect(statusOf(await h.finished('argocd', 'waves', since)).operationState?.phase).toBe('Succeeded');
    expect(live('dev', 'v1', 'ConfigMap', 'guestbook', 'after-web')).toBeDefined();
  });

  it('refuses the later steps of a RollingSync once the project no longer permits their clusters', async () => {
    const appSet = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'ApplicationSet',
      metadata: { name: 'guestbook-rollout', namespace: 'argocd' },
      spec: {
        goTemplate: true,
        syncPolicy: { preserveResourcesOnDeletion: true },
        generators: [
          {
            list: {
              elements: [
                { cluster: 'dev', env: 'dev', url: server('dev') },
                { cluster: 'prod', env: 'prod', url: server('prod') },
              ],
            },
          },
        ],
        strategy: {
          type: 'RollingSync',
          rollingSync: {
            steps: [
              { matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] },
              { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] },
            ],
          },
        },
        template: {
          metadata: { name: 'rollout-{{.cluster}}', labels: { env: '{{.env}}' } },
          spec: {
            project: 'team',
            source: { repoURL: allowed.url, targetRevision: 'main', path: 'guestbook' },
            destination: { server: '{{.url}}', namespace: 'guestbook' },
          },
        },
      },
    };
    const appSetRef = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'ApplicationSet',
      metadata: { name: 'guestbook-rollout', namespace: 'argocd' },
    } as KubeObject;
    try {
      // The admin has just removed prod from the project when the rollout reaches it.
      await h.applyProject('team', { ...teamProject(), destinations: [{ server: server('dev'), namespace: 'guestbook' }] });
      const mark = writeMark();
      await h.client.apply(appSet as unknown as KubeObject, 'platform-admin');
      await waitFor(
        async () => statusOf((await h.application('argocd', 'rollout-dev')) ?? ({} as Application)).operationState?.phase === 'Succeeded',
        'dev to sync',
        20_000,
      );
      const prod = await waitFor(
        async () => {
          const app = await h.application('argocd', 'rollout-prod');
          return app && statusOf(app).operationState?.phase === 'Error' ? app : undefined;
        },
        'the prod step to be refused',
        20_000,
      );
      const message = `application destination server '${server('prod')}' and namespace 'guestbook' do not match any of the allowed destinations in project 'team'`;
      expect(statusOf(prod).conditions).toEqual([expect.objectContaining({ type: 'InvalidSpecError', message })]);
      expect(statusOf(prod).operationState?.message).toBe(`InvalidSpecError: ${message}`);
      expect(writesTo('prod', mark)).toEqual([]);
      expect(writesTo('dev', mark).map((w) => w.name)).toEqual(['guestbook-config']);
    } finally {
      await h.client.delete(appSetRef);
      await waitFor(
        async () => !(await h.application('argocd', 'rollout-prod')) && !(await h.application('argocd', 'rollout-dev')),
        'the rollout Applications to go',
        10_000,
      );
    }
  });
});
