import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/api/meta.js';
import { startApiServer, type RunningApiServer } from '../../src/api-server/api-server.js';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { createLogger } from '../../src/observability/logger.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';
import { parseClusterSecret } from '../../src/api/cluster-secret.js';
import { clusterKeys } from '../../src/sharding/sharding-runtime.js';
import { StaticShards } from '../../src/sharding/static-shards.js';
import { DashboardLoginCodes } from '../../src/api-server/dashboard-login-codes.js';
import { cookieSet, csrfIn, loginForm, postForm, postLogin as postFormLogin, type LoginForm } from '../support/dashboard-forms.js';
import { writeMark, writesSince } from '../support/write-log.js';

/** The REST API over real HTTP on 127.0.0.1, authorized by the simulator's TokenReview and SubjectAccessReview. */
let fleet: SimFleet;
let api: RunningApiServer;
/** The same API behind a TLS-terminating proxy it is told to trust. */
let proxied: RunningApiServer;
const loginCodes = new DashboardLoginCodes();
let admin: ObjectClient;
const logLines: string[] = [];
const tokens: Record<'viewer' | 'operator' | 'nobody', string> = { viewer: '', operator: '', nobody: '' };
const APPSET = 'guestbook';
const FREEZE = 'waiting for sync window "change freeze" (opens 02:00 UTC)';
const GROUP = 'argoproj.io/v1alpha1';

const rbac = (kind: string, name: string, body: Record<string, unknown>) =>
  admin.create({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name, namespace: 'argocd' }, ...body });
const bind = (role: string, user: string) =>
  rbac('RoleBinding', `${role}-${user}`, {
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role },
    subjects: [{ kind: 'User', name: user }],
  });

