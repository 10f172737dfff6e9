import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { impersonating, kubeConfigFromString } from '../../src/kube/kube-config.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';
import { writeMark, writesSince } from '../support/write-log.js';

/** Impersonation on the simulator, through @kubernetes/client-node's Impersonate-User header. */
let fleet: SimFleet;
let admin: ObjectClient;
const DEPLOYER = 'system:serviceaccount:team-a:deployer';

const configMap = (name: string, namespace = 'team-a') => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { k: 'v' } });

beforeAll(async () => {
  fleet = await SimFleet.start({ clusters: ['workload'].map((name) => ({ name })), namespaces: ['default', 'team-a', 'team-b'] });
  admin = new ObjectClient(kubeConfigFromString(fleet.kubeconfig('workload')));
  // The deployer may write ConfigMaps in team-a, and only patch (not create) Secrets there.
  await admin.create({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'deployer', namespace: 'team-a' },
    rules: [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'create', 'patch', 'delete'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'patch'] },
    ],
  } as never);
  await admin.create({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'deployer', namespace: 'team-a' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployer' },
    subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'team-a' }],
  } as never);
});
afterAll(async () => {
  await fleet.stop();
});

const as = (user: string, identity?: string) =>
  new ObjectClient(impersonating(kubeConfigFromString(fleet.kubeconfig('workload', identity ? { identity } : {})), user));

describe('simulator impersonation', () => {
  it('runs an allowed request as the impersonated ServiceAccount, and logs the write under its name', async () => {
    const mark = writeMark();
    await as(DEPLOYER).apply(configMap('settings'), 'regatta-sync');
    expect(writesSince(fleet.cluster('workload'), mark, { kind: 'ConfigMap', name: 'settings' })).toEqual([
      expect.objectContaining({ verb: 'apply', identity: DEPLOYER }),
    ]);
  });

  it('holds the impersonated user to RBAC: other namespaces, other kinds, and creating by apply need their own grant', async () => {
    const mark = writeMark();
    await expect(as(DEPLOYER).apply(configMap('settings', 'team-b'), 'regatta-sync')).rejects.toMatchObject({
      code: 403,
      body: expect.stringContaining(
        `configmaps \\"settings\\" is forbidden: User \\"${DEPLOYER}\\" cannot patch resource \\"configmaps\\" in API group \\"\\" in the namespace \\"team-b\\"`,
      ),
    });
    await expect(
      as(DEPLOYER).apply(
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name: 'escalate' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'team-a' }],
        } as never,
        'regatta-sync',
      ),
    ).rejects.toMatchObject({
      code: 403,
      body: expect.stringContaining('at the cluster scope'),
    });
    await expect(
      as(DEPLOYER).apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'new', namespace: 'team-a' } } as never, 'regatta-sync'),
    ).rejects.toMatchObject({
      code: 403,
      body: expect.stringContaining('cannot create resource \\"secrets\\"'),
    });
    expect(writesSince(fleet.cluster('workload'), mark)).toEqual([]);
  });

  it('lets only callers RBAC allows to impersonate do so', async () => {
    const mark = writeMark();
    await expect(as(DEPLOYER, 'tenant').apply(configMap('sneaky'), 'regatta-sync')).rejects.toMatchObject({
      code: 403,
      body: expect.stringContaining(
        'serviceaccounts \\"deployer\\" is forbidden: User \\"tenant\\" cannot impersonate resource \\"serviceaccounts\\" in API group \\"\\" in the namespace \\"team-a\\"',
      ),
    });
    await expect(as('alice', 'tenant').get('v1', 'ConfigMap', 'team-a', 'settings')).rejects.toMatchObject({
      code: 403,
      body: expect.stringContaining('cannot impersonate resource \\"users\\"'),
    });
    await admin.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'impersonate-deployer' },
      rules: [{ apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'], resourceNames: ['deployer'] }],
    } as never);
    await admin.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'tenant-impersonates', namespace: 'team-a' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'impersonate-deployer' },
      subjects: [{ kind: 'User', name: 'tenant' }],
    } as never);
    await as(DEPLOYER, 'tenant').apply(configMap('allowed'), 'regatta-sync');
    expect(writesSince(fleet.cluster('workload'), mark, { kind: 'ConfigMap' }).map((w) => [w.name, w.identity])).toEqual([['allowed', DEPLOYER]]);
  });

  it('lets an impersonated user discover the API, as system:discovery allows every authenticated user', async () => {
    const api = impersonating(kubeConfigFromString(fleet.kubeconfig('workload')), DEPLOYER).makeApiClient(k8s.CoreV1Api);
    expect((await api.getAPIResources()).resources.map((r) => r.name)).toContain('configmaps');
    expect(await as(DEPLOYER).namespaced('v1', 'ConfigMap')).toBe(true);
  });
});
