import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerHarness } from '../support/controller-harness.js';
import { writeMark, writesSince } from '../support/write-log.js';

/**
 * A tenant who may create Secrets in their own namespace must not register a cluster with one.
 * Argo CD lists cluster Secrets in its own namespace only: ClusterGenerator.getSecretsByClusterName
 * (applicationset/generators/cluster.go) lists with client.InNamespace(g.namespace), and the
 * application controller's clusters come from NewClusterInformer(clientset, namespace)
 * (util/settings/cluster_informer.go). Regatta's ControlNamespace watches cluster Secrets in
 * Argo CD's namespace alone, and the API's dry run reads the same registry.
 */

let h: ControllerHarness;

beforeAll(async () => {
  h = await ControllerHarness.start({ fleet: { clusters: [{ name: 'shared' }, { name: 'tenant-owned' }], namespaces: ['default', 'argocd', 'team-a'] } });
});
afterAll(async () => {
  await h.stop();
});

const fleetAppSet = {
  metadata: { name: 'fleet' },
  spec: {
    generators: [{ clusters: {} }],
    template: {
      metadata: { name: 'web-{{name}}' },
      spec: { project: 'default', destination: { server: '{{server}}', namespace: 'web' } },
    },
  },
};

const generatedNames = async () =>
  (await h.applications())
    .filter((a) => a.metadata.name.startsWith('web-') && !a.metadata.deletionTimestamp)
    .map((a) => a.metadata.name)
    .sort();

describe("cluster Secrets outside Argo CD's namespace", () => {
  it("register no cluster: the Cluster generator does not see a tenant's Secret, and nothing is written for it", async () => {
    await h.core.createNamespacedSecret({ namespace: 'argocd', body: h.fleet.clusterSecret('shared') as any });
    const mark = writeMark();
    await h.core.createNamespacedSecret({ namespace: 'team-a', body: h.fleet.clusterSecret('tenant-owned', 'team-a') as any });
    await h.applyAppSet(fleetAppSet);
    await h.eventually(async () => (await generatedNames()).join() === 'web-in-cluster,web-shared' && true, 'the shared cluster and the local one');
    h.controller.reconcileAll();
    await h.settle();

    expect(await generatedNames()).toEqual(['web-in-cluster', 'web-shared']);
    expect(writesSince(h.fleet.cluster(), mark, { kind: 'Application', name: 'web-tenant-owned' })).toEqual([]);
    expect(writesSince(h.fleet.cluster('tenant-owned'), mark)).toEqual([]);
    expect(h.context.clusters.records().map((c) => c.name)).not.toContain('tenant-owned');
  });

  it("the same Secret in Argo CD's namespace does register the cluster (what the tenant could not do)", async () => {
    const mark = writeMark();
    await h.core.createNamespacedSecret({ namespace: 'argocd', body: h.fleet.clusterSecret('tenant-owned') as any });
    await h.eventually(async () => (await generatedNames()).includes('web-tenant-owned'), 'the cluster registered by an admin');
    expect(writesSince(h.fleet.cluster(), mark, { kind: 'Application', name: 'web-tenant-owned' }).map((w) => w.identity)).toContain('regatta-controller');
  });
});
