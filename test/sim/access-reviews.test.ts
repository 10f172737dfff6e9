import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimFleet } from '../../src/sim/sim-fleet.js';

/** TokenReview and SubjectAccessReview on the simulator, through @kubernetes/client-node, decided by stored RBAC objects. */
let fleet: SimFleet;
let config: k8s.KubeConfig;

beforeAll(async () => {
  fleet = await SimFleet.start();
  config = new k8s.KubeConfig();
  config.loadFromString(fleet.kubeconfig());
  const rbac = config.makeApiClient(k8s.RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({
    namespace: 'argocd',
    body: {
      metadata: { name: 'appset-reader' },
      rules: [
        { apiGroups: ['argoproj.io'], resources: ['applicationsets'], verbs: ['get', 'list'] },
        { apiGroups: [''], resources: ['configmaps'], resourceNames: ['argocd-cm'], verbs: ['get'] },
      ],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: 'argocd',
    body: {
      metadata: { name: 'alice-reads' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'appset-reader' },
      subjects: [{ kind: 'User', name: 'alice' }],
    },
  });
  await rbac.createClusterRole({
    body: { metadata: { name: 'appset-operator' }, rules: [{ apiGroups: ['argoproj.io'], resources: ['applicationsets', '*/status'], verbs: ['*'] }] },
  });
  // A RoleBinding to a ClusterRole grants it in the binding's namespace only.
  await rbac.createNamespacedRoleBinding({
    namespace: 'argocd',
    body: {
      metadata: { name: 'operators' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'appset-operator' },
      subjects: [{ kind: 'Group', name: 'platform' }],
    },
  });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: 'ci-everywhere' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'appset-operator' },
      subjects: [{ kind: 'ServiceAccount', name: 'ci', namespace: 'tools' }],
    },
  });
});
afterAll(async () => {
  await fleet.stop();
});

const sar = (user: string, groups: string[], resourceAttributes: k8s.V1ResourceAttributes) =>
  config.makeApiClient(k8s.AuthorizationV1Api).createSubjectAccessReview({ body: { spec: { user, groups, resourceAttributes } } });

describe('simulator TokenReview', () => {
  it('names the user and groups of a token, and refuses an unknown one', async () => {
    const auth = config.makeApiClient(k8s.AuthenticationV1Api);
    const alice = await auth.createTokenReview({ body: { spec: { token: fleet.token(undefined, 'alice', ['platform']) } } });
    expect(alice.status).toMatchObject({ authenticated: true, user: { username: 'alice', groups: ['platform', 'system:authenticated'] } });
    const sa = await auth.createTokenReview({ body: { spec: { token: fleet.token(undefined, 'system:serviceaccount:tools:ci') } } });
    expect(sa.status?.user?.groups).toEqual(['system:serviceaccounts', 'system:serviceaccounts:tools', 'system:authenticated']);
    const admin = await auth.createTokenReview({ body: { spec: { token: fleet.token() } } });
    expect(admin.status?.user).toMatchObject({ username: 'management-admin', groups: ['system:masters', 'system:authenticated'] });
    const unknown = await auth.createTokenReview({ body: { spec: { token: 'sim-nobody-0000' } } });
    expect(unknown.status?.authenticated).toBeFalsy();
    expect(unknown.status?.error).toMatch(/invalid bearer token/);
    await expect(auth.createTokenReview({ body: { spec: {} } })).rejects.toMatchObject({ code: 422 });
  });
});

