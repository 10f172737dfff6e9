import { describe, expect, it } from 'vitest';
import type { ApplicationSetResourceStatus, ApplicationSetStatus } from '../../src/api/application-set.js';
import { statusWrite, type ReconciledStatus } from '../../src/appset/status-write.js';
import { jsonPatch, mergePatch } from '../../src/sim/patches.js';

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
