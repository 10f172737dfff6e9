import { createConnection } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseClusterSecret, type ClusterRecord } from '../../src/api/cluster-secret.js';
import { probeCluster } from '../../src/kube/cluster-connection.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';

/** A cluster that refuses connections or hangs, as @kubernetes/client-node (through src/kube) sees it. */
let fleet: SimFleet;

beforeAll(async () => {
  fleet = await SimFleet.start({ clusters: [{ name: 'east' }, { name: 'west' }], separatePorts: true, https: true });
});

afterAll(async () => {
  await fleet?.stop();
});

const record = (name: string): ClusterRecord => parseClusterSecret(fleet.clusterSecret(name)).cluster!;

/** Whether a TCP connection to the cluster's port is refused (as opposed to accepted). */
function refused(server: string): Promise<boolean> {
  const { port } = new URL(server);
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

describe('connection faults', () => {
  it('refuses connections to one cluster, names it in the error, and serves it again on the same URL once cleared', async () => {
    const east = record('east');
    expect(await probeCluster(east, 5000)).toMatchObject({ status: 'Successful' });

    await fleet.fault('east', { refuseConnections: true });
    expect(await refused(east.server)).toBe(true);
    // A connection the client kept open is cut (ECONNRESET); every new one is refused.
    for (const failed of [await probeCluster(east, 5000), await probeCluster(east, 5000)]) {
      expect(failed.status).toBe('Failed');
      expect(failed.message).toContain(`cannot reach ${east.server}`);
      expect(failed.message).toContain('/clusters/east');
    }
    expect((await probeCluster(east, 5000)).message).toContain('ECONNREFUSED');
    // Its neighbour keeps answering.
    expect(await probeCluster(record('west'), 5000)).toMatchObject({ status: 'Successful' });

    await fleet.clearFaults('east');
    expect(fleet.server('east')).toBe(east.server);
    expect(await refused(east.server)).toBe(false);
    expect(await probeCluster(east, 5000)).toMatchObject({ status: 'Successful', message: 'Kubernetes v1.32.0-regatta-sim' });
  });

  it('hangs a partitioned cluster until the client gives up at its own timeout, then answers once cleared', async () => {
    const west = record('west');
    await fleet.fault('west', { hang: true });
    const started = performance.now();
    const failed = await probeCluster(west, 400);
    const waited = performance.now() - started;
    expect(failed).toEqual({ status: 'Failed', message: `cannot reach ${west.server}: no answer within 400 ms` });
    expect(waited).toBeGreaterThanOrEqual(390);
    expect(waited).toBeLessThan(5000);

    await fleet.clearFaults('west');
    expect(await probeCluster(west, 5000)).toMatchObject({ status: 'Successful' });
  });

  it('says refusing connections needs a port of the cluster’s own', async () => {
    const shared = await SimFleet.start({ clusters: 1 });
    try {
      expect(() => shared.fault('cluster-1', { refuseConnections: true })).toThrow(
        "simulated cluster cluster-1 shares the fleet's port: start the fleet with separatePorts to refuse its connections",
      );
    } finally {
      await shared.stop();
    }
  });
});
