import * as k8s from '@kubernetes/client-node';
import type { INestApplication } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/api/meta.js';
import { loadAppConfig } from '../../src/config/app-config.js';
import { createControllerApp } from '../../src/app/app.module.js';
import { startApiServer, type RunningApiServer } from '../../src/api-server/api-server.js';
import { DashboardLoginCodes } from '../../src/api-server/dashboard-login-codes.js';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { createLogger, silentLogger } from '../../src/observability/logger.js';
import { ControllerMetrics } from '../../src/observability/metrics.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';
import { cookieSet, csrfIn, postForm, postLogin } from '../support/dashboard-forms.js';
import { FakeScm } from '../support/fake-scm.js';
import { TestRepository } from '../support/git-fixtures.js';
import { GitHttpServer } from '../support/git-http-server.js';
import { writeMark, writesSince } from '../support/write-log.js';

/**
 * Hostile requests to Regatta's HTTP surface: forged and oversized webhooks against the whole
 * controller process, and the dashboard and the API's dry run against the API server, all on the
 * simulator with real HTTP servers on 127.0.0.1. Each attempt is refused with a status and a
 * message, and the simulator's write log (or the receiving server) shows nothing went through.
 */
const GROUP = 'argoproj.io/v1alpha1';
const SECRETS = { github: 'gh-hook-s3cret', gitlab: 'gl-hook-t0ken', bitbucket: '{b1tbucket-hook-uuid}', azuredevops: 'azdo-hook-p4ssw0rd' };
const SCM_TOKEN = 'ghp_scmT0kenNeverToLeave';
const GIT_PASSWORD = 'git-p4ssw0rd-s3cret';
const MAX_PAYLOAD_MB = 1;

let fleet: SimFleet;
let admin: ObjectClient;
let controller: INestApplication;
let hooks: string;
let api: RunningApiServer;
const loginCodes = new DashboardLoginCodes();
const apiLog: string[] = [];
let webhookRepo: TestRepository;
let privateRepo: TestRepository;
let privateHead: string;
let gitServer: GitHttpServer;
let attacker: FakeScm;
let gitCache: string;
const tokens = { tenant: '', trusted: '' };
let kube: k8s.KubeConfig;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sign = (secret: string, body: Buffer) => createHmac('sha256', secret).update(body).digest('hex');

async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const applications = async () => (await admin.list<KubeObject>(GROUP, 'Application', 'argocd')).map((a) => a.metadata!.name!).sort();
const appSetWrites = (mark: bigint, name?: string) => writesSince(fleet.cluster(), mark, { kind: 'ApplicationSet', ...(name ? { name } : {}) });
const applicationWrites = (mark: bigint) => writesSince(fleet.cluster(), mark, { kind: 'Application' });
/** The API server has an identity of its own, so its writes are told apart from the controller's. */
const API_IDENTITY = 'system:serviceaccount:argocd:regatta-api';
const apiWrites = (mark: bigint) => writesSince(fleet.cluster(), mark, { identity: API_IDENTITY });

/** Waits until the management cluster has had no ApplicationSet or Application writes for 1.5 s (bounded). */
async function quiet(): Promise<void> {
  const until = Date.now() + 20_000;
  for (;;) {
    const mark = writeMark();
    await sleep(1500);
    if (appSetWrites(mark).length === 0 && applicationWrites(mark).length === 0) return;
    if (Date.now() > until) throw new Error('the controller did not settle');
  }
}

const rbac = (kind: string, name: string, body: Record<string, unknown>) =>
  admin.create({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name, namespace: 'argocd' }, ...body } as KubeObject);
const bind = (role: string, user: string) =>
  rbac('RoleBinding', `${role}-${user}`, {
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role },
    subjects: [{ kind: 'User', name: user }],
  });

