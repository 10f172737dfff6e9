import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/api/meta.js';
import { identifyClientsAs, kubeConfigFromString } from '../../src/kube/kube-config.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';
import { auditSyncs } from '../../src/sim/write-audit.js';
import { writeMark } from '../support/write-log.js';

let fleet: SimFleet;
let client: ObjectClient;
/** Who the fake lease store says holds each cluster's lease. */
const leaseHolders = new Map<string, string>();

beforeAll(async () => {
  fleet = await SimFleet.start({ clusters: ['east', 'west'].map((name) => ({ name })) });
  client = new ObjectClient(kubeConfigFromString(fleet.kubeconfig('east', { identity: 'regatta-sync' })));
  fleet.auditLeases(async (server) => leaseHolders.get(server) ?? '');
});
afterAll(async () => {
  await fleet.stop();
});

/** The manifests of `app` at a revision, labelled for tracking as Argo CD labels them. */
const manifests = (app: string, image: string): KubeObject[] => [
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${app}-config`, namespace: 'default', labels: { 'app.kubernetes.io/instance': app } },
    data: { image },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: app, namespace: 'default', labels: { 'app.kubernetes.io/instance': app } },
    spec: { ports: [{ port: 80 }] },
  },
  {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `${app}-token`, namespace: 'default', labels: { 'app.kubernetes.io/instance': app } },
    stringData: { image },
  },
];

const sync = async (objects: KubeObject[]) => {
  for (const object of objects) await client.apply(object, 'regatta');
};
const audit = (since: bigint) => auditSyncs({ east: fleet.cluster('east') }, since);

describe("the audit of syncs from a cluster's write log", () => {
  it('counts a revision applied again as a repeated sync, but not a new revision or the retry of a sync cut short', async () => {
    identifyClientsAs('r1');
    leaseHolders.set(fleet.server('east'), 'r1');
    const mark = writeMark();
    await sync(manifests('web', 'v1'));
    await sync(manifests('web', 'v2'));
    // A sync failing after its first object, then retried whole.
    await sync(manifests('web', 'v3').slice(0, 1));
    await sync(manifests('web', 'v3'));
    expect(audit(mark)).toMatchObject({ syncs: 3, repeatedSyncs: 0, nonOwnerWrites: 0, writers: { east: ['r1'] } });

    await sync(manifests('web', 'v3'));
    expect(audit(mark)).toMatchObject({ syncs: 4, repeatedSyncs: 1 });
    // Where and when, to find the fault behind it: both syncs of those manifests, by r1.
    const [repeat] = audit(mark).repeats;
    expect(repeat).toMatchObject({ cluster: 'east', application: 'web' });
    expect(repeat.syncs).toHaveLength(2);
    expect(repeat.syncs[0].atMs).toBeLessThan(repeat.syncs[1].atMs);
    expect(repeat.syncs.flatMap((s) => s.writers).every((writer) => writer.includes('replica r1'))).toBe(true);
  });

  it('counts a sync whose applies a loaded cluster received further apart than a pause as one sync, and only a whole revision applied again as a repeat', async () => {
    identifyClientsAs('r1');
    leaseHolders.set(fleet.server('east'), 'r1');
    const mark = writeMark();
    const slowSync = async (objects: KubeObject[]) => {
      for (const object of objects) {
        await client.apply(object, 'regatta');
        await new Promise((resolve) => setTimeout(resolve, 400));
      }
    };
    // The Service is the same at both revisions: its apply in the second sync changes nothing.
    await slowSync(manifests('slow', 'v1'));
    await slowSync(manifests('slow', 'v2'));
    expect(audit(mark)).toMatchObject({ syncs: 2, repeatedSyncs: 0 });

    await slowSync(manifests('slow', 'v2'));
    expect(audit(mark)).toMatchObject({ syncs: 3, repeatedSyncs: 1 });
  });

  it('counts a sync cut short by a kill and resumed by another replica with only the objects it had not reached as one sync', async () => {
    leaseHolders.set(fleet.server('east'), 'r1');
    const mark = writeMark();
    identifyClientsAs('r1');
    await sync(manifests('shop', 'v1'));
    await sync(manifests('shop', 'v2').slice(0, 2));
    identifyClientsAs('r2');
    leaseHolders.set(fleet.server('east'), 'r2');
    await sync(manifests('shop', 'v2').slice(2));
    // The next revision reaches this Application a rollout step later.
    await new Promise((resolve) => setTimeout(resolve, 400));
    await sync(manifests('shop', 'v3'));
    expect(audit(mark)).toMatchObject({ syncs: 3, repeatedSyncs: 0, nonOwnerWrites: 0 });
  });

  it('counts a resumed sync that skipped the objects already in sync as a sync, though the revision before applied more', async () => {
    leaseHolders.set(fleet.server('east'), 'r1');
    const mark = writeMark();
    identifyClientsAs('r1');
    const [config, service, token] = [0, 1, 2];
    const at = (image: string, ...indexes: number[]) => indexes.map((i) => manifests('lean', image)[i]);
    await sync(at('v1', config, service, token));
    // v2 changes the ConfigMap and the Secret: r1 is killed after the ConfigMap, r2 resumes with what is out of sync.
    await sync(at('v2', config));
    identifyClientsAs('r2');
    leaseHolders.set(fleet.server('east'), 'r2');
    await sync(at('v2', token));
    await new Promise((resolve) => setTimeout(resolve, 400));
    await sync(at('v3', config, service, token));
    expect(audit(mark)).toMatchObject({ syncs: 3, repeatedSyncs: 0, nonOwnerWrites: 0 });
  });

  it('sees the same sync run by a second replica, and its writes to a cluster whose lease it does not hold', async () => {
    leaseHolders.set(fleet.server('east'), 'r1');
    const mark = writeMark();
    identifyClientsAs('r1');
    await sync(manifests('api', 'v1'));
    identifyClientsAs('r2');
    await sync(manifests('api', 'v1'));
    expect(audit(mark)).toMatchObject({ syncs: 2, repeatedSyncs: 1, nonOwnerWrites: 3, writers: { east: ['r1', 'r2'] } });
  });

  it('counts a write to a cluster whose lease no one holds apart from the writes of two writers at once', async () => {
    leaseHolders.delete(fleet.server('east'));
    identifyClientsAs('r1');
    const mark = writeMark();
    await sync(manifests('db', 'v1').slice(0, 1));
    expect(audit(mark)).toMatchObject({ nonOwnerWrites: 0, unleasedWrites: 1 });
  });
});
