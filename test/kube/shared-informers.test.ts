import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import type { KubeObject } from '../../src/api/meta.js';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { SharedInformers } from '../../src/kube/shared-informers.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';

/**
 * The ApplicationSet controller and the application controller follow the same Applications: one
 * list and one watch on the management cluster (counted by the simulator) serve both, each hearing
 * events only while it runs.
 */
let fleet: SimFleet;
let admin: ObjectClient;

beforeAll(async () => {
  fleet = await SimFleet.start({ clusters: [] });
  admin = new ObjectClient(kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'test-admin' })));
});
afterAll(async () => {
  await fleet?.stop();
});

const application = (name: string) =>
  ({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name, namespace: 'argocd' },
    spec: {
      project: 'default',
      source: { repoURL: 'https://git.example.com/apps.git', path: name },
      destination: { server: 'https://kubernetes.default.svc' },
    },
  }) as unknown as KubeObject;

async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describe('SharedInformers', () => {
  it('serves two controllers from one list and one watch; one started later hears the objects already held; each stops on its own', async () => {
    const informers = new SharedInformers(kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'regatta' })));
    const source = { apiVersion: API_VERSION, kind: 'Application', namespace: 'argocd' };
    const [appsets, refresher] = [informers.view<Application>(source, 'applications'), informers.view<Application>(source, 'applications')];
    const heard = { appsets: [] as string[], refresher: [] as string[] };
    for (const [view, log] of [
      [appsets, heard.appsets],
      [refresher, heard.refresher],
    ] as const) {
      view.on('add', (a) => log.push(`add ${a.metadata.name}`));
      view.on('update', (a) => log.push(`update ${a.metadata.name}`));
      view.on('delete', (a) => log.push(`delete ${a.metadata.name}`));
    }
    const before = { ...fleet.counters() };

    await admin.apply(application('billing'));
    await appsets.start();
    await eventually(() => heard.appsets.includes('add billing'), 'the first controller to hear billing');
    expect(heard.refresher).toEqual([]);

    await refresher.start();
    expect(heard.refresher).toEqual(['add billing']);
    await admin.apply(application('search'));
    await eventually(() => heard.appsets.includes('add search') && heard.refresher.includes('add search'), 'both to hear search');
    // Cached without the managers' field lists: nothing reads them.
    expect(refresher.get('search', 'argocd')?.metadata.managedFields).toBeUndefined();
    expect(
      appsets
        .list()
        .map((a) => a.metadata.name)
        .sort(),
    ).toEqual(['billing', 'search']);
    const counted = fleet.counters();
    expect(counted.watchesStarted - before.watchesStarted).toBe(1);

    await appsets.stop();
    await admin.delete(application('billing'));
    await eventually(() => heard.refresher.includes('delete billing'), 'the running controller to hear the deletion');
    expect(heard.appsets).not.toContain('delete billing');
    expect(refresher.hasSynced()).toBe(true);
    expect(appsets.hasSynced()).toBe(false);

    await refresher.stop();
    await eventually(() => fleet.counters().watchesOpen === before.watchesOpen, 'the watch to close once neither runs');
  });
});