beforeAll(async () => {
  gitCache = mkdtempSync(join(tmpdir(), 'regatta-security-git-'));
  process.env.REGATTA_GIT_CACHE_DIR = gitCache;
  webhookRepo = new TestRepository('apps');
  webhookRepo.commit({ 'apps/one/app.yaml': 'kind: ConfigMap\n' });
  // The HTTPS URL users write is served from the test's repository, through git's own configuration.
  Object.assign(process.env, {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: `url.file://${webhookRepo.root}/.insteadOf`,
    GIT_CONFIG_VALUE_0: 'https://git.example.com/',
  });
  privateRepo = new TestRepository('private');
  privateHead = privateRepo.commit({ 'apps/a/app.yaml': 'kind: ConfigMap\n', 'apps/b/app.yaml': 'kind: ConfigMap\n' });
  gitServer = await GitHttpServer.start(dirname(privateRepo.bare), 'robot', GIT_PASSWORD);
  attacker = await FakeScm.start([{ number: 7, title: 'pr', branch: 'feature', target: 'main', sha: 'a'.repeat(40), labels: [], author: 'someone' }]);

  fleet = await SimFleet.start();
  admin = new ObjectClient(kubeConfigFromString(fleet.kubeconfig()));
  kube = new k8s.KubeConfig();
  kube.loadFromString(fleet.kubeconfig(undefined, { identity: 'test' }));
  await admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'scm-token', namespace: 'argocd' },
    stringData: { token: SCM_TOKEN },
  } as KubeObject);
  await admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'repo-private', namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': 'repository' } },
    stringData: { url: `${gitServer.base}/${basename(privateRepo.bare)}`, username: 'robot', password: GIT_PASSWORD },
  } as KubeObject);
  // Both may create (and so dry-run) and pause ApplicationSets; only "trusted" may read the two Secrets.
  await rbac('Role', 'appset-operator', { rules: [{ apiGroups: ['argoproj.io'], resources: ['applicationsets'], verbs: ['get', 'patch', 'create'] }] });
  await rbac('Role', 'secret-reader', { rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['scm-token', 'repo-private'] }] });
  await bind('appset-operator', 'tenant');
  await bind('appset-operator', 'trusted');
  await bind('secret-reader', 'trusted');
  tokens.tenant = fleet.token(undefined, 'tenant');
  tokens.trusted = fleet.token(undefined, 'trusted');

  const kubeConfig = kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'system:serviceaccount:argocd:regatta' }));
  const config = loadAppConfig(
    [
      '--port',
      '0',
      '--webhook-github-secret',
      SECRETS.github,
      '--webhook-gitlab-secret',
      SECRETS.gitlab,
      '--webhook-bitbucket-uuid',
      SECRETS.bitbucket,
      '--webhook-azuredevops-username',
      'azdo-hook',
      '--webhook-azuredevops-password',
      SECRETS.azuredevops,
      '--webhook-max-payload-size-mb',
      String(MAX_PAYLOAD_MB),
      '--allow-local-repositories=true',
    ],
    {},
  );
  controller = await createControllerApp({ config, kubeConfig, logger: silentLogger, metrics: new ControllerMetrics() });
  await controller.listen(0, '127.0.0.1');
  hooks = `${(await controller.getUrl()).replace('[::1]', '127.0.0.1')}/api/webhook`;
  api = await startApiServer({
    kubeConfig: kubeConfigFromString(fleet.kubeconfig(undefined, { identity: API_IDENTITY })),
    namespace: 'argocd',
    applicationSetNamespaces: ['argocd'],
    logger: createLogger('api', { write: (line) => apiLog.push(line) }),
    shards: { shardOf: () => 'regatta-0' },
    loginCodes,
  });

  await k8s.KubernetesObjectApi.makeApiClient(kube).patch(
    {
      apiVersion: GROUP,
      kind: 'ApplicationSet',
      metadata: { name: 'from-git', namespace: 'argocd' },
      spec: {
        goTemplate: true,
        generators: [{ git: { repoURL: 'https://git.example.com/apps.git', revision: 'main', directories: [{ path: 'apps/*' }], requeueAfterSeconds: 3600 } }],
        template: {
          metadata: { name: 'git-{{.path.basename}}' },
          spec: {
            project: 'default',
            source: { repoURL: 'https://git.example.com/apps.git', path: '{{.path.path}}' },
            destination: { server: 'https://kubernetes.default.svc', namespace: 'apps' },
          },
        },
      },
    } as never,
    undefined,
    undefined,
    'test',
    true,
    k8s.PatchStrategy.ServerSideApply,
  );
  await eventually(async () => (await applications()).includes('git-one'), 'git-one');
});

