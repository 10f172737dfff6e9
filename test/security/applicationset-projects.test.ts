import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplicaProcess } from '../../src/demo/replica-process.js';
import { ControllerHarness } from '../support/controller-harness.js';
import { FakeScm } from '../support/fake-scm.js';
import { FakeScmRepositories } from '../support/fake-scm-repositories.js';
import { writeMark, writesSince } from '../support/write-log.js';

/**
 * Tenant escapes through the ApplicationSet controller: Applications naming a project that does not
 * exist, and SCM generators reaching for hosts or Secrets the platform did not allow. Every refusal
 * is asserted as the user sees it (the ApplicationSet's condition, an exit code) and by the
 * simulator's write log: nothing was written for it.
 */

const PROJECTS = { group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'appprojects' };

const appSet = (name: string, elements: Record<string, string>[]) => ({
  metadata: { name },
  spec: {
    goTemplate: true,
    generators: [{ list: { elements } }],
    template: {
      metadata: { name: '{{.app}}' },
      spec: {
        project: '{{.project}}',
        source: { repoURL: 'https://git.example.com/apps.git', path: '{{.app}}' },
        destination: { server: 'https://kubernetes.default.svc', namespace: '{{.app}}' },
      },
    },
  },
});

const previews = (name: string, api: string, secretName: string) => ({
  metadata: { name },
  spec: {
    goTemplate: true,
    generators: [{ pullRequest: { github: { owner: 'myorg', repo: 'myrepository', api, tokenRef: { secretName, key: 'token' } } } }],
    template: {
      metadata: { name: `${name}-{{.number}}` },
      spec: {
        project: 'default',
        source: { repoURL: 'https://git.example.com/apps.git', path: 'preview', targetRevision: '{{.head_sha}}' },
        destination: { server: 'https://kubernetes.default.svc', namespace: `${name}-{{.number}}` },
      },
    },
  },
});

const errorCondition = async (h: ControllerHarness, name: string) =>
  h.eventually(
    async () => (await h.appSet(name)).status?.conditions?.find((c: any) => c.type === 'ErrorOccurred' && c.status === 'True'),
    `an error on ${name}`,
  );

const applicationWrites = (h: ControllerHarness, since: bigint, name?: string) =>
  writesSince(h.fleet.cluster(), since, { kind: 'Application', ...(name ? { name } : {}) });

describe("generated Applications must name an AppProject of Argo CD's namespace", () => {
  let h: ControllerHarness;
  beforeAll(async () => {
    h = await ControllerHarness.start();
  });
  afterAll(async () => {
    await h.stop();
  });

  it('refuses the Application whose project does not exist, writes the valid ones, and says why', async () => {
    const since = writeMark();
    await h.applyAppSet(
      appSet('mixed', [
        { app: 'web', project: 'default' },
        { app: 'escape', project: 'ghost' },
      ]),
    );
    await h.eventually(async () => (await h.applications()).some((a) => a.metadata.name === 'web'), 'the valid Application');
    const condition = await errorCondition(h, 'mixed');
    expect([condition.reason, condition.message]).toEqual(['ApplicationValidationError', 'application references project ghost which does not exist']);
    await h.settle();
    expect(applicationWrites(h, since, 'escape')).toEqual([]);
  });

  it('writes the Application once its project is created, without waiting for a requeue', async () => {
    await h.custom.createNamespacedCustomObject({
      ...PROJECTS,
      body: {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AppProject',
        metadata: { name: 'ghost' },
        spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }] },
      },
    });
    await h.eventually(async () => (await h.applications()).some((a) => a.metadata.name === 'escape'), 'the Application of the new project');
    const upToDate = await h.eventually(
      async () => (await h.appSet('mixed')).status?.conditions?.find((c: any) => c.type === 'ResourcesUpToDate' && c.status === 'True'),
      'ResourcesUpToDate',
    );
    expect(upToDate.reason).toBe('ApplicationSetUpToDate');
  });

  it('keeps the Application when its project is deleted: refused, never deleted', async () => {
    const since = writeMark();
    await h.custom.deleteNamespacedCustomObject({ ...PROJECTS, name: 'ghost' });
    const condition = await errorCondition(h, 'mixed');
    expect(condition.message).toBe('application references project ghost which does not exist');
    await h.settle();
    expect(applicationWrites(h, since, 'escape')).toEqual([]);
    expect((await h.applications()).map((a) => a.metadata.name)).toContain('escape');
  });
});

