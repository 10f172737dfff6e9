import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/api/meta.js';
import { startApiServer, type RunningApiServer } from '../../src/api-server/api-server.js';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { createLogger } from '../../src/observability/logger.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';
import { parseClusterSecret } from '../../src/clusters/cluster-secret.js';
import { clusterKeys } from '../../src/sharding/sharding-runtime.js';
import { StaticShards } from '../../src/sharding/static-shards.js';

/** The REST API over real HTTP on 127.0.0.1, authorized by the simulator's TokenReview and SubjectAccessReview. */
let fleet: SimFleet;
let api: RunningApiServer;
let admin: ObjectClient;
const logLines: string[] = [];
const tokens: Record<'viewer' | 'operator' | 'nobody', string> = { viewer: '', operator: '', nobody: '' };
const APPSET = 'guestbook';
const FREEZE = 'waiting for sync window "change freeze" (opens 02:00 UTC)';
const GROUP = 'argoproj.io/v1alpha1';

const rbac = (kind: string, name: string, body: Record<string, unknown>) =>
  admin.create({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name, namespace: 'argocd' }, ...body });
const bind = (role: string, user: string) =>
  rbac('RoleBinding', `${role}-${user}`, { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role }, subjects: [{ kind: 'User', name: user }] });

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
  await admin.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cluster-broken', namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': 'cluster' } }, data: { name: Buffer.from('broken').toString('base64') } } as never);
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
        rollingSync: { steps: [{ matchExpressions: [{ key: 'env', operator: 'In', values: ['staging'] }] }, { matchExpressions: [{ key: 'env', operator: 'In', values: ['production'] }], maxUpdate: 1 }] },
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
      spec: { project: 'default', destination: { ...(env === 'staging' ? { name: name.replace('guestbook-', '') } : { server: fleet.server(name.replace('guestbook-', '')) }), namespace: 'guestbook' } },
      status: { sync: { status: sync, revision: 'a1b2c3d4e5f6' }, health: { status: health } },
    } as never);
  }
  await admin.patchStatus(GROUP, 'applicationsets', 'argocd', APPSET, {
    conditions: [{ type: 'RolloutProgressing', status: 'True', reason: 'ApplicationSetModified', message: 'ApplicationSet Rollout is progressing' }],
    applicationStatus: [
      { application: 'guestbook-staging-eu', status: 'Healthy', step: '1', message: 'Application resource became Healthy, updating status from Progressing to Healthy.' },
      { application: 'guestbook-prod-eu', status: 'Progressing', step: '2', message: `Application sync held: ${FREEZE}` },
      { application: 'guestbook-prod-us', status: 'Waiting', step: '2', message: 'Application is out of date with the current AppSet generation, setting status to Waiting.' },
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
  api = await startApiServer({
    shards: { shardOf: (server) => shards.ownerOfCluster(server) },
    kubeConfig: kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'system:serviceaccount:argocd:regatta' })),
    namespace: 'argocd',
    applicationSetNamespaces: ['argocd'],
    logger: createLogger('api', { write: (line) => logLines.push(line) }),
  });
});

afterAll(async () => {
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
    expect(read.body).toEqual({ statusCode: 403, error: 'Forbidden', message: `user "nobody" may not get applicationsets.argoproj.io "${APPSET}" in namespace "argocd"` });
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
    expect(body.rollout.waiting).toEqual([{ step: 2, applications: 1, windows: ['"change freeze"'], opensAt: '2030-01-07T02:00:00.000Z', message: `step 2: 1 Application ${FREEZE}` }]);
    expect(body.rollout.steps[1].waiting).toEqual([`1 Application ${FREEZE}`]);
    expect(body.rollout.steps[1].applications.filter((a: any) => a.held).map((a: any) => a.name)).toEqual(['guestbook-prod-eu']);
    const list = await call('GET', '/api/v1/namespaces/argocd/applicationsets', tokens.viewer);
    expect(list.body.items).toEqual([
      { name: APPSET, namespace: 'argocd', conditions: body.conditions, applicationCount: 3, rollout: { phase: 'Progressing', step: 2, message: 'step 2 of 2: 1 of 2 Applications Healthy' } },
    ]);
  });

  it('lists the fleet with labels, shard and connection state, and no credentials', async () => {
    const { status, body } = await call('GET', '/api/v1/clusters', tokens.viewer);
    expect(status).toBe(200);
    const byName = Object.fromEntries(body.items.map((c: any) => [c.name, c]));
    expect(Object.keys(byName)).toEqual(['broken', 'prod-eu', 'prod-us', 'staging-eu']);
    expect(byName['staging-eu']).toMatchObject({ server: fleet.server('staging-eu'), labels: { env: 'staging', region: 'eu' }, connection: { status: 'Successful' }, secret: 'argocd/cluster-staging-eu' });
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
        template: { metadata: { name: 'web-{{name}}' }, spec: { project: 'default', source: { repoURL: 'https://example.com/r.git', path: 'web' }, destination: { server: '{{server}}', namespace: 'web' } } },
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
    expect(body.paths['/api/v1/namespaces/{namespace}/applicationsets/{name}/rollout/{action}'].post['x-required-permission']).toBe('patch applicationsets {name} in {namespace}');
  });
});

describe('dashboard sessions', () => {
  const login = (token: string, next: string) => fetch(`${api.url}/dashboard/login?token=${encodeURIComponent(token)}&next=${encodeURIComponent(next)}`, { redirect: 'manual' });

  it('trades a token for an HttpOnly session cookie, and redirects only within the dashboard', async () => {
    const response = await login(tokens.operator, 'https://evil.example/steal');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/dashboard');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const cookie = response.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^regatta_session=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain(tokens.operator);
    expect((await login(tokens.operator, '/dashboard//evil.example')).headers.get('location')).toBe('/dashboard');
    expect((await login(tokens.operator, `/dashboard/namespaces/argocd/applicationsets/${APPSET}`)).headers.get('location')).toBe(`/dashboard/namespaces/argocd/applicationsets/${APPSET}`);

    const session = { cookie: cookie.split(';')[0] };
    const page = await fetch(`${api.url}/dashboard/namespaces/argocd/applicationsets/${APPSET}`, { headers: session });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('data-step="2"');
    expect(html).not.toContain(tokens.operator);
    // The cookie stands in for the token on reads only: an action needs the bearer header.
    expect((await fetch(`${api.url}/api/v1/namespaces/argocd/applicationsets/${APPSET}`, { headers: session })).status).toBe(200);
    expect((await fetch(`${api.url}/api/v1/namespaces/argocd/applicationsets/${APPSET}/rollout/pause`, { method: 'POST', headers: session })).status).toBe(401);
  });

  it('sends a browser without a session to the login form, and refuses a token the cluster does not accept', async () => {
    const page = await fetch(`${api.url}/dashboard`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/dashboard/login?next=%2Fdashboard');
    const refused = await login('sim-forged-token', '/dashboard');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('set-cookie')).toBeNull();
    expect(await refused.text()).toContain('not accepted by the management cluster');
  });
});
