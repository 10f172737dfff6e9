import { afterAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../src/api/application.js';
import type { ApplicationSetApplicationStatus, ApplicationSetResourceStatus, ApplicationSetStatus, RolloutStatus } from '../../src/api/application-set.js';
import type { KubeObject } from '../../src/api/meta.js';
import { rolloutStatusWrite, statusWrite, type ReconciledStatus } from '../../src/appset/status-write.js';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { jsonPatch, mergePatch } from '../../src/sim/patches.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';

const entry = (i: number, status = 'Synced'): ApplicationSetResourceStatus => ({
  group: 'argoproj.io',
  version: 'v1alpha1',
  kind: 'Application',
  name: `app-${String(i).padStart(5, '0')}`,
  namespace: 'argocd',
  status,
  health: { status: 'Healthy' },
});
const conditions = [
  { type: 'ResourcesUpToDate', status: 'True', reason: 'ApplicationSetUpToDate', message: 'All applications have been generated successfully' },
] as any;
const health = { status: 'Healthy', message: 'All applications have been generated successfully' } as any;
const fleet = (n: number, changed = new Set<number>()) => Array.from({ length: n }, (_, i) => entry(i, changed.has(i) ? 'OutOfSync' : 'Synced'));

const live = (resources: ApplicationSetResourceStatus[]): ApplicationSetStatus => ({ conditions, health, resources, resourcesCount: resources.length });

/** What the API server holds after the write, applied as the simulator applies each patch type. */
function applied(current: ApplicationSetStatus, write: ReturnType<typeof statusWrite>): unknown {
  const object = { metadata: { name: 'fleet' }, status: current };
  if (!write) return object.status;
  return 'merge' in write ? (mergePatch(object, { status: write.merge }) as any).status : (jsonPatch(object, write.operations) as any).status;
}

describe('the ApplicationSet status write', () => {
  it('nothing changed: no write', () => {
    expect(statusWrite(live(fleet(100)), { conditions, health, resources: fleet(100) }, false)).toBeUndefined();
  });

  it("one Application's entry of 10,000 changed: only that entry is sent, and the status comes out whole", () => {
    const current = live(fleet(10_000));
    const next: ReconciledStatus = { conditions, health, resources: fleet(10_000, new Set([4321])) };
    const write = statusWrite(current, next, false);
    expect(write).toEqual({
      operations: [
        { op: 'test', path: '/status/resources/4321/name', value: 'app-04321' },
        { op: 'replace', path: '/status/resources/4321', value: entry(4321, 'OutOfSync') },
      ],
    });
    expect(JSON.stringify(write).length).toBeLessThan(1000);
    expect(applied(current, write)).toEqual({ ...next, resourcesCount: 10_000 });
  });

  it('an entry sent for a status that moved meanwhile (another Application at that index) is refused, not written over it', () => {
    const write = statusWrite(live(fleet(10)), { conditions, health, resources: fleet(10, new Set([3])) }, false);
    const moved = live([...fleet(3), entry(99), ...fleet(10).slice(4)]);
    expect(() => applied(moved, write)).toThrow();
  });

  it('only the conditions changed: the resources are not sent again', () => {
    const changedConditions = [{ ...conditions[0], status: 'False' }];
    const write = statusWrite(live(fleet(1000)), { conditions: changedConditions, health, resources: fleet(1000) }, true);
    expect(write).toEqual({ merge: { conditions: changedConditions } });
  });

  it('Applications added or removed: the list is stated again with its count', () => {
    const current = live(fleet(5));
    const next: ReconciledStatus = { conditions, health, resources: fleet(6) };
    const write = statusWrite(current, next, false);
    expect(write).toEqual({ merge: { resources: fleet(6), resourcesCount: 6 } });
    expect(applied(current, write)).toEqual({ ...next, resourcesCount: 6 });
  });

  it('a first status: everything is written', () => {
    const write = statusWrite(undefined, { conditions, health, resources: fleet(2) }, true);
    expect(write).toEqual({ merge: { conditions, health, resources: fleet(2), resourcesCount: 2 } });
  });
});

describe('the rollout status write', () => {
  const step = (i: number) => (i < 2500 ? '1' : '2');
  const entries = (n: number, pending = new Set<number>()): ApplicationSetApplicationStatus[] =>
    Array.from({ length: n }, (_, i) => ({
      application: `app-${String(i).padStart(5, '0')}`,
      status: pending.has(i) ? 'Pending' : 'Healthy',
      step: step(i),
      message: pending.has(i)
        ? 'Application moved to Pending status, watching for the Application resource to start Progressing.'
        : 'Application resource became Healthy.',
      lastTransitionTime: pending.has(i) ? '2026-12-07T12:00:05Z' : '2026-12-07T12:00:00Z',
    }));
  const rollout = (stepNumber: number, updated: number): RolloutStatus => ({
    phase: 'Progressing',
    step: stepNumber,
    message: `step ${stepNumber}`,
    stepStartedAt: { '1': '2026-12-07T12:00:00Z', ...(stepNumber > 1 ? { '2': '2026-12-07T12:00:05Z' } : {}) },
    previousRevisions: Object.fromEntries(
      Array.from({ length: 10_000 }, (_, i) => [`app-${String(i).padStart(5, '0')}`, ['0123456789abcdef0123456789abcdef01234567']]),
    ),
    updated: Array.from({ length: updated }, (_, i) => `app-${String(i).padStart(5, '0')}`),
  });
  const at = (status: ApplicationSetStatus) => ({ metadata: { name: 'fleet', resourceVersion: '41' }, status });

  it('a step opening on 3 of 10,000 Applications sends their entries and the rollout fields that moved, at the version read', () => {
    const current: ApplicationSetStatus = { ...live(fleet(10_000)), applicationStatus: entries(10_000), rollout: rollout(1, 2500) };
    const promoted = new Set([2500, 2501, 2502]);
    const update = { applicationStatus: entries(10_000, promoted), rollout: rollout(2, 2503) };
    const resources = fleet(10_000, promoted);
    const write = rolloutStatusWrite(current, '41', update, resources);
    expect(write && 'operations' in write).toBe(true);
    const operations = (write as { operations: { op: string; path: string }[] }).operations;
    expect(operations[0]).toEqual({ op: 'replace', path: '/metadata/resourceVersion', value: '41' });
    expect(operations.map((o) => o.path).slice(1)).toEqual([
      '/status/applicationStatus/2500',
      '/status/applicationStatus/2501',
      '/status/applicationStatus/2502',
      '/status/resources/2500',
      '/status/resources/2501',
      '/status/resources/2502',
      '/status/rollout/step',
      '/status/rollout/message',
      '/status/rollout/stepStartedAt',
      '/status/rollout/updated',
    ]);
    // The previous revisions of 10,000 Applications did not move, and are not sent again.
    expect(JSON.stringify(write).length).toBeLessThan(JSON.stringify(current).length / 10);
    const after = jsonPatch(at(current), operations) as { metadata: { resourceVersion: string }; status: ApplicationSetStatus };
    expect(after.status).toEqual({ ...current, applicationStatus: update.applicationStatus, resources, rollout: update.rollout });
  });

  it('nothing of the rollout moved: no write, whatever the resources say (the status write states them)', () => {
    const current: ApplicationSetStatus = { ...live(fleet(10)), applicationStatus: entries(10), rollout: rollout(1, 10) };
    expect(rolloutStatusWrite(current, '41', { applicationStatus: entries(10), rollout: rollout(1, 10) }, fleet(10, new Set([1])))).toBeUndefined();
  });

  it('Applications added, or the rollout cleared: the lists and the state are stated whole, the dropped fields removed', () => {
    const current: ApplicationSetStatus = { ...live(fleet(3)), applicationStatus: entries(3), rollout: rollout(2, 3) };
    const grown = rolloutStatusWrite(current, '41', { applicationStatus: entries(4), rollout: { phase: 'Completed', step: 0, message: 'done' } }, fleet(4));
    expect(grown).toEqual({
      merge: {
        applicationStatus: entries(4),
        resources: fleet(4),
        resourcesCount: 4,
        rollout: { phase: 'Completed', step: 0, message: 'done', stepStartedAt: null, previousRevisions: null, updated: null },
      },
    });
    const cleared = rolloutStatusWrite(current, '41', { applicationStatus: [], rollout: null }, fleet(3));
    expect(cleared).toEqual({ merge: { applicationStatus: [], resources: fleet(3), resourcesCount: 3, rollout: null } });
  });
});

describe('the rollout status write against the API server', () => {
  let fleetServer: SimFleet | undefined;
  afterAll(async () => {
    await fleetServer?.stop();
  });

  it('is refused with a 409 once another writer moved the ApplicationSet past the version it was planned from, and changes nothing', async () => {
    fleetServer = await SimFleet.start();
    const client = new ObjectClient(kubeConfigFromString(fleetServer.kubeconfig(undefined, { identity: 'test-admin' })));
    const appSet = {
      apiVersion: API_VERSION,
      kind: 'ApplicationSet',
      metadata: { name: 'fleet', namespace: 'argocd' },
      spec: { generators: [], template: { metadata: {}, spec: {} } },
    };
    await client.create(appSet as unknown as KubeObject);
    const status = { ...live(fleet(3)), applicationStatus: [{ application: 'app-00000', status: 'Waiting', step: '1', message: 'waiting' }] };
    const planned = await client.patchStatus(API_VERSION, 'applicationsets', 'argocd', 'fleet', status as unknown as Record<string, unknown>);
    const next = {
      applicationStatus: [{ ...status.applicationStatus[0], status: 'Pending' }],
      rollout: { phase: 'Progressing' as const, step: 1, message: 'step 1' },
    };
    const write = rolloutStatusWrite(status, planned.metadata?.resourceVersion, next, fleet(3, new Set([0])));
    if (!write || !('operations' in write)) throw new Error(`expected entry operations, got ${JSON.stringify(write)}`);
    // Another replica's write lands first.
    const moved = await client.patchStatus(API_VERSION, 'applicationsets', 'argocd', 'fleet', { conditions: [] });
    await expect(client.jsonPatchStatus(API_VERSION, 'applicationsets', 'argocd', 'fleet', write.operations)).rejects.toMatchObject({ code: 409 });
    const stored = await client.get<KubeObject & { status: ApplicationSetStatus }>(API_VERSION, 'ApplicationSet', 'argocd', 'fleet');
    expect(stored?.metadata?.resourceVersion).toBe(moved.metadata?.resourceVersion);
    expect(stored?.status.applicationStatus?.[0].status).toBe('Waiting');
    // Planned from the version the API server holds, the same write lands.
    const replanned = rolloutStatusWrite(stored!.status, stored!.metadata?.resourceVersion, next, fleet(3, new Set([0])));
    const written = await client.jsonPatchStatus(API_VERSION, 'applicationsets', 'argocd', 'fleet', (replanned as { operations: object[] }).operations);
    expect((written as unknown as { status: ApplicationSetStatus }).status.applicationStatus?.[0].status).toBe('Pending');
  });
});