describe("ApplicationSets outside Argo CD's namespace (--applicationset-namespaces)", () => {
  let h: ControllerHarness;
  beforeAll(async () => {
    h = await ControllerHarness.start({
      fleet: { namespaces: ['default', 'argocd', 'team-a'] },
      argv: ['--applicationset-namespaces=team-a', '--enable-scm-providers=false'],
    });
    await h.custom.createNamespacedCustomObject({
      ...PROJECTS,
      body: {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AppProject',
        metadata: { name: 'teams' },
        spec: { sourceNamespaces: ['team-*'], sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }] },
      },
    });
  });
  afterAll(async () => {
    await h.stop();
  });
  const teamApplications = async () =>
    (await h.custom.listNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'team-a', plural: 'applications' })).items.map(
      (a: any) => a.metadata.name,
    );
  const teamAppSet = async (name: string) =>
    h.custom.getNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'team-a', plural: 'applicationsets', name });

  it("refuses a project whose sourceNamespaces do not name the ApplicationSet's namespace, and writes the permitted one", async () => {
    const since = writeMark();
    await h.applyAppSet({
      ...appSet('tenant', [
        { app: 'borrowed', project: 'default' },
        { app: 'own', project: 'teams' },
      ]),
      metadata: { name: 'tenant', namespace: 'team-a' },
    });
    await h.eventually(async () => (await teamApplications()).includes('own'), 'the Application of a project that admits team-a');
    const condition = await h.eventually(
      async () => (await teamAppSet('tenant')).status?.conditions?.find((c: any) => c.type === 'ErrorOccurred' && c.status === 'True'),
      'the refusal',
    );
    expect([condition.reason, condition.message]).toEqual([
      'ApplicationValidationError',
      "application 'borrowed' in namespace 'team-a' is not permitted to use project 'default'",
    ]);
    await h.settle();
    expect(writesSince(h.fleet.cluster(), since, { kind: 'Application', name: 'borrowed' })).toEqual([]);
  });
});

const repositories = (name: string, api: string, secretName: string) => ({
  metadata: { name },
  spec: {
    goTemplate: true,
    generators: [{ scmProvider: { gitea: { owner: 'myorg', api, tokenRef: { secretName, key: 'token' } } } }],
    template: {
      metadata: { name: `${name}-{{.repository}}` },
      spec: {
        project: 'default',
        source: { repoURL: '{{.url}}', path: 'deploy', targetRevision: '{{.sha}}' },
        destination: { server: 'https://kubernetes.default.svc', namespace: '{{.repository}}' },
      },
    },
  },
});

