import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { LeaderElector } from '../../src/kube/leader-election.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';

let fleet: SimFleet;
beforeAll(async () => {
  fleet = await SimFleet.start();
});
afterAll(async () => {
  await fleet.stop();
});

describe('Lease leader election', () => {
  it('lets one candidate lead, and another take over once the leader stops renewing', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const clock = () => new Date(now);
    const events: string[] = [];
    const candidate = (identity: string) =>
      new LeaderElector(new ObjectClient(kubeConfigFromString(fleet.kubeconfig(undefined, { identity }))), {
        namespace: 'argocd',
        name: 'regatta-test',
        identity,
        leaseDurationSeconds: 15,
        retryPeriodMs: 60_000,
        now: clock,
        onStartedLeading: () => events.push(`${identity} leads`),
        onStoppedLeading: () => events.push(`${identity} stops`),
      });
    const a = candidate('replica-a');
    const b = candidate('replica-b');
    try {
      expect(await a.tick()).toBe(true);
      expect(await b.tick()).toBe(false);
      now += 10_000;
      expect(await a.tick()).toBe(true);
      now += 10_000;
      expect(await b.tick()).toBe(false);
      now += 16_000;
      expect(await b.tick()).toBe(true);
      expect(await a.tick()).toBe(false);
      expect(events).toEqual(['replica-a leads', 'replica-b leads', 'replica-a stops']);
      const lease = await new ObjectClient(kubeConfigFromString(fleet.kubeconfig())).get<any>('coordination.k8s.io/v1', 'Lease', 'argocd', 'regatta-test');
      expect(lease.spec).toMatchObject({ holderIdentity: 'replica-b', leaseTransitions: 1, leaseDurationSeconds: 15 });
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
