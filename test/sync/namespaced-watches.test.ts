import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import type { KubeObject } from '../../src/api/meta.js';
import { impersonating, kubeConfigFromString, type KubeConfig } from '../../src/kube/kube-config.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';
import { WorkloadWatches } from '../../src/sync/workload-watches.js';
import { waitFor } from '../support/rollout-fixture.js';

/**
 * A cluster Secret with `namespaces: team-a,team-b` (Argo CD's namespaced mode): its credentials
 * may read only those namespaces, so the watches must be per namespace, never cluster-wide.
 */
const WORKLOAD = 'tenant-cluster';
const NAMESPACES = ['team-a', 'team-b'];
/** The ServiceAccount the cluster Secret's credentials act as; RoleBindings grant it list and watch in NAMESPACES only. */
const LIMITED = 'system:serviceaccount:argocd:regatta-limited';

let fleet: SimFleet;
let admin: ObjectClient;
let limited: KubeConfig;
let watches: WorkloadWatches | undefined;

const application: Application = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name: 'shop', namespace: 'argocd' },
  spec: { project: 'default', source: { repoURL: 'https://git.example/shop.git', path: '.' }, destination: { server: 'https://tenant', namespace: 'team-a' } },
  status: {
    resources: [
      { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'team-a', name: 'settings' },
      { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'team-b', name: 'settings' },
      { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'team-b', name: 'web' },
    ],
  },
} as unknown as Application;

const configMap = (namespace: string, colour: string): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings', namespace, labels: { 'app.kubernetes.io/instance': 'shop' } },
    data: { colour },
  }) as KubeObject;

const key = (namespace: string) => ({ group: '', version: 'v1', kind: 'ConfigMap', namespace, name: 'settings' });

beforeAll(async () => {
  fleet = await SimFleet.start({ clusters: [{ name: WORKLOAD }] });
  admin = new ObjectClient(kubeConfigFromString(fleet.kubeconfig(WORKLOAD)));
  for (const namespace of [...NAMESPACES, 'team-c']) await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } as KubeObject);
  for (const namespace of NAMESPACES) {
    await admin.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'regatta-watch', namespace },
      rules: [{ apiGroups: ['', 'apps'], resources: ['configmaps', 'deployments'], verbs: ['get', 'list', 'watch'] }],
    } as KubeObject);
    await admin.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'regatta-watch', namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'regatta-watch' },
      subjects: [{ kind: 'ServiceAccount', name: 'regatta-limited', namespace: 'argocd' }],
    } as KubeObject);
  }
  limited = impersonating(kubeConfigFromString(fleet.kubeconfig(WORKLOAD)), LIMITED);
});

afterEach(async () => {
  await watches?.stop();
  watches = undefined;
});

afterAll(async () => {
  await fleet?.stop();
});

function watching(namespaces: string[] | undefined, errors: string[] = []): WorkloadWatches {
  watches = new WorkloadWatches({
    clusterOf: () => ({ key: fleet.server(WORKLOAD), config: limited, ...(namespaces ? { namespaces } : {}) }),
    onError: (message) => errors.push(message),
    backoff: { initialMs: 50, maxMs: 200 },
  });
  watches.track(application);
  return watches;
}

describe('watches of a cluster limited to some namespaces', () => {
  it('watches each kind in each of the namespaces, with no right to list the cluster, and sees changes there', async () => {
    const errors: string[] = [];
    const opened = fleet.counters(WORKLOAD).watchesOpen;
    const live = watching(NAMESPACES, errors);
    const changed: string[] = [];
    live.onChange((applicationKey) => changed.push(applicationKey));
    await waitFor(async () => live.covers(application), 'the watches of both kinds in both namespaces', 10_000);
    // ConfigMap and Deployment, each in team-a and team-b.
    expect(fleet.counters(WORKLOAD).watchesOpen - opened).toBe(4);

    await admin.create(configMap('team-a', 'blue'));
    await admin.create(configMap('team-b', 'green'));
    await waitFor(async () => live.live(application, key('team-b')), 'the team-b ConfigMap in the cache', 5_000);
    expect((live.live(application, key('team-a')) as { data?: Record<string, string> }).data).toEqual({ colour: 'blue' });
    expect(changed).toContain('argocd/shop');
    // A namespace the cluster is not limited to has no watch: the cache leaves it to the cluster.
    await admin.create(configMap('team-c', 'red'));
    expect(live.live(application, key('team-c'))).toBeUndefined();
    expect(live.cachedObjects()).toBe(2);
    expect(errors).toEqual([]);
  });

  it('without the namespaces, the same credentials may not watch the whole cluster: the watch reports it and the cache answers nothing', async () => {
    const errors: string[] = [];
    const live = watching(undefined, errors);
    await waitFor(async () => errors.some((e) => /forbidden/i.test(e)), 'the cluster-wide watch to be refused', 10_000);
    expect(live.covers(application)).toBe(false);
    expect(live.live(application, key('team-a'))).toBeUndefined();
  });

  it('stops every namespace watch when the Application leaves', async () => {
    const opened = fleet.counters(WORKLOAD).watchesOpen;
    const live = watching(NAMESPACES);
    await waitFor(async () => live.covers(application), 'the watches', 10_000);
    live.untrack('argocd/shop');
    await waitFor(async () => fleet.counters(WORKLOAD).watchesOpen === opened, 'the namespace watches to close', 5_000);
    expect(live.watchedClusters()).toEqual([]);
  });
});