describe('SCM generators reach only what the platform allows', () => {
  let scm: FakeScm;
  let repos: FakeScmRepositories;
  let h: ControllerHarness;
  const TOKEN = 'ghp_tenantSh0uldNotLeak';
  const secret = (name: string, labels: Record<string, string> = {}) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'argocd', labels },
    data: { token: Buffer.from(TOKEN).toString('base64') },
  });
  beforeAll(async () => {
    scm = await FakeScm.start([
      { number: 7, title: 'Preview', branch: 'feature', target: 'main', sha: '0123456789abcdef0123456789abcdef01234567', labels: [], author: 'alice' },
    ]);
    repos = await FakeScmRepositories.start({ myorg: [{ name: 'api', id: 1, defaultBranch: 'main', branches: { main: 'a'.repeat(40) } }] }, TOKEN);
    h = await ControllerHarness.start({ argv: [`--allowed-scm-providers=${scm.base}/api/v3,${repos.base}`, '--token-ref-strict-mode=true'] });
    await h.core.createNamespacedSecret({ namespace: 'argocd', body: secret('plain-token') });
    await h.core.createNamespacedSecret({ namespace: 'argocd', body: secret('scm-token', { 'argocd.argoproj.io/secret-type': 'scm-creds' }) });
  });
  afterAll(async () => {
    await h.stop();
    await scm.stop();
    await repos.stop();
  });

  it('refuses a custom API outside --allowed-scm-providers before any request', async () => {
    const since = writeMark();
    scm.requests.length = 0;
    await h.applyAppSet(previews('elsewhere', `${scm.base}/elsewhere/api/v3`, 'scm-token'));
    const condition = await errorCondition(h, 'elsewhere');
    expect(condition.message).toBe(
      `spec.generators[0].pullRequest: failed to select pull request service provider: scm provider not allowed: scm provider "${scm.base}/elsewhere/api/v3" not allowed, must use one of the following: ${scm.base}/api/v3, ${repos.base}`,
    );
    expect(scm.requests).toEqual([]);
    expect(applicationWrites(h, since)).toEqual([]);
  });

  it('in strict mode refuses a tokenRef to a Secret not labelled scm-creds, sending no token', async () => {
    const since = writeMark();
    scm.requests.length = 0;
    await h.applyAppSet(previews('unlabelled', `${scm.base}/api/v3`, 'plain-token'));
    const condition = await errorCondition(h, 'unlabelled');
    expect(condition.message).toContain(
      'secret argocd/plain-token is not a valid SCM creds secret: secret must have label "argocd.argoproj.io/secret-type"="scm-creds"',
    );
    expect(scm.requests).toEqual([]);
    expect(applicationWrites(h, since)).toEqual([]);
  });

  it('uses an allowed API with a labelled Secret', async () => {
    await h.applyAppSet(previews('allowed', `${scm.base}/api/v3`, 'scm-token'));
    await h.eventually(async () => (await h.applications()).some((a) => a.metadata.name === 'allowed-7'), 'the preview Application');
    expect(scm.requests.map((r) => r.authorization)).toContain(`token ${TOKEN}`);
  });

  it('holds an scmProvider generator to the same allow-list and strict tokenRef, and writes its Applications once allowed', async () => {
    const since = writeMark();
    repos.requests.length = 0;
    await h.applyAppSet(repositories('elsewhere-repos', `${repos.base}/elsewhere`, 'scm-token'));
    expect((await errorCondition(h, 'elsewhere-repos')).message).toBe(
      `spec.generators[0].scmProvider: scm provider not allowed: scm provider "${repos.base}/elsewhere" not allowed, must use one of the following: ${scm.base}/api/v3, ${repos.base}`,
    );
    await h.applyAppSet(repositories('unlabelled-repos', repos.base, 'plain-token'));
    expect((await errorCondition(h, 'unlabelled-repos')).message).toBe(
      'spec.generators[0].scmProvider: error fetching Gitea token: secret argocd/plain-token is not a valid SCM creds secret: secret must have label "argocd.argoproj.io/secret-type"="scm-creds"',
    );
    expect(repos.requests).toEqual([]);
    expect(applicationWrites(h, since)).toEqual([]);
    await h.applyAppSet(repositories('repos', repos.base, 'scm-token'));
    await h.eventually(async () => (await h.applications()).some((a) => a.metadata.name === 'repos-api'), 'the repository Application');
  });
});

describe('controller start-up', () => {
  it("refuses ApplicationSets in any namespace while SCM generators may call any host (exit 2, Argo CD's message)", async () => {
    const replica = startReplicaProcess({
      kubeconfig: 'apiVersion: v1\nkind: Config\n',
      redisUrl: '',
      args: ['--applicationset-namespaces=team-a'],
      stderr: 'pipe',
    });
    let stderr = '';
    replica.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const [code] = await once(replica, 'exit');
    expect(code).toBe(2);
    expect(stderr).toContain(
      'When enabling applicationset in any namespace using applicationset-namespaces, you must either set --enable-scm-providers=false or specify --allowed-scm-providers',
    );
  });
});
