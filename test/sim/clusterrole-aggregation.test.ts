import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGGREGATION_CONTROLLER } from '../../src/sim/clusterrole-aggregation.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';

/** ClusterRole aggregation on the simulator, seen through @kubernetes/client-node and SubjectAccessReviews. */
let fleet: SimFleet;
let rbac: k8s.RbacAuthorizationV1Api;
let authorization: k8s.AuthorizationV1Api;

const AGGREGATE = 'example.com/aggregate-to-appset-admin';
const patchAppSets = { namespace: 'argocd', verb: 'patch', group: 'argoproj.io', resource: 'applicationsets' };
const readConfigMaps = { namespace: 'argocd', verb: 'get', resource: 'configmaps' };

beforeAll(async () => {
  fleet = await SimFleet.start();
  const config = new k8s.KubeConfig();
  config.loadFromString(fleet.kubeconfig());
  rbac = config.makeApiClient(k8s.RbacAuthorizationV1Api);
  authorization = config.makeApiClient(k8s.AuthorizationV1Api);
  await rbac.createClusterRole({
    body: {
      metadata: { name: 'appset-admin' },
      aggregationRule: {
        clusterRoleSelectors: [{ matchLabels: { [AGGREGATE]: 'true' } }, { matchExpressions: [{ key: 'example.com/tier', operator: 'In', values: ['ops'] }] }],
      },
    },
  });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: 'erin-admin' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'appset-admin' },
      subjects: [{ kind: 'User', name: 'erin' }],
    },
  });
});

afterAll(async () => {
  await fleet?.stop();
});

const allowed = async (resourceAttributes: k8s.V1ResourceAttributes) =>
  (await authorization.createSubjectAccessReview({ body: { spec: { user: 'erin', resourceAttributes } } })).status?.allowed ?? false;

/** The aggregated role's rules once they are `expected` (bounded wait: the controller runs after each write), else the last seen. */
async function rulesWhen(expected: object[]): Promise<k8s.V1PolicyRule[]> {
  let rules: k8s.V1PolicyRule[] = [];
  for (let attempt = 0; attempt < 100; attempt++) {
    rules = (await rbac.readClusterRole({ name: 'appset-admin' })).rules ?? [];
    if (JSON.stringify(rules) === JSON.stringify(expected)) return rules;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return rules;
}

describe('ClusterRole aggregation', () => {
  it('starts every cluster with view, edit and admin already aggregated, view into edit into admin', async () => {
    const fresh = await SimFleet.start({ clusters: 1 });
    try {
      const store = fresh.cluster('cluster-1');
      const role = (name: string) => store.get(store.typeForKind('rbac.authorization.k8s.io/v1', 'ClusterRole')!, undefined, name)!;
      const rules = (name: string) => role(name).rules.map((rule: object) => JSON.stringify(rule));
      expect(rules('view')).toEqual(role('system:aggregate-to-view').rules.map((rule: object) => JSON.stringify(rule)));
      expect(rules('edit')).toEqual(expect.arrayContaining(rules('view')));
      expect(rules('admin')).toEqual(expect.arrayContaining(rules('edit')));
      expect(rules('admin').length).toBeGreaterThan(rules('edit').length);
      // Seeded aggregated: nothing for the controller to write when the cluster starts.
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(store.writes.filter((w) => w.identity === AGGREGATION_CONTROLLER)).toEqual([]);
    } finally {
      await fresh.stop();
    }
  });

  it('keeps an aggregated role the union of the roles its selectors match, and the authorizer follows it', async () => {
    expect(await allowed(patchAppSets)).toBe(false);
    const editRule = { apiGroups: ['argoproj.io'], resources: ['applicationsets'], verbs: ['patch', 'update'] };
    await rbac.createClusterRole({ body: { metadata: { name: 'appset-editor', labels: { [AGGREGATE]: 'true' } }, rules: [editRule] } });
    // Matched by the second selector, with one rule the first already brought: each rule appears once.
    await rbac.createClusterRole({
      body: {
        metadata: { name: 'ops-reader', labels: { 'example.com/tier': 'ops' } },
        rules: [editRule, { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
      },
    });
    await rbac.createClusterRole({
      body: { metadata: { name: 'unrelated', labels: { 'example.com/tier': 'dev' } }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] },
    });

    const union = [editRule, { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }];
    expect(await rulesWhen(union)).toEqual(union);
    expect(await allowed(patchAppSets)).toBe(true);
    expect(await allowed(readConfigMaps)).toBe(true);
    expect(await allowed({ namespace: 'argocd', verb: 'delete', resource: 'secrets' })).toBe(false);
    expect(fleet.cluster().writes.some((w) => w.name === 'appset-admin' && w.identity === AGGREGATION_CONTROLLER)).toBe(true);
  });

  it('drops the rules of a role that stops matching, and overwrites rules written to the aggregated role by hand', async () => {
    const reader = await rbac.readClusterRole({ name: 'ops-reader' });
    await rbac.replaceClusterRole({ name: 'ops-reader', body: { ...reader, metadata: { ...reader.metadata, labels: {} } } });
    const editRule = { apiGroups: ['argoproj.io'], resources: ['applicationsets'], verbs: ['patch', 'update'] };
    expect(await rulesWhen([editRule])).toEqual([editRule]);
    expect(await allowed(readConfigMaps)).toBe(false);
    expect(await allowed(patchAppSets)).toBe(true);

    const admin = await rbac.readClusterRole({ name: 'appset-admin' });
    await rbac.replaceClusterRole({ name: 'appset-admin', body: { ...admin, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['*'] }] } });
    expect(await rulesWhen([editRule])).toEqual([editRule]);
    expect(await allowed({ namespace: 'argocd', verb: 'delete', resource: 'secrets' })).toBe(false);

    await rbac.deleteClusterRole({ name: 'appset-editor' });
    expect(await rulesWhen([])).toEqual([]);
    expect(await allowed(patchAppSets)).toBe(false);
  });
});