afterAll(async () => {
  await api?.close();
  await controller?.close();
  await attacker?.stop();
  await gitServer?.stop();
  await fleet?.stop();
  webhookRepo?.dispose();
  privateRepo?.dispose();
  rmSync(gitCache, { recursive: true, force: true });
  for (const key of ['GIT_CONFIG_COUNT', 'GIT_CONFIG_KEY_0', 'GIT_CONFIG_VALUE_0', 'REGATTA_GIT_CACHE_DIR']) delete process.env[key];
});

async function hook(headers: Record<string, string>, body: Buffer<ArrayBuffer>): Promise<{ status: number; message: string }> {
  const response = await fetch(hooks, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, message: ((await response.json()) as { message?: string }).message ?? '' };
}

describe('webhooks that must not refresh anything', () => {
  const push = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', repository: { html_url: 'https://git.example.com/apps', default_branch: 'main' } }));
  const bitbucketPush = Buffer.from(
    JSON.stringify({
      repository: { links: { html: { href: 'https://git.example.com/apps' } }, mainbranch: { name: 'main' } },
      push: { changes: [{ new: { name: 'main' } }] },
    }),
  );
  const attempts: [string, Record<string, string>, Buffer<ArrayBuffer>, number, string][] = [
    [
      'a GitHub push signed with a guessed secret',
      { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${sign('guessed', push)}` },
      push,
      401,
      'github webhook signature does not match',
    ],
    [
      'a GitHub push without a signature, dodging through an unconfigured Gitea header',
      { 'x-github-event': 'push', 'x-gitea-event': 'push' },
      push,
      401,
      'github webhook signature does not match',
    ],
    [
      'a GitHub push dodging through a Gogs header with a Gogs signature of its own',
      { 'x-github-event': 'push', 'x-gogs-event': 'push', 'x-gogs-signature': sign('any', push) },
      push,
      401,
      'github webhook signature does not match',
    ],
    ['a GitLab push with a wrong token', { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'gl-guess' }, push, 401, 'gitlab webhook token does not match'],
    [
      'a Bitbucket Cloud push with a wrong hook UUID',
      { 'x-event-key': 'repo:push', 'x-hook-uuid': '{guessed}' },
      bitbucketPush,
      401,
      'bitbucket webhook signature does not match',
    ],
    [
      'a Bitbucket Server push with a wrong signature',
      { 'x-event-key': 'repo:refs_changed', 'x-hub-signature': `sha256=${sign('guessed', push)}` },
      push,
      401,
      'bitbucket webhook signature does not match',
    ],
    [
      'an Azure DevOps push with a guessed Basic auth password',
      { 'x-vss-activityid': 'a1', authorization: `Basic ${Buffer.from('azdo-hook:guessed').toString('base64')}` },
      Buffer.from(
        JSON.stringify({
          eventType: 'git.push',
          resource: { refUpdates: [{ name: 'refs/heads/main' }], repository: { remoteUrl: 'https://git.example.com/apps', defaultBranch: 'refs/heads/main' } },
        }),
      ),
      401,
      'azuredevops webhook basic auth verification failed',
    ],
  ];

  /** A commit only a refresh would find (the generator polls hourly), made once the controller is idle. */
  const commitUnseen = async () => {
    await quiet();
    webhookRepo.commit({ [`apps/forged-${Date.now()}/app.yaml`]: 'kind: ConfigMap\n' });
  };

  it.each(attempts)('refuses %s', async (_what, headers, body, status, message) => {
    await commitUnseen();
    const mark = writeMark();
    const refused = await hook(headers, body);
    expect(refused).toEqual({ status, message });
    for (const secret of Object.values(SECRETS)) expect(refused.message).not.toContain(secret);
    await sleep(1000);
    expect(appSetWrites(mark)).toEqual([]);
    expect(applicationWrites(mark)).toEqual([]);
    expect((await applications()).filter((name) => name.startsWith('git-forged'))).toEqual([]);
  });

  it('refuses an oversized body with 413 before reading it, even when it is signed', async () => {
    const padded = Buffer.from(
      JSON.stringify({
        ref: 'refs/heads/main',
        repository: { html_url: 'https://git.example.com/apps', default_branch: 'main' },
        padding: 'x'.repeat(MAX_PAYLOAD_MB * 1024 * 1024),
      }),
    );
    await commitUnseen();
    const mark = writeMark();
    const refused = await hook({ 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${sign(SECRETS.github, padded)}` }, padded);
    expect(refused).toEqual({ status: 413, message: `webhook payload is larger than ${MAX_PAYLOAD_MB * 1024 * 1024} bytes` });
    await sleep(1000);
    expect(appSetWrites(mark)).toEqual([]);
    expect(applicationWrites(mark)).toEqual([]);
    expect((await applications()).filter((name) => name.startsWith('git-forged'))).toEqual([]);
  });

  it('refreshes on the same push signed with the configured secret (the attempts above could have)', async () => {
    const accepted = await fetch(hooks, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${sign(SECRETS.github, push)}` },
      body: push,
    });
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ refreshed: 1 });
    await eventually(
      async () => (await applications()).filter((name) => name.startsWith('git-forged')).length === attempts.length + 1,
      "the Applications of the refused pushes' commits",
    );
  });
});

describe('dashboard attempts', () => {
  const pausePath = '/dashboard/namespaces/argocd/applicationsets/from-git/rollout/pause';
  const control = async () =>
    (await admin.get<KubeObject>(GROUP, 'ApplicationSet', 'argocd', 'from-git'))?.metadata?.annotations?.['rollout.regatta.dev/control'];

  it('refuses a token in the login URL: no session, and the token is neither echoed nor logged', async () => {
    const response = await fetch(`${api.url}/dashboard/login?token=${encodeURIComponent(tokens.tenant)}`, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('set-cookie')).not.toContain('regatta_session');
    const html = await response.text();
    expect(html).toContain('A token in the URL is not accepted');
    expect(html).not.toContain(tokens.tenant);
    expect(apiLog.join('\n')).not.toContain(tokens.tenant);
  });

  it("refuses a cross-site login (a form post without the login page's CSRF token)", async () => {
    const response = await fetch(`${api.url}/dashboard/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      body: new URLSearchParams({ token: tokens.tenant }),
    });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('The login form was not sent from this dashboard, or it has expired');
    expect(response.headers.get('set-cookie')).not.toContain('regatta_session');
  });

  it("refuses a cross-site pause (session cookie, no CSRF token) and writes nothing; the page's own button pauses", async () => {
    const cookie = cookieSet(await postLogin(api.url, { token: tokens.tenant }));
    const mark = writeMark();
    const forged = await postForm(api.url, pausePath, cookie, {}, { origin: 'https://evil.example' });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('no valid CSRF token');
    expect(apiWrites(mark)).toEqual([]);
    expect(await control()).toBeUndefined();

    const page = await fetch(`${api.url}/dashboard/namespaces/argocd/applicationsets/from-git`, { headers: { cookie } });
    const paused = await postForm(api.url, pausePath, cookie, { csrf: csrfIn(await page.text()) });
    expect(paused.status).toBe(303);
    expect(await control()).toBe('pause');
    expect(apiWrites(mark).map((w) => [w.verb, w.kind, w.name])).toEqual([['patch', 'ApplicationSet', 'from-git']]);
    await admin.mergePatch({
      apiVersion: GROUP,
      kind: 'ApplicationSet',
      metadata: { name: 'from-git', namespace: 'argocd', annotations: { 'rollout.regatta.dev/control': null } },
    } as unknown as KubeObject);
  });

  it('refuses a replayed one-time login code', async () => {
    const code = loginCodes.issue(tokens.tenant);
    expect((await postLogin(api.url, { code })).status).toBe(303);
    const replayed = await postLogin(api.url, { code });
    expect(replayed.status).toBe(401);
    expect(replayed.headers.get('set-cookie')).not.toContain('regatta_session');
    expect(await replayed.text()).toContain('The login code is unknown, expired or already used.');
  });
});