async function call(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

beforeAll(async () => {
  fleet = await SimFleet.start({
    clusters: [
      { name: 'staging-eu', labels: { env: 'staging', region: 'eu' } },
      { name: 'prod-eu', labels: { env: 'production', region: 'eu' } },
      { name: 'prod-us', labels: { env: 'production', region: 'us' } },
    ],
  });
  admin = new ObjectClient(kubeConfigFromString(fleet.kubeconfig()));
  for (const name of fleet.names()) {
    const secret = fleet.clusterSecret(name);
    // prod-us is pinned to the second replica by the Secret's shard field, as in Argo CD.
    if (name === 'prod-us') secret.data!.shard = Buffer.from('1').toString('base64');
    await admin.create(secret as never);
  }
  await admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'cluster-broken', namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': 'cluster' } },
    data: { name: Buffer.from('broken').toString('base64') },
  } as never);
  fleet.fault('prod-eu', { unreachable: true });

  await rbac('Role', 'appset-viewer', { rules: [{ apiGroups: ['argoproj.io'], resources: ['applicationsets'], verbs: ['get', 'list', 'watch'] }] });
  await rbac('Role', 'appset-operator', { rules: [{ apiGroups: ['argoproj.io'], resources: ['applicationsets'], verbs: ['get', 'patch', 'create'] }] });
  await bind('appset-viewer', 'viewer');
  await bind('appset-operator', 'operator');
  tokens.viewer = fleet.token(undefined, 'viewer');
  tokens.operator = fleet.token(undefined, 'operator');
  tokens.nobody = fleet.token(undefined, 'nobody');

  const appSet: KubeObject = await admin.create({
    apiVersion: GROUP,
    kind: 'ApplicationSet',
    metadata: { name: APPSET, namespace: 'argocd' },
    spec: {
      generators: [{ list: { elements: [] } }],
      template: { metadata: { name: '{{name}}' }, spec: { project: 'default', destination: {} } },
      strategy: {
        type: 'RollingSync',
        rollingSync: {
          steps: [
            { matchExpressions: [{ key: 'env', operator: 'In', values: ['staging'] }] },
            { matchExpressions: [{ key: 'env', operator: 'In', values: ['production'] }], maxUpdate: 1 },
          ],
        },
      },
    },
  } as KubeObject);
  const owner = { apiVersion: GROUP, kind: 'ApplicationSet', name: APPSET, uid: appSet.metadata!.uid!, controller: true };
  const apps = [
    ['guestbook-staging-eu', 'staging', 'Synced', 'Healthy'],
    ['guestbook-prod-eu', 'production', 'OutOfSync', 'Progressing'],
    ['guestbook-prod-us', 'production', 'OutOfSync', 'Healthy'],
  ];
  for (const [name, env, sync, health] of apps) {
    await admin.create({
      apiVersion: GROUP,
      kind: 'Application',
      metadata: { name, namespace: 'argocd', labels: { env }, ownerReferences: [owner] },
      // By name or by server URL, as Argo CD allows; the API names the cluster either way.
      spec: {
        project: 'default',
        destination: {
          ...(env === 'staging' ? { name: name.replace('guestbook-', '') } : { server: fleet.server(name.replace('guestbook-', '')) }),
          namespace: 'guestbook',
        },
      },
      status: { sync: { status: sync, revision: 'a1b2c3d4e5f6' }, health: { status: health } },
    } as never);
  }
  await admin.patchStatus(GROUP, 'applicationsets', 'argocd', APPSET, {
    conditions: [{ type: 'RolloutProgressing', status: 'True', reason: 'ApplicationSetModified', message: 'ApplicationSet Rollout is progressing' }],
    applicationStatus: [
      {
        application: 'guestbook-staging-eu',
        status: 'Healthy',
        step: '1',
        message: 'Application resource became Healthy, updating status from Progressing to Healthy.',
      },
      { application: 'guestbook-prod-eu', status: 'Progressing', step: '2', message: `Application sync held: ${FREEZE}` },
      {
        application: 'guestbook-prod-us',
        status: 'Waiting',
        step: '2',
        message: 'Application is out of date with the current AppSet generation, setting status to Waiting.',
      },
    ],
    rollout: {
      phase: 'Progressing',
      step: 2,
      message: 'step 2 of 2: 1 of 2 Applications Healthy',
      waiting: [{ step: 2, applications: 1, windows: ['"change freeze"'], opensAt: '2030-01-07T02:00:00.000Z', message: `step 2: 1 Application ${FREEZE}` }],
    },
  });

  // Two replicas with static membership, as the controller would run them.
  const records = (await admin.list<KubeObject>('v1', 'Secret', 'argocd')).flatMap((secret) => parseClusterSecret(secret as never).cluster ?? []);
  const shards = new StaticShards('regatta-0', 2, 'bounded-load', () => ({ clusters: clusterKeys(records), appSets: [] }));
  shards.keysChanged();
  const options = {
    shards: { shardOf: (server: string) => shards.ownerOfCluster(server) },
    kubeConfig: kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'system:serviceaccount:argocd:regatta' })),
    namespace: 'argocd',
    applicationSetNamespaces: ['argocd'],
    logger: createLogger('api', { write: (line) => logLines.push(line) }),
    loginCodes,
  };
  api = await startApiServer(options);
  proxied = await startApiServer({ ...options, trustForwardedProto: true });
});

afterAll(async () => {
  await proxied?.close();
  await api?.close();
  await fleet?.stop();
});

