import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { AccessReviews, type ResourceAccess } from '../../src/kube/access-reviews.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';
import { regatta } from '../support/cli.js';
import { renderChart } from '../support/helm.js';

const chartDir = new URL('../../helm/regatta', import.meta.url).pathname;
const release = { name: 'regatta', namespace: 'argocd' };

const byKind = (objects: Record<string, any>[], kind: string) => objects.filter((o) => o.kind === kind);

/** Every API call the controller makes, by namespace role: what the Roles must grant and nothing more. */
const CONTROLLER_RULES = [
  { apiGroups: ['argoproj.io'], resources: ['applicationsets'], verbs: ['get', 'list', 'watch', 'patch'] },
  { apiGroups: ['argoproj.io'], resources: ['applicationsets/status'], verbs: ['patch'] },
  { apiGroups: ['argoproj.io'], resources: ['applications'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
];
/** The REST API's delegated authentication and authorization: the only cluster-wide grant. */
const AUTH_DELEGATION_RULES = [
  { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
  { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
];
/** RolloutBudgets are cluster-scoped: read, never written. */
const ROLLOUT_BUDGET_RULES = [{ apiGroups: ['regatta.dev'], resources: ['rolloutbudgets'], verbs: ['get', 'list', 'watch'] }];
const ARGOCD_NAMESPACE_RULES = [
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['argoproj.io'], resources: ['appprojects'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];

describe('helm/regatta', () => {
  it('renders with default values: a locked-down Deployment with probes', async () => {
    const { objects } = await renderChart(chartDir, {}, release);
    const [deployment] = byKind(objects, 'Deployment');
    expect(deployment.spec.replicas).toBe(1);
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    const [container] = pod.containers;
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.image).toBe('ghcr.io/regatta-dev/regatta:0.1.0');
    expect(container.args).toContain('--namespace=argocd');
    expect(byKind(objects, 'ServiceMonitor')).toEqual([]);
    expect(byKind(objects, 'PodDisruptionBudget')).toEqual([]);
    expect(byKind(objects, 'CustomResourceDefinition').map((o) => o.metadata.name).sort()).toEqual(['applicationsets.argoproj.io', 'rolloutbudgets.regatta.dev']);
  });

  it('renders the HA values: three sharded replicas, ServiceMonitor, PDB, NetworkPolicy, Redis from a Secret', async () => {
    const values = YAML.parse(await readFile(new URL('../fixtures/helm-ha-values.yaml', import.meta.url), 'utf8'));
    const { objects } = await renderChart(chartDir, values, release);
    const [deployment] = byKind(objects, 'Deployment');
    expect(deployment.spec.replicas).toBe(3);
    const env = Object.fromEntries(deployment.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      ARGOCD_ENABLE_DYNAMIC_CLUSTER_DISTRIBUTION: 'true',
      ARGOCD_CONTROLLER_SHARDING_ALGORITHM: 'bounded-load',
      ARGOCD_CONTROLLER_HEARTBEAT_TIME: '10',
      REDIS_URL: 'redis://redis.regatta.svc:6379',
      REDIS_PASSWORD: { secretKeyRef: { name: 'regatta-redis', key: 'redis-password' } },
      REDIS_SENTINEL_MASTER: 'mymaster',
      REDIS_SENTINELS: 'redis-sentinel-0:26379,redis-sentinel-1:26379',
      REGATTA_WEBHOOK_GITHUB_SECRET: { secretKeyRef: { name: 'regatta-webhooks', key: 'github', optional: true } },
    });
    expect(deployment.spec.template.spec.containers[0].args).toEqual(
      expect.arrayContaining([
        '--applicationset-namespaces=team-a,team-b',
        '--allowed-scm-providers=https://github.example.com/api/v3',
        '--token-ref-strict-mode=true',
        '--template-timeout=1',
        '--webhook-max-payload-size-mb=10',
        '--trust-forwarded-proto=true',
      ]),
    );
    expect(byKind(objects, 'ServiceMonitor')[0].metadata.labels.release).toBe('prometheus');
    expect(byKind(objects, 'PodDisruptionBudget')[0].spec.maxUnavailable).toBe(1);
    expect(byKind(objects, 'NetworkPolicy')[0].spec.ingress[0].from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }]);
    expect(byKind(objects, 'Role').map((r) => r.metadata.namespace).sort()).toEqual(['argocd', 'argocd', 'team-a', 'team-b']);
  });

  it("grants exactly what the controller uses, and nothing cluster-wide but reading RolloutBudgets and the REST API's token and access reviews", async () => {
    const { objects } = await renderChart(chartDir, { applicationSetNamespaces: ['team-a'], scm: { enabled: false } }, release);
    const clusterRoles = byKind(objects, 'ClusterRole');
    expect(clusterRoles.map((r) => [r.metadata.name, r.rules])).toEqual([
      ['regatta-rollout-budgets', ROLLOUT_BUDGET_RULES],
      ['regatta-auth-delegator', AUTH_DELEGATION_RULES],
    ]);
    const clusterBindings = byKind(objects, 'ClusterRoleBinding');
    expect(clusterBindings.map((b) => b.roleRef)).toEqual(
      ['regatta-rollout-budgets', 'regatta-auth-delegator'].map((name) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name })),
    );
    for (const binding of clusterBindings) expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'regatta', namespace: 'argocd' }]);
    const roles = byKind(objects, 'Role');
    for (const role of roles.filter((r) => !r.metadata.name.endsWith('-argocd'))) expect(role.rules).toEqual(CONTROLLER_RULES);
    expect(roles.find((r) => r.metadata.name === 'regatta-argocd')?.rules).toEqual(ARGOCD_NAMESPACE_RULES);
    const bindings = byKind(objects, 'RoleBinding');
    expect(bindings).toHaveLength(roles.length);
    for (const binding of bindings) expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'regatta', namespace: 'argocd' }]);
  });

  it('gives the ServiceAccount what the REST API asks of the cluster, and no more, once its RBAC is applied to the simulator', async () => {
    const { objects } = await renderChart(chartDir, {}, release);
    const fleet = await SimFleet.start();
    try {
      const admin = new ObjectClient(kubeConfigFromString(fleet.kubeconfig()));
      for (const object of objects.filter((o) => ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind))) await admin.create(object);
      const reviews = new AccessReviews(kubeConfigFromString(fleet.kubeconfig()));
      const serviceAccount = { username: 'system:serviceaccount:argocd:regatta', groups: ['system:serviceaccounts', 'system:serviceaccounts:argocd', 'system:authenticated'] };
      const may = (access: ResourceAccess) => reviews.allowed(serviceAccount, access);
      expect(await may({ verb: 'create', group: 'authentication.k8s.io', resource: 'tokenreviews' })).toBe(true);
      expect(await may({ verb: 'create', group: 'authorization.k8s.io', resource: 'subjectaccessreviews' })).toBe(true);
      expect(await may({ verb: 'patch', group: 'argoproj.io', resource: 'applicationsets', namespace: 'argocd', name: 'guestbook' })).toBe(true);
      expect(await may({ verb: 'list', group: '', resource: 'secrets', namespace: 'argocd' })).toBe(true);
      expect(await may({ verb: 'list', group: '', resource: 'secrets', namespace: 'kube-system' })).toBe(false);
      // Self-reviews every authenticated user has (system:basic-user); reviews for others in a namespace are not granted.
      expect(await may({ verb: 'create', group: 'authorization.k8s.io', resource: 'selfsubjectrulesreviews' })).toBe(true);
      expect(await may({ verb: 'create', group: 'authorization.k8s.io', resource: 'localsubjectaccessreviews', namespace: 'argocd' })).toBe(false);
      expect(await may({ verb: 'delete', group: 'argoproj.io', resource: 'applicationsets', namespace: 'argocd' })).toBe(false);
      expect(await may({ verb: 'watch', group: 'regatta.dev', resource: 'rolloutbudgets' })).toBe(true);
      expect(await may({ verb: 'patch', group: 'regatta.dev', resource: 'rolloutbudgets' })).toBe(false);
    } finally {
      await fleet.stop();
    }
  });

  it('with rbac.aggregateRoles, view reads ApplicationSets and RolloutBudgets and edit and admin also write ApplicationSets, once aggregated on the simulator', async () => {
    const { objects } = await renderChart(chartDir, { rbac: { create: true, aggregateRoles: true } }, release);
    const aggregated = byKind(objects, 'ClusterRole').filter((role) => role.metadata.name.includes('aggregate-to'));
    expect(aggregated.map((role) => role.metadata.name)).toEqual(['regatta-aggregate-to-view', 'regatta-aggregate-to-edit']);
    const fleet = await SimFleet.start();
    try {
      const admin = new ObjectClient(kubeConfigFromString(fleet.kubeconfig()));
      for (const role of aggregated) await admin.create(role);
      const bind = (user: string, role: string) =>
        admin.create({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: `${user}-${role}`, namespace: 'argocd' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
        });
      await bind('viewer', 'view');
      await bind('editor', 'edit');
      await bind('owner', 'admin');
      await admin.create({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'auditor-view' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'auditor' }],
      });
      const reviews = new AccessReviews(kubeConfigFromString(fleet.kubeconfig()));
      const may = (username: string, verb: string, group: string, resource: string, namespace?: string) =>
        reviews.allowed({ username, groups: ['system:authenticated'] }, { verb, group, resource, namespace });
      // The aggregation controller runs after each write: wait (bounded) until view holds the chart's rules.
      for (let attempt = 0; attempt < 100 && !(await may('viewer', 'list', 'argoproj.io', 'applicationsets', 'argocd')); attempt++)
        await new Promise((resolve) => setTimeout(resolve, 20));

      expect(await may('viewer', 'list', 'argoproj.io', 'applicationsets', 'argocd')).toBe(true);
      expect(await may('viewer', 'patch', 'argoproj.io', 'applicationsets', 'argocd')).toBe(false);
      expect(await may('viewer', 'list', 'argoproj.io', 'applicationsets', 'team-a')).toBe(false);
      for (const user of ['editor', 'owner']) {
        expect(await may(user, 'get', 'argoproj.io', 'applicationsets', 'argocd')).toBe(true);
        expect(await may(user, 'create', 'argoproj.io', 'applicationsets', 'argocd')).toBe(true);
        expect(await may(user, 'delete', 'argoproj.io', 'applicationsets', 'argocd')).toBe(true);
      }
      // RolloutBudgets are cluster-scoped: read through a cluster-wide view binding, written by no aggregated role.
      expect(await may('auditor', 'watch', 'regatta.dev', 'rolloutbudgets')).toBe(true);
      expect(await may('auditor', 'patch', 'regatta.dev', 'rolloutbudgets')).toBe(false);
      expect(await may('owner', 'create', 'regatta.dev', 'rolloutbudgets')).toBe(false);
    } finally {
      await fleet.stop();
    }
  });

  it('refuses values that break the schema or omit what is required', async () => {
    await expect(renderChart(chartDir, { replicaCount: 0 }, release)).rejects.toThrow(/values.replicaCount: below 1/);
    await expect(renderChart(chartDir, { sharding: { enabled: true, algorithm: 'random' } }, release)).rejects.toThrow(/values.sharding.algorithm/);
    await expect(renderChart(chartDir, { rollouts: { enabled: true }, redis: { url: '' } }, release)).rejects.toThrow(/redis.url is required/);
    await expect(renderChart(chartDir, { applicationSetNamespaces: ['team-a'] }, release)).rejects.toThrow(/applicationSetNamespaces needs scm.allowedProviders/);
  });

  it('ships the CRDs that `regatta crd` prints', async () => {
    const run = await regatta('crd');
    expect(run.code).toBe(0);
    expect(await readFile(new URL('../../helm/regatta/crds/applicationset-crd.yaml', import.meta.url), 'utf8')).toBe(run.stdout);
    const budgets = await regatta('crd', 'rolloutbudget');
    expect(budgets.code).toBe(0);
    expect(await readFile(new URL('../../helm/regatta/crds/rolloutbudget-crd.yaml', import.meta.url), 'utf8')).toBe(budgets.stdout);
    expect(await regatta('crd', 'toString')).toMatchObject({ code: 2, stderr: 'Usage: regatta crd [applicationset|rolloutbudget]\n' });
  });
});