describe('dry runs that would send a Secret where the caller chooses', () => {
  const template = {
    metadata: { name: 'preview-{{number}}' },
    spec: {
      project: 'default',
      source: { repoURL: 'https://example.com/r.git', path: '.' },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'preview' },
    },
  };
  const appSet = (generator: Record<string, unknown>, tmpl: Record<string, unknown> = template) => ({
    apiVersion: GROUP,
    kind: 'ApplicationSet',
    metadata: { name: 'preview', namespace: 'argocd' },
    spec: { generators: [generator], template: tmpl },
  });
  const generate = async (token: string, body: unknown) => {
    const response = await fetch(`${api.url}/api/v1/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { message?: string; applications?: { metadata: { name: string } }[] } };
  };
  const privateURL = () => `${gitServer.base}/${basename(privateRepo.bare)}`;
  const gitAppSet = (revision: string) =>
    appSet({ git: { repoURL: privateURL(), revision, directories: [{ path: 'apps/*' }] } }, { ...template, metadata: { name: 'preview-{{path.basename}}' } });
  const nothingWritten = (mark: bigint) => {
    expect(apiWrites(mark)).toEqual([]);
    expect(appSetWrites(mark, 'preview')).toEqual([]);
    expect(applicationWrites(mark).filter((w) => w.name?.startsWith('preview'))).toEqual([]);
  };

  it("refuses a PR generator whose tokenRef the caller may not get: 422 naming the Secret, and the attacker's API hears nothing", async () => {
    const before = attacker.requests.length;
    const mark = writeMark();
    const refused = await generate(
      tokens.tenant,
      appSet({ pullRequest: { github: { owner: 'org', repo: 'app', api: `${attacker.base}/api/v3`, tokenRef: { secretName: 'scm-token', key: 'token' } } } }),
    );
    expect(refused.status).toBe(422);
    expect(refused.body.message).toBe(
      'ApplicationSet preview: spec.generators[0].pullRequest: failed to select pull request service provider: error fetching Secret token: user "tenant" may not get secrets "scm-token" in namespace "argocd"',
    );
    expect(attacker.requests.slice(before)).toEqual([]);
    nothingWritten(mark);
  });

  it("refuses an SCM Provider generator whose tokenRef the caller may not get, and the attacker's API hears nothing", async () => {
    const before = attacker.requests.length;
    const mark = writeMark();
    const refused = await generate(
      tokens.tenant,
      appSet({ scmProvider: { github: { organization: 'org', api: `${attacker.base}/api/v3`, tokenRef: { secretName: 'scm-token', key: 'token' } } } }),
    );
    expect(refused.status).toBe(422);
    expect(refused.body.message).toBe(
      'ApplicationSet preview: spec.generators[0].scmProvider: scm provider: error fetching Github token: user "tenant" may not get secrets "scm-token" in namespace "argocd"',
    );
    expect(attacker.requests.slice(before)).toEqual([]);
    nothingWritten(mark);
  });

  it('refuses a GitHub App Secret the caller may not get, before asking any host for a token', async () => {
    const before = attacker.requests.length;
    const refused = await generate(
      tokens.tenant,
      appSet({ pullRequest: { github: { owner: 'org', repo: 'app', api: `${attacker.base}/api/v3`, appSecretName: 'scm-token' } } }),
    );
    expect(refused.status).toBe(422);
    expect(refused.body.message).toContain(
      'failed to select pull request service provider: error getting GitHub App secret: user "tenant" may not get secrets "scm-token" in namespace "argocd"',
    );
    expect(attacker.requests.slice(before)).toEqual([]);
  });

  it("refuses a caRef ConfigMap the caller may not get, before any request to the provider's API", async () => {
    const before = attacker.requests.length;
    const refused = await generate(
      tokens.tenant,
      appSet({
        pullRequest: {
          bitbucketServer: { project: 'PROJ', repo: 'app', api: attacker.base, caRef: { configMapName: 'argocd-tls-certs-cm', key: 'bitbucket-ca' } },
        },
      }),
    );
    expect(refused.status).toBe(422);
    expect(refused.body.message).toContain(
      'failed to select pull request service provider: error fetching CA certificates from ConfigMap: user "tenant" may not get configmaps "argocd-tls-certs-cm" in namespace "argocd"',
    );
    expect(attacker.requests.slice(before)).toEqual([]);
  });

  it('sends the token for a caller who may get the Secret (the refusals above are about rights)', async () => {
    const before = attacker.requests.length;
    const allowed = await generate(
      tokens.trusted,
      appSet({ pullRequest: { github: { owner: 'org', repo: 'app', api: `${attacker.base}/api/v3`, tokenRef: { secretName: 'scm-token', key: 'token' } } } }),
    );
    expect(allowed.body.message).toBeUndefined();
    expect(allowed.status).toBe(200);
    expect(allowed.body.applications?.map((a) => a.metadata.name)).toEqual(['preview-7']);
    expect(attacker.requests.slice(before).map((r) => r.authorization)).toContain(`token ${SCM_TOKEN}`);
  });

  it('refuses a git generator on a repository whose credentials the caller may not get: 422 naming the Secret, no credential sent', async () => {
    const before = gitServer.requests.length;
    const mark = writeMark();
    const refused = await generate(tokens.tenant, gitAppSet('main'));
    expect(refused.status).toBe(422);
    expect(refused.body.message).toBe(
      `ApplicationSet preview: spec.generators[0].git.repoURL: error getting directories from repo ${privateURL()} at revision "main": the credentials of ${privateURL()} are in Secret argocd/repo-private, and user "tenant" may not get secrets "repo-private" in namespace "argocd"`,
    );
    expect(refused.body.message).not.toContain(GIT_PASSWORD);
    expect(gitServer.requests.slice(before)).toEqual([]);
    nothingWritten(mark);
  });

  it('reads the repository with its credentials for a caller who may get them, and serves what that fetched to no one the remote refuses', async () => {
    const before = gitServer.requests.length;
    const allowed = await generate(tokens.trusted, gitAppSet('main'));
    expect(allowed.status).toBe(200);
    expect(allowed.body.applications?.map((a) => a.metadata.name)).toEqual(['preview-a', 'preview-b']);
    expect(gitServer.requests.slice(before).some((r) => r.authorized)).toBe(true);

    // With the Secret gone, the commit the trusted caller fetched is still on disk: a caller asking for it by SHA
    // is sent to the remote first, which refuses an anonymous fetch.
    await admin.delete({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'repo-private', namespace: 'argocd' } } as KubeObject);
    const mark = writeMark();
    const afterDelete = gitServer.requests.length;
    const replay = await generate(tokens.tenant, gitAppSet(privateHead));
    expect(replay.status).toBe(422);
    expect(replay.body.message).toMatch(
      /private\.git at revision "[0-9a-f]{40}": failed to fetch [0-9a-f]{40} from http:\/\/127\.0\.0\.1:\d+\/private\.git: failed to authenticate to git repository: no credentials matched this URL/,
    );
    expect(replay.body.applications ?? []).toEqual([]);
    expect(gitServer.requests.slice(afterDelete).every((r) => !r.authorized)).toBe(true);
    nothingWritten(mark);
  });
});