describe('REST API authentication and authorization', () => {
  it('answers 401 with a JSON reason without a token or with one the cluster refuses', async () => {
    const none = await call('GET', `/api/v1/namespaces/argocd/applicationsets/${APPSET}`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(none.body).toMatchObject({ statusCode: 401, error: 'Unauthorized', message: expect.stringMatching(/no bearer token/) });
    const forged = await call('GET', `/api/v1/namespaces/argocd/applicationsets/${APPSET}`, 'sim-viewer-forged');
    expect(forged.status).toBe(401);
    expect(forged.body.message).toMatch(/not accepted by the management cluster/);
  });

  it('answers 403 naming the user and the missing permission', async () => {
    const read = await call('GET', `/api/v1/namespaces/argocd/applicationsets/${APPSET}`, tokens.nobody);
    expect(read.status).toBe(403);
    expect(read.body).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: `user "nobody" may not get applicationsets.argoproj.io "${APPSET}" in namespace "argocd"`,
    });
    const pause = await call('POST', `/api/v1/namespaces/argocd/applicationsets/${APPSET}/rollout/pause`, tokens.viewer);
    expect(pause.status).toBe(403);
    expect(pause.body.message).toBe(`user "viewer" may not patch applicationsets.argoproj.io "${APPSET}" in namespace "argocd"`);
    // RoleBindings grant in their namespace only.
    expect((await call('GET', '/api/v1/namespaces/team-a/applicationsets', tokens.operator)).status).toBe(403);
    const annotations = (await admin.get<any>(GROUP, 'ApplicationSet', 'argocd', APPSET))?.metadata.annotations ?? {};
    expect(annotations['rollout.regatta.dev/control']).toBeUndefined();
  });

  it('pauses, resumes and aborts with `patch applicationsets`, as `regatta rollout` does', async () => {
    const annotations = async () => (await admin.get<any>(GROUP, 'ApplicationSet', 'argocd', APPSET))?.metadata.annotations ?? {};
    const pause = await call('POST', `/api/v1/namespaces/argocd/applicationsets/${APPSET}/rollout/pause`, tokens.operator);
    expect(pause.status).toBe(200);
    expect(pause.body).toEqual({ applicationSet: `argocd/${APPSET}`, action: 'pause', message: `ApplicationSet argocd/${APPSET}: rollout paused` });
    expect((await annotations())['rollout.regatta.dev/control']).toBe('pause');
    expect((await call('GET', `/api/v1/namespaces/argocd/applicationsets/${APPSET}`, tokens.viewer)).body.rollout.control).toBe('pause');

    expect((await call('POST', `/api/v1/namespaces/argocd/applicationsets/${APPSET}/rollout/resume`, tokens.operator)).status).toBe(200);
    const resumed = await annotations();
    expect(resumed['rollout.regatta.dev/control']).toBeUndefined();
    expect(Date.parse(resumed['rollout.regatta.dev/resumed-at'])).toBeGreaterThan(Date.now() - 60_000);

    expect((await call('POST', `/api/v1/namespaces/argocd/applicationsets/${APPSET}/rollout/abort`, tokens.operator)).status).toBe(200);
    expect((await annotations())['rollout.regatta.dev/control']).toBe('abort');
    await call('POST', `/api/v1/namespaces/argocd/applicationsets/${APPSET}/rollout/resume`, tokens.operator);

    const unknown = await call('POST', `/api/v1/namespaces/argocd/applicationsets/${APPSET}/rollout/restart`, tokens.operator);
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toBe('rollout action "restart" is not one of pause, resume, abort');
    const missing = await call('POST', '/api/v1/namespaces/argocd/applicationsets/nope/rollout/pause', tokens.operator);
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('ApplicationSet argocd/nope not found');
  });

  it('never writes a token to its logs', async () => {
    await call('GET', `/api/v1/namespaces/argocd/applicationsets/${APPSET}`, 'sim-viewer-forged');
    expect(logLines.some((line) => line.includes('api request refused'))).toBe(true);
    for (const token of [...Object.values(tokens), 'sim-viewer-forged']) expect(logLines.join('\n')).not.toContain(token);
  });
});