describe('simulator SubjectAccessReview', () => {
  it('allows what a RoleBinding grants a user, in its namespace only, and names the binding', async () => {
    const allowed = await sar('alice', [], { namespace: 'argocd', verb: 'get', group: 'argoproj.io', resource: 'applicationsets', name: 'guestbook' });
    expect(allowed.status).toEqual({ allowed: true, reason: 'RBAC: allowed by RoleBinding "alice-reads/argocd" of Role "appset-reader" to User "alice"' });
    expect((await sar('alice', [], { namespace: 'argocd', verb: 'patch', group: 'argoproj.io', resource: 'applicationsets' })).status?.allowed).toBe(false);
    expect((await sar('alice', [], { namespace: 'team-a', verb: 'get', group: 'argoproj.io', resource: 'applicationsets' })).status?.allowed).toBe(false);
    expect((await sar('bob', [], { namespace: 'argocd', verb: 'get', group: 'argoproj.io', resource: 'applicationsets' })).status?.allowed).toBe(false);
  });

  it('honours resourceNames, subresources and wildcards', async () => {
    expect((await sar('alice', [], { namespace: 'argocd', verb: 'get', resource: 'configmaps', name: 'argocd-cm' })).status?.allowed).toBe(true);
    expect((await sar('alice', [], { namespace: 'argocd', verb: 'get', resource: 'configmaps', name: 'other' })).status?.allowed).toBe(false);
    expect((await sar('alice', [], { namespace: 'argocd', verb: 'get', resource: 'configmaps' })).status?.allowed).toBe(false);
    expect((await sar('carol', ['platform'], { namespace: 'argocd', verb: 'patch', group: 'argoproj.io', resource: 'applicationsets' })).status?.allowed).toBe(
      true,
    );
    expect(
      (await sar('carol', ['platform'], { namespace: 'argocd', verb: 'update', group: 'argoproj.io', resource: 'applications', subresource: 'status' })).status
        ?.allowed,
    ).toBe(true);
    expect((await sar('carol', ['platform'], { namespace: 'argocd', verb: 'get', group: 'argoproj.io', resource: 'applications' })).status?.allowed).toBe(
      false,
    );
    expect((await sar('carol', ['platform'], { namespace: 'team-a', verb: 'patch', group: 'argoproj.io', resource: 'applicationsets' })).status?.allowed).toBe(
      false,
    );
  });

  it('binds ServiceAccounts cluster-wide through a ClusterRoleBinding, and system:masters to everything', async () => {
    const ci = await sar('system:serviceaccount:tools:ci', [], { namespace: 'team-a', verb: 'patch', group: 'argoproj.io', resource: 'applicationsets' });
    expect(ci.status).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by ClusterRoleBinding "ci-everywhere" of ClusterRole "appset-operator" to ServiceAccount "ci"',
    });
    expect(
      (await sar('system:serviceaccount:other:ci', [], { namespace: 'team-a', verb: 'patch', group: 'argoproj.io', resource: 'applicationsets' })).status
        ?.allowed,
    ).toBe(false);
    expect((await sar('management-admin', ['system:masters'], { namespace: 'kube-system', verb: 'delete', resource: 'secrets' })).status?.allowed).toBe(true);
  });

  it('follows RBAC objects as they change', async () => {
    const rbac = config.makeApiClient(k8s.RbacAuthorizationV1Api);
    const attributes = { namespace: 'argocd', verb: 'patch', group: 'argoproj.io', resource: 'applicationsets' };
    expect((await sar('dave', [], attributes)).status?.allowed).toBe(false);
    await rbac.createNamespacedRoleBinding({
      namespace: 'argocd',
      body: {
        metadata: { name: 'dave' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'appset-operator' },
        subjects: [{ kind: 'User', name: 'dave' }],
      },
    });
    expect((await sar('dave', [], attributes)).status?.allowed).toBe(true);
    await rbac.deleteNamespacedRoleBinding({ name: 'dave', namespace: 'argocd' });
    expect((await sar('dave', [], attributes)).status?.allowed).toBe(false);
  });

  it('lists the review APIs in discovery as create-only', async () => {
    const groups = await config.makeApiClient(k8s.ApisApi).getAPIVersions();
    expect(groups.groups.map((g) => g.name)).toEqual(expect.arrayContaining(['authentication.k8s.io', 'authorization.k8s.io', 'rbac.authorization.k8s.io']));
    const resources = await config.makeApiClient(k8s.AuthorizationV1Api).getAPIResources();
    expect(resources.resources?.map((r) => [r.name, r.verbs])).toEqual([
      ['subjectaccessreviews', ['create']],
      ['selfsubjectaccessreviews', ['create']],
      ['selfsubjectrulesreviews', ['create']],
    ]);
  });

  it("answers a SelfSubjectAccessReview for the token's own user", async () => {
    const alice = new k8s.KubeConfig();
    alice.loadFromString(fleet.kubeconfig(undefined, { identity: 'alice' }));
    const can = (verb: string, namespace: string) =>
      alice
        .makeApiClient(k8s.AuthorizationV1Api)
        .createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { namespace, verb, group: 'argoproj.io', resource: 'applicationsets' } } } });
    // Her own Role, and the ClusterRole bound to her group `platform`, both in argocd only.
    expect((await can('list', 'argocd')).status?.allowed).toBe(true);
    expect((await can('delete', 'argocd')).status?.allowed).toBe(true);
    expect((await can('list', 'team-a')).status?.allowed).toBe(false);
  });

  it('rejects a review without a user or without attributes', async () => {
    const authz = config.makeApiClient(k8s.AuthorizationV1Api);
    await expect(authz.createSubjectAccessReview({ body: { spec: { resourceAttributes: { verb: 'get' } } } })).rejects.toMatchObject({ code: 422 });
    await expect(authz.createSubjectAccessReview({ body: { spec: { user: 'alice' } } })).rejects.toMatchObject({ code: 422 });
  });
});
