import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseClusterSecret } from '../../src/api/cluster-secret.js';
import { kubeConfigForCluster } from '../../src/kube/cluster-kubeconfig.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';

let fleet: SimFleet;
beforeAll(async () => {
  fleet = await SimFleet.start({ https: true, clusters: [{ name: 'edge-1' }] });
});
afterAll(async () => {
  await fleet.stop();
});

describe('a client for a registered cluster', () => {
  it("connects over TLS verified with the Secret's caData and authenticates with its bearer token", async () => {
    const { cluster } = parseClusterSecret(fleet.clusterSecret('edge-1'));
    const client = new ObjectClient(kubeConfigForCluster(cluster!));
    const namespaces = await client.list<{ metadata: { name: string } }>('v1', 'Namespace');
    expect(namespaces.map((n) => n.metadata.name)).toEqual(['default']);
  });

  it("refuses a server whose certificate the Secret's CA did not sign", async () => {
    const other = await SimFleet.start({ https: true, clusters: [{ name: 'edge-1' }] });
    try {
      const { cluster } = parseClusterSecret(fleet.clusterSecret('edge-1'));
      const client = new ObjectClient(kubeConfigForCluster({ ...cluster!, server: other.server('edge-1') }));
      await expect(client.list('v1', 'Namespace')).rejects.toThrow(/certificate/i);
    } finally {
      await other.stop();
    }
  });
});