describe('REST API data', () => {
  it('shows an ApplicationSet: conditions, Applications with sync and health, and the rollout by step', async () => {
    const { status, body } = await call('GET', `/api/v1/namespaces/argocd/applicationsets/${APPSET}`, tokens.viewer);
    expect(status).toBe(200);
    expect(body.conditions.map((c: any) => c.type)).toEqual(['RolloutProgressing']);
    expect(body.applications.map((a: any) => [a.name, a.cluster, a.sync, a.health, a.rollout.status])).toEqual([
      ['guestbook-prod-eu', 'prod-eu', 'OutOfSync', 'Progressing', 'Progressing'],
      ['guestbook-prod-us', 'prod-us', 'OutOfSync', 'Healthy', 'Waiting'],
      ['guestbook-staging-eu', 'staging-eu', 'Synced', 'Healthy', 'Healthy'],
    ]);
    expect(body.rollout).toMatchObject({ phase: 'Progressing', step: 2, message: 'step 2 of 2: 1 of 2 Applications Healthy' });
    expect(body.rollout.steps.map((s: any) => [s.step, s.selector, s.maxUpdate, s.counts])).toEqual([
      [1, 'env In staging', undefined, { Waiting: 0, Pending: 0, Progressing: 0, Healthy: 1 }],
      [2, 'env In production', 1, { Waiting: 1, Pending: 0, Progressing: 1, Healthy: 0 }],
    ]);
    expect(body.applicationStatus).toHaveLength(3);
    // What sync windows hold: per step, and which Applications.
    expect(body.rollout.waiting).toEqual([
      { step: 2, applications: 1, windows: ['"change freeze"'], opensAt: '2030-01-07T02:00:00.000Z', message: `step 2: 1 Application ${FREEZE}` },
    ]);
    expect(body.rollout.steps[1].waiting).toEqual([`1 Application ${FREEZE}`]);
    expect(body.rollout.steps[1].applications.filter((a: any) => a.held).map((a: any) => a.name)).toEqual(['guestbook-prod-eu']);
    const list = await call('GET', '/api/v1/namespaces/argocd/applicationsets', tokens.viewer);
    expect(list.body.items).toEqual([
      {
        name: APPSET,
        namespace: 'argocd',
        conditions: body.conditions,
        applicationCount: 3,
        rollout: { phase: 'Progressing', step: 2, message: 'step 2 of 2: 1 of 2 Applications Healthy' },
      },
    ]);
  });

  it('lists the fleet with labels, shard and connection state, and no credentials', async () => {
    const { status, body } = await call('GET', '/api/v1/clusters', tokens.viewer);
    expect(status).toBe(200);
    const byName = Object.fromEntries(body.items.map((c: any) => [c.name, c]));
    expect(Object.keys(byName)).toEqual(['broken', 'prod-eu', 'prod-us', 'staging-eu']);
    expect(byName['staging-eu']).toMatchObject({
      server: fleet.server('staging-eu'),
      labels: { env: 'staging', region: 'eu' },
      connection: { status: 'Successful' },
      secret: 'argocd/cluster-staging-eu',
    });
    expect(byName['prod-us'].shard).toBe('regatta-1');
    expect(['regatta-0', 'regatta-1']).toContain(byName['staging-eu'].shard);
    expect(byName['prod-eu'].connection).toMatchObject({ status: 'Failed', message: expect.stringContaining(`cannot reach ${fleet.server('prod-eu')}`) });
    expect(byName.broken.connection).toEqual({ status: 'Failed', message: 'cluster Secret argocd/cluster-broken: data.server is required' });
    const text = JSON.stringify(body);
    for (const name of fleet.names()) expect(text).not.toContain(fleet.token(name));
  });

  it('generates an ApplicationSet posted in the body over the live fleet, writing nothing', async () => {
    const appSet = {
      apiVersion: GROUP,
      kind: 'ApplicationSet',
      metadata: { name: 'preview', namespace: 'argocd' },
      spec: {
        generators: [{ clusters: { selector: { matchLabels: { env: 'production' } } } }],
        template: {
          metadata: { name: 'web-{{name}}' },
          spec: { project: 'default', source: { repoURL: 'https://example.com/r.git', path: 'web' }, destination: { server: '{{server}}', namespace: 'web' } },
        },
      },
    };
    expect((await call('POST', '/api/v1/generate', tokens.viewer, appSet)).status).toBe(403);
    const { status, body } = await call('POST', '/api/v1/generate', tokens.operator, appSet);
    expect(status).toBe(200);
    expect(body.errors).toEqual([]);
    expect(body.applications.map((a: any) => [a.metadata.name, a.spec.destination.server])).toEqual([
      ['web-prod-eu', fleet.server('prod-eu')],
      ['web-prod-us', fleet.server('prod-us')],
    ]);
    expect(await admin.list(GROUP, 'ApplicationSet', 'argocd')).toHaveLength(1);

    const broken = { ...appSet, spec: { ...appSet.spec, generators: [{ list: { elements: [{ name: 'a' }] }, lsit: {} }] } };
    const invalid = await call('POST', '/api/v1/generate', tokens.operator, broken);
    expect(invalid.status).toBe(422);
    expect(invalid.body.errors[0]).toMatch(/^ApplicationSet preview: spec\.generators\[0\]/);
    expect((await call('POST', '/api/v1/generate', tokens.operator, { kind: 'ConfigMap' })).status).toBe(400);

    const unknownProject = {
      ...appSet,
      spec: { ...appSet.spec, template: { ...appSet.spec.template, spec: { ...appSet.spec.template.spec, project: 'ghost' } } },
    };
    const refused = await call('POST', '/api/v1/generate', tokens.operator, unknownProject);
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([
      'ApplicationSet preview: Application web-prod-eu: spec.project: application references project ghost which does not exist',
      'ApplicationSet preview: Application web-prod-us: spec.project: application references project ghost which does not exist',
    ]);
    expect(refused.body.applications).toEqual([]);
  });

  it('serves its OpenAPI document at /api/docs, naming the permission of each endpoint', async () => {
    const { status, body } = await call('GET', '/api/docs');
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    expect(Object.keys(body.paths)).toEqual([
      '/api/v1/clusters',
      '/api/v1/namespaces/{namespace}/applicationsets',
      '/api/v1/namespaces/{namespace}/applicationsets/{name}',
      '/api/v1/namespaces/{namespace}/applicationsets/{name}/rollout/{action}',
      '/api/v1/generate',
    ]);
    expect(body.paths['/api/v1/namespaces/{namespace}/applicationsets/{name}/rollout/{action}'].post['x-required-permission']).toBe(
      'patch applicationsets {name} in {namespace}',
    );
  });
});

