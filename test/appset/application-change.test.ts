import { describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import { changeWakesOwner, pendingApplications } from '../../src/appset/application-change.js';

const live = (): Application =>
  ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: 'prod-guestbook',
      namespace: 'argocd',
      labels: { team: 'web' },
      ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', name: 'guestbook', uid: 'u', controller: true }],
    },
    spec: { project: 'default', source: { repoURL: 'https://git.example.com/apps.git', targetRevision: 'main' }, destination: { name: 'prod' } },
    status: {
      sync: { status: 'Synced', revision: 'a'.repeat(40) },
      health: { status: 'Healthy' },
      operationState: { phase: 'Succeeded', startedAt: '2026-12-07T10:00:00Z', message: 'successfully synced' },
      reconciledAt: '2026-12-07T10:00:05Z',
      resources: [{ kind: 'Deployment', name: 'guestbook', status: 'Synced' }],
    },
  }) as unknown as Application;

/** `live()` with `edit` applied to a copy. */
function changed(edit: (app: any) => void): Application {
  const app = structuredClone(live());
  edit(app);
  return app;
}

describe('which Application updates reconcile the owning ApplicationSet', () => {
  it('a periodic refresh does not: new refresh time, resource list, history or operation message', () => {
    const refreshed = changed((app) => {
      app.status.reconciledAt = '2026-12-07T10:03:05Z';
      app.status.resources.push({ kind: 'Service', name: 'guestbook', status: 'Synced' });
      app.status.history = [{ id: 1, revision: 'a'.repeat(40) }];
      app.status.operationState.message = 'sync finished';
      app.metadata.resourceVersion = '42';
      app.metadata.managedFields = [{ manager: 'argocd-application-controller' }];
    });
    expect(changeWakesOwner(live(), refreshed, false)).toBe(false);
    // Empty and absent are the same, as Argo CD compares them.
    expect(
      changeWakesOwner(
        changed((app) => delete app.metadata.labels),
        changed((app) => (app.metadata.labels = {})),
        false,
      ),
    ).toBe(false);
    expect(
      changeWakesOwner(
        changed((app) => (app.metadata.finalizers = [])),
        changed((app) => delete app.metadata.finalizers),
        false,
      ),
    ).toBe(false);
  });

  it.each<[string, (app: any) => void]>([
    ['its spec', (app) => (app.spec.destination.namespace = 'hand-edited')],
    ['a label', (app) => (app.metadata.labels.team = 'ops')],
    ['an annotation', (app) => (app.metadata.annotations = { 'argocd.argoproj.io/refresh': 'hard' })],
    ['its finalizers', (app) => (app.metadata.finalizers = ['resources-finalizer.argocd.argoproj.io'])],
    ['its controller reference', (app) => (app.metadata.ownerReferences[0].name = 'other')],
    ['its deletion', (app) => (app.metadata.deletionTimestamp = '2026-12-07T10:04:00Z')],
    ['an operation requested', (app) => (app.operation = { sync: { revision: 'b'.repeat(40) } })],
    ['its health', (app) => (app.status.health.status = 'Progressing')],
    ['its sync status', (app) => (app.status.sync.status = 'OutOfSync')],
    ['the revision it synced', (app) => (app.status.sync.revision = 'b'.repeat(40))],
    ['its operation phase', (app) => (app.status.operationState.phase = 'Running')],
    ['its operation start', (app) => (app.status.operationState.startedAt = '2026-12-07T10:04:00Z')],
    ['an operation state appearing', (app) => (app.status = { ...app.status, operationState: undefined })],
    ['an error condition', (app) => (app.status.conditions = [{ type: 'InvalidSpecError', message: 'destination is not allowed' }])],
  ])('a change to %s does', (_, edit) => {
    expect(changeWakesOwner(live(), changed(edit), false)).toBe(true);
    expect(changeWakesOwner(changed(edit), live(), false)).toBe(true);
  });

  it('a refresh does while the rollout waits on it (its entry is Pending)', () => {
    const refreshed = changed((app) => (app.status.reconciledAt = '2026-12-07T10:03:05Z'));
    expect(changeWakesOwner(live(), refreshed, true)).toBe(true);
  });

  it('finds the Pending entries of a rollout status', () => {
    const entries = [
      { application: 'a', status: 'Pending', message: '', step: '1' },
      { application: 'b', status: 'Healthy', message: '', step: '1' },
      { application: 'c', status: 'Pending', message: '', step: '2' },
    ] as const;
    expect([...pendingApplications([...entries])].sort()).toEqual(['a', 'c']);
    expect(pendingApplications(undefined).size).toBe(0);
  });
});
