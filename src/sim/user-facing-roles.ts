import type { ClusterStore } from './cluster-store.js';
import { aggregatedRules } from './clusterrole-aggregation.js';

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const AGGREGATE_TO = (role: string) => `rbac.authorization.k8s.io/aggregate-to-${role}`;
const BOOTSTRAPPING = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };

/** What each user-facing role adds for the kinds the simulator serves, as Kubernetes' bootstrap policy grants them. */
const VIEW: Rule[] = [
  { apiGroups: [''], resources: ['configmaps', 'events', 'pods', 'pods/log', 'pods/status', 'serviceaccounts', 'services', 'services/status'], verbs: READ },
  { apiGroups: [''], resources: ['namespaces', 'namespaces/status'], verbs: READ },
  {
    apiGroups: ['apps'],
    resources: [
      'daemonsets',
      'daemonsets/status',
      'deployments',
      'deployments/scale',
      'deployments/status',
      'replicasets',
      'replicasets/status',
      'statefulsets',
      'statefulsets/status',
    ],
    verbs: READ,
  },
  { apiGroups: ['batch'], resources: ['jobs', 'jobs/status'], verbs: READ },
];
const EDIT: Rule[] = [
  { apiGroups: [''], resources: ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'], verbs: READ },
  { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] },
  { apiGroups: [''], resources: ['configmaps', 'events', 'pods', 'secrets', 'serviceaccounts', 'services'], verbs: WRITE },
  { apiGroups: ['apps'], resources: ['daemonsets', 'deployments', 'deployments/scale', 'replicasets', 'statefulsets'], verbs: WRITE },
  { apiGroups: ['batch'], resources: ['jobs'], verbs: WRITE },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: [...READ, ...WRITE] },
];
const ADMIN: Rule[] = [
  { apiGroups: ['authorization.k8s.io'], resources: ['localsubjectaccessreviews'], verbs: ['create'] },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings', 'roles'], verbs: [...READ, ...WRITE] },
];

/**
 * The user-facing ClusterRoles every real cluster has: `view`, `edit` and `admin`, each
 * aggregated from the `system:aggregate-to-*` roles labelled for it, `view` feeding `edit` and
 * `edit` feeding `admin` (so `kubectl create rolebinding --clusterrole=view` grants what it does on
 * a real cluster, and extensions add to them by label).
 */
export function seedUserFacingRoles(store: ClusterStore): void {
  const type = store.typeForKind('rbac.authorization.k8s.io/v1', 'ClusterRole')!;
  const create = (name: string, labels: Record<string, string>, body: Record<string, unknown>) =>
    store.create(type, undefined, { ...body, metadata: { name, labels: { ...BOOTSTRAPPING, ...labels } } }, 'sim');
  for (const [role, rules, feeds] of [
    ['view', VIEW, 'edit'],
    ['edit', EDIT, 'admin'],
    ['admin', ADMIN, undefined],
  ] as const) {
    create(`system:aggregate-to-${role}`, { [AGGREGATE_TO(role)]: 'true' }, { rules });
    const aggregated = { metadata: { name: role }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [AGGREGATE_TO(role)]: 'true' } }] } };
    // Seeded already aggregated, as the bootstrap writes them: the aggregation controller finds nothing to change.
    create(role, feeds ? { [AGGREGATE_TO(feeds)]: 'true' } : {}, { ...aggregated, rules: aggregatedRules(aggregated, store.list(type)) });
  }
}