const postLogin = (fields: Record<string, string>, form?: LoginForm, server = api, headers: Record<string, string> = {}) =>
  postFormLogin(server.url, fields, form, headers);

/** A logged-in browser: its session cookie and the CSRF token the rollout page's forms carry. */
async function browserSession(token: string): Promise<{ cookie: string; csrf: string }> {
  const cookie = cookieSet(await postLogin({ token }));
  const page = await fetch(`${api.url}/dashboard/namespaces/argocd/applicationsets/${APPSET}`, { headers: { cookie } });
  return { cookie, csrf: csrfIn(await page.text()) };
}

const controlAnnotation = async () =>
  ((await admin.get<any>(GROUP, 'ApplicationSet', 'argocd', APPSET))?.metadata.annotations ?? {})['rollout.regatta.dev/control'];

describe('dashboard login', () => {
  it('logs in by POST only: trades a token posted with the form for an HttpOnly, SameSite=Strict session cookie, redirecting only within the dashboard', async () => {
    // (test/security/web.test.ts checks the refused URL's token is neither echoed nor logged.)
    const byUrl = await fetch(`${api.url}/dashboard/login?token=${encodeURIComponent(tokens.operator)}`, { redirect: 'manual' });
    expect([byUrl.status, byUrl.headers.get('set-cookie')?.startsWith('regatta_session')]).toEqual([400, false]);

    const response = await postLogin({ token: tokens.operator, next: 'https://evil.example/steal' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/dashboard');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const cookie = response.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^regatta_session=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain(tokens.operator);
    expect((await postLogin({ token: tokens.operator, next: '/dashboard//evil.example' })).headers.get('location')).toBe('/dashboard');
    expect((await postLogin({ token: tokens.operator, next: `/dashboard/namespaces/argocd/applicationsets/${APPSET}` })).headers.get('location')).toBe(
      `/dashboard/namespaces/argocd/applicationsets/${APPSET}`,
    );

    const session = { cookie: cookieSet(response) };
    const page = await fetch(`${api.url}/dashboard/namespaces/argocd/applicationsets/${APPSET}`, { headers: session });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('data-step="2"');
    expect(html).not.toContain(tokens.operator);
    expect((await fetch(`${api.url}/api/v1/namespaces/argocd/applicationsets/${APPSET}`, { headers: session })).status).toBe(200);
  });

  it('marks the cookies Secure over TLS: behind a proxy only when told to trust its X-Forwarded-Proto', async () => {
    const https = { 'x-forwarded-proto': 'https' };
    const trusted = await postLogin({ token: tokens.viewer }, await loginForm(proxied.url), proxied, https);
    expect(trusted.headers.get('set-cookie')).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
    const form = await fetch(`${proxied.url}/dashboard/login`, { headers: https });
    expect(form.headers.get('set-cookie')).toMatch(/^regatta_login=[A-Za-z0-9_-]{43}; Path=\/dashboard\/login; HttpOnly; SameSite=Strict; Secure$/);
    // Plain HTTP through the same proxy, and any header at all to a server not told to trust it: not Secure.
    expect((await postLogin({ token: tokens.viewer }, await loginForm(proxied.url), proxied)).headers.get('set-cookie')).not.toContain('Secure');
    expect((await postLogin({ token: tokens.viewer }, undefined, api, https)).headers.get('set-cookie')).not.toContain('Secure');
  });

  it('refuses a login form posted without the CSRF token its page carried (a cross-site login)', async () => {
    const { cookie, csrf } = await loginForm(api.url);
    const attempts: { headers: Record<string, string>; body: URLSearchParams }[] = [
      { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: tokens.operator }) },
      { headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: tokens.operator }) },
      {
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: tokens.operator, csrf: `${csrf.slice(0, -1)}${csrf.endsWith('A') ? 'B' : 'A'}` }),
      },
      // Another browser's form token without that browser's cookie.
      { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: tokens.operator, csrf }) },
    ];
    for (const attempt of attempts) {
      const response = await fetch(`${api.url}/dashboard/login`, { method: 'POST', redirect: 'manual', ...attempt });
      expect(response.status).toBe(403);
      expect(response.headers.get('set-cookie')).not.toContain('regatta_session');
      expect(await response.text()).toContain('The login form was not sent from this dashboard');
    }
  });

  it('accepts a one-time login code once', async () => {
    const code = loginCodes.issue(tokens.viewer);
    expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    const first = await postLogin({ code: code.toLowerCase().replace(/-/g, ' ') });
    expect(first.status).toBe(303);
    const page = await fetch(`${api.url}/dashboard`, { headers: { cookie: cookieSet(first) } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<span class="user">viewer</span>');
    const again = await postLogin({ code });
    expect(again.status).toBe(401);
    expect(again.headers.get('set-cookie')).not.toContain('regatta_session');
    expect(await again.text()).toContain('The login code is unknown, expired or already used.');
    expect(logLines.join('\n')).not.toContain(code);
  });

  it('sends a browser without a session to the login form, and refuses a token the cluster does not accept', async () => {
    const page = await fetch(`${api.url}/dashboard`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/dashboard/login?next=%2Fdashboard');
    const refused = await postLogin({ token: 'sim-forged-token', next: '/dashboard' });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('set-cookie')).not.toContain('regatta_session');
    expect(await refused.text()).toContain('not accepted by the management cluster');
    const empty = await postLogin({});
    expect(empty.status).toBe(401);
    expect(await empty.text()).toContain('Paste a bearer token or a one-time login code.');
  });
});

