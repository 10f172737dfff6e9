import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import type { ApplicationSet } from '../../src/api/application-set.js';
import type { KubeObject } from '../../src/api/meta.js';
import type { RegisteredCluster } from '../../src/generators/generator.js';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';
import { CachedViewReplica } from '../support/cached-view-replica.js';
import { writeMark, writesSince } from '../support/write-log.js';

/**
 * An ApplicationSet handed from one replica to another (sharding moved it, or both replicas
 * briefly think they own it): the one whose cache has not yet seen the other's promotion plans the
 * same step again, stamped by its own clock. A sync is identified by its promotion, so a second
 * stamp would sync every Application of the step a second time. What counts is what the
 * management cluster holds and which writes it received.
 */
let fleet: SimFleet;
const admin = () => new ObjectClient(kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'test-admin' })));

beforeAll(async () => {
  fleet = await SimFleet.start();
});
afterAll(async () => {
  await fleet?.stop();
});

const clusters: RegisteredCluster[] = ['eu-1', 'eu-2', 'eu-3'].map((name) => ({ name, server: `https://${name}.example.com`, labels: {}, annotations: {} }));

const appSet = {
  apiVersion: API_VERSION,
  kind: 'ApplicationSet',
  metadata: { name: 'handoff', namespace: 'argocd' },
  spec: {
    goTemplate: true,
    generators: [{ list: { elements: clusters.map((c) => ({ cluster: c.name, server: c.server })) } }],
    strategy: { type: 'RollingSync', rollingSync: { steps: [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] }] } },
    template: {
      metadata: { name: 'handoff-{{.cluster}}', labels: { tier: 'web' } },
      spec: {
        project: 'default',
        source: { repoURL: 'https://git.example.com/apps.git', path: 'guestbook', targetRevision: 'HEAD' },
        destination: { server: '{{.server}}', namespace: 'guestbook' },
      },
    },
  },
};

/** Each Application of the ApplicationSet → the promotion its sync operation belongs to (undefined: no operation). */
async function promotions(): Promise<Record<string, string | undefined>> {
  const applications = await admin().list<Application & KubeObject>(API_VERSION, 'Application', 'argocd');
  return Object.fromEntries(
    applications
      .filter((a) => a.metadata.name.startsWith('handoff-'))
      .map((a) => [a.metadata.name, a.operation?.info?.find((i) => i.name === 'regatta.dev/promotion')?.value]),
  );
}

const entries = async () =>
  ((await admin().get<ApplicationSet & KubeObject>(API_VERSION, 'ApplicationSet', 'argocd', 'handoff'))?.status?.applicationStatus ?? []).map((e) => [
    e.application,
    e.status,
    e.lastTransitionTime,
  ]);

describe('a RollingSync ApplicationSet reconciled by two replicas during a handoff', () => {
  it('the replica planning from a view the other has moved past writes nothing, and each Application is asked to sync once', async () => {
    await admin().create(appSet as unknown as KubeObject);
    const from = new CachedViewReplica(fleet, 'replica-a', 'handoff', { clusters });
    // The replica it is handed to runs a clock a few seconds ahead: its promotions would carry another time.
    const to = new CachedViewReplica(fleet, 'replica-b', 'handoff', { clusters, clock: () => new Date(Date.now() + 5000) });

    // Both see the ApplicationSet as it is before each of the first replica's reconciles, until that one promotes the step.
    let promoted: Record<string, string | undefined> = {};
    for (let round = 0; round < 5 && !Object.values(promoted).some(Boolean); round++) {
      await Promise.all([from.observe(), to.observe()]);
      await from.reconcile();
      promoted = await promotions();
    }
    expect(Object.keys(promoted).sort()).toEqual(['handoff-eu-1', 'handoff-eu-2', 'handoff-eu-3']);
    expect(Object.values(promoted).every(Boolean)).toBe(true);
    const entriesPromoted = await entries();

    // The second replica has not seen that reconcile's writes yet: it plans the same step as new.
    const mark = writeMark();
    const stale = await to.reconcile();
    expect(writesSince(fleet.cluster(), mark, { identity: 'replica-b' })).toEqual([]);
    expect(stale.writes).toBe(0);
    expect(stale.requeueAfterSeconds).toBeLessThan(1);
    expect(await promotions()).toEqual(promoted);
    expect(await entries()).toEqual(entriesPromoted);

    // Once its view shows the promotion, it carries on with it rather than stamping a new one.
    await to.observe();
    await to.reconcile();
    expect(await promotions()).toEqual(promoted);
    expect(await entries()).toEqual(entriesPromoted);
  });
});