describe('dashboard POST actions and CSRF', () => {
  const pausePath = `/dashboard/namespaces/argocd/applicationsets/${APPSET}/rollout/pause`;
  const post = (path: string, cookie: string, fields: Record<string, string> = {}) => postForm(api.url, path, cookie, fields);

  it("shows pause, resume and abort buttons that post the session's CSRF token", async () => {
    const { cookie, csrf } = await browserSession(tokens.operator);
    const html = await (await fetch(`${api.url}/dashboard/namespaces/argocd/applicationsets/${APPSET}`, { headers: { cookie } })).text();
    for (const action of ['pause', 'resume', 'abort'])
      expect(html).toContain(`formaction="/dashboard/namespaces/argocd/applicationsets/${APPSET}/rollout/${action}" data-action="${action}"`);
    expect(html).toContain(`<input type="hidden" name="csrf" value="${csrf}">`);
  });

  it("pauses from the rollout page with the session's CSRF token, and writes nothing without it", async () => {
    const operator = await browserSession(tokens.operator);
    const other = await browserSession(tokens.operator);
    const mark = writeMark();
    for (const csrf of [undefined, '', 'forged', other.csrf]) {
      const refused = await post(pausePath, operator.cookie, csrf === undefined ? {} : { csrf });
      expect(refused.status).toBe(403);
      expect(await refused.text()).toContain('no valid CSRF token');
    }
    // The API's own endpoint, with the cookie and no bearer header, is held to the same rule.
    const api403 = await fetch(`${api.url}/api/v1/namespaces/argocd/applicationsets/${APPSET}/rollout/pause`, {
      method: 'POST',
      headers: { cookie: operator.cookie },
    });
    expect(api403.status).toBe(403);
    expect((await api403.json()).message).toMatch(/^no valid CSRF token/);
    // Without a session at all: to the login form, which then returns to the page (not to the action).
    const anonymous = await post(pausePath, '', { csrf: operator.csrf });
    expect([anonymous.status, anonymous.headers.get('location')]).toEqual([
      303,
      `/dashboard/login?next=${encodeURIComponent(`/dashboard/namespaces/argocd/applicationsets/${APPSET}`)}`,
    ]);
    expect(writesSince(fleet.cluster(), mark, { kind: 'ApplicationSet', name: APPSET })).toEqual([]);
    expect(await controlAnnotation()).toBeUndefined();

    const paused = await post(pausePath, operator.cookie, { csrf: operator.csrf });
    expect(paused.status).toBe(303);
    expect(paused.headers.get('location')).toBe(`/dashboard/namespaces/argocd/applicationsets/${APPSET}`);
    expect(await controlAnnotation()).toBe('pause');
    expect(writesSince(fleet.cluster(), mark, { kind: 'ApplicationSet', name: APPSET }).map((w) => [w.verb, w.identity])).toEqual([
      ['patch', 'system:serviceaccount:argocd:regatta'],
    ]);
    expect((await post(pausePath.replace(/pause$/, 'resume'), operator.cookie, { csrf: operator.csrf })).status).toBe(303);
    expect(await controlAnnotation()).toBeUndefined();
  });

  it('still checks RBAC behind a valid CSRF token', async () => {
    const viewer = await browserSession(tokens.viewer);
    const mark = writeMark();
    const refused = await post(pausePath, viewer.cookie, { csrf: viewer.csrf });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain(
      `user &quot;viewer&quot; may not patch applicationsets.argoproj.io &quot;${APPSET}&quot; in namespace &quot;argocd&quot;`,
    );
    expect(writesSince(fleet.cluster(), mark, { kind: 'ApplicationSet' })).toEqual([]);
  });

  it("logs out only with the session's CSRF token", async () => {
    const { cookie, csrf } = await browserSession(tokens.viewer);
    const forged = await post('/dashboard/logout', cookie);
    expect(forged.status).toBe(403);
    expect((await fetch(`${api.url}/dashboard`, { headers: { cookie }, redirect: 'manual' })).status).toBe(200);
    const out = await post('/dashboard/logout', cookie, { csrf });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/^regatta_session=; Max-Age=0;/);
    expect((await fetch(`${api.url}/dashboard`, { headers: { cookie }, redirect: 'manual' })).status).toBe(303);
  });
});
