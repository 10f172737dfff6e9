import { describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import type { ApplicationSet } from '../../src/api/application-set.js';
import { effectivePolicy, planReconcile, UnchangedApplications } from '../../src/appset/plan.js';
import { APPLIED_HASH_ANNOTATION } from '../../src/api/annotations.js';
import { replacementPatch } from '../../src/lib/merge-patch.js';

const appSet = (spec: Partial<ApplicationSet['spec']> = {}): ApplicationSet => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'ApplicationSet',
  metadata: { name: 'guestbook', namespace: 'argocd', uid: 'uid-1' },
  spec: { generators: [], template: { metadata: {}, spec: { project: 'default', destination: {} } }, ...spec },
});

const desired = (name: string, extra: Partial<Application['spec']> = {}): Application => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name, namespace: 'argocd', labels: { team: 'a' }, finalizers: ['resources-finalizer.argocd.argoproj.io'] },
  spec: {
    project: 'default',
    source: { repoURL: 'https://git/r.git', path: name, targetRevision: 'HEAD' },
    destination: { server: 'https://kubernetes.default.svc', namespace: name },
    ...extra,
  },
});

/** What the API server holds after Regatta applied `body` (plus whatever others changed). */
const liveFrom = (body: Application, change: (a: Application) => void = () => {}): Application => {
  const live = structuredClone(body);
  live.metadata.uid = `live-${body.metadata.name}`;
  live.status = { sync: { status: 'Synced' } };
  change(live);
  return live;
};

describe('planReconcile', () => {
  it('creates what is missing, owned by the ApplicationSet as controller', () => {
    const plan = planReconcile(appSet(), [desired('b'), desired('a')], [], { policy: 'sync' });
    expect(plan.changes.map((c) => [c.action, c.application.metadata.name])).toEqual([
      ['create', 'a'],
      ['create', 'b'],
    ]);
    expect(plan.changes[0].application.metadata.ownerReferences).toEqual([
      { apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', name: 'guestbook', uid: 'uid-1', controller: true, blockOwnerDeletion: true },
    ]);
    expect(plan.changes[0].application.metadata.annotations?.[APPLIED_HASH_ANNOTATION]).toMatch(/^[0-9a-f]{20}$/);
  });

  it('writes nothing when the live Applications are what was applied', () => {
    const first = planReconcile(appSet(), [desired('a')], [], { policy: 'sync' });
    const live = liveFrom(first.changes[0].application);
    expect(planReconcile(appSet(), [desired('a')], [live], { policy: 'sync' })).toEqual({ changes: [], deletions: [] });
  });

  it('updates when the template changed, and reverts spec fields someone else set', () => {
    const applied = planReconcile(appSet(), [desired('a')], [], { policy: 'sync' }).changes[0].application;
    const changedTemplate = planReconcile(appSet(), [desired('a', { project: 'other' })], [liveFrom(applied)], { policy: 'sync' });
    expect(changedTemplate.changes.map((c) => c.action)).toEqual(['update']);

    const drifted = liveFrom(applied, (live) => {
      live.spec.syncPolicy = { automated: { prune: true } };
      live.spec.destination.namespace = 'hand-edited';
    });
    const plan = planReconcile(appSet(), [desired('a')], [drifted], { policy: 'sync' });
    expect(plan.changes).toHaveLength(1);
    expect(plan.changes[0].application.spec.destination.namespace).toBe('a');
    expect(plan.changes[0].removals).toEqual({ spec: { syncPolicy: null } });
  });

  it('keeps ignored differences as they are live, and does not count them as changes', () => {
    const set = appSet({
      ignoreApplicationDifferences: [{ jsonPointers: ['/spec/source/targetRevision'] }, { name: 'a', jqPathExpressions: ['.spec.syncPolicy'] }],
    });
    const applied = planReconcile(set, [desired('a')], [], { policy: 'sync' }).changes[0].application;
    const edited = liveFrom(applied, (live) => {
      live.spec.source!.targetRevision = 'feature-x';
      live.spec.syncPolicy = { automated: {} };
    });
    expect(planReconcile(set, [desired('a')], [edited], { policy: 'sync' }).changes).toEqual([]);
    const changed = planReconcile(set, [desired('a', { project: 'p2' })], [edited], { policy: 'sync' });
    expect(changed.changes[0].application.spec.source?.targetRevision).toBe('feature-x');
    expect(changed.changes[0].application.spec.syncPolicy).toEqual({ automated: {} });
  });

  it("keeps preserved annotations and labels, and Argo CD's default preserved annotations, from the live object", () => {
    const set = appSet({ preservedFields: { labels: ['team'], annotations: ['owner'] } });
    const generated = desired('a');
    generated.metadata.annotations = { owner: 'template', other: 'template' };
    const applied = planReconcile(set, [generated], [], { policy: 'sync' }).changes[0].application;
    const live = liveFrom(applied, (l) => {
      l.metadata.labels = { team: 'edited' };
      l.metadata.annotations = { ...l.metadata.annotations, owner: 'edited', other: 'edited', 'argocd.argoproj.io/refresh': 'hard' };
      l.spec.project = 'changed-to-force-an-update';
    });
    const body = planReconcile(set, [generated], [live], { policy: 'sync' }).changes[0].application;
    expect(body.metadata.labels).toEqual({ team: 'edited' });
    expect(body.metadata.annotations).toMatchObject({ owner: 'edited', other: 'template', 'argocd.argoproj.io/refresh': 'hard' });
  });

  it('remembers what needed no write, and still sees a hand edit, a new template or new ignore rules', () => {
    const unchanged = new UnchangedApplications();
    const generated = desired('a');
    const live = liveFrom(planReconcile(appSet(), [generated], [], { policy: 'sync' }).changes[0].application);
    expect(planReconcile(appSet(), [generated], [live], { policy: 'sync' }, unchanged).changes).toEqual([]);
    expect(planReconcile(appSet(), [generated], [live], { policy: 'sync' }, unchanged).changes).toEqual([]);

    // The informer hands a changed Application over as a new object.
    const edited = liveFrom(live, (app) => (app.spec.destination.namespace = 'hand-edited'));
    const revert = planReconcile(appSet(), [generated], [edited], { policy: 'sync' }, unchanged);
    expect(revert.changes.map((c) => c.application.spec.destination.namespace)).toEqual(['a']);

    expect(planReconcile(appSet(), [desired('a', { project: 'other' })], [live], { policy: 'sync' }, unchanged).changes).toHaveLength(1);

    // The same objects, but the live drift is now ignored: the remembered verdict does not hide that the hash moved.
    const ignoring = appSet({ ignoreApplicationDifferences: [{ jsonPointers: ['/spec/destination/namespace'] }] });
    expect(planReconcile(ignoring, [generated], [live], { policy: 'sync' }, unchanged).changes).toHaveLength(1);
  });

  it('deletes owned Applications no longer generated, only when the policy allows', () => {
    const applied = planReconcile(appSet(), [desired('a'), desired('b')], [], { policy: 'sync' }).changes.map((c) => liveFrom(c.application));
    expect(planReconcile(appSet(), [desired('a')], applied, { policy: 'sync' }).deletions.map((a) => a.metadata.name)).toEqual(['b']);
    expect(planReconcile(appSet(), [desired('a')], applied, { policy: 'create-delete' }).deletions.map((a) => a.metadata.name)).toEqual(['b']);
    expect(planReconcile(appSet(), [desired('a')], applied, { policy: 'create-update' }).deletions).toEqual([]);
    expect(planReconcile(appSet(), [desired('a')], applied, { policy: 'create-only' }).deletions).toEqual([]);
  });

  it('creates but never updates under create-only and create-delete', () => {
    const applied = liveFrom(planReconcile(appSet(), [desired('a')], [], { policy: 'sync' }).changes[0].application);
    for (const policy of ['create-only', 'create-delete'] as const) {
      const plan = planReconcile(appSet(), [desired('a', { project: 'new' }), desired('b')], [applied], { policy });
      expect(plan.changes.map((c) => [c.action, c.application.metadata.name])).toEqual([['create', 'b']]);
    }
  });

  it('holds all deletions when they exceed the delete ratio', () => {
    const owned = ['a', 'b', 'c', 'd'].map((n) => liveFrom(planReconcile(appSet(), [desired(n)], [], { policy: 'sync' }).changes[0].application));
    const plan = planReconcile(appSet(), [desired('a')], owned, { policy: 'sync', maxDeleteRatio: 0.5 });
    expect(plan.deletions).toEqual([]);
    expect(plan.held?.count).toBe(3);
    expect(plan.held?.message).toContain('deleting 3 of 4 Applications at once exceeds the maximum delete ratio 0.5');
    expect(planReconcile(appSet(), [desired('a'), desired('b')], owned, { policy: 'sync', maxDeleteRatio: 0.5 }).deletions).toHaveLength(2);
  });
});

describe('effectivePolicy', () => {
  it("uses the ApplicationSet's policy only when overrides are allowed", () => {
    const own = appSet({ syncPolicy: { applicationsSync: 'create-only' } });
    expect(effectivePolicy(own, 'sync', true)).toBe('create-only');
    expect(effectivePolicy(own, 'create-update', false)).toBe('create-update');
    expect(effectivePolicy(appSet(), 'create-delete', true)).toBe('create-delete');
  });

  it('a rollout sync operation the application controller consumed is not written again; one the rollout takes back is', () => {
    const rolloutSync = {
      initiatedBy: { username: 'applicationset-controller', automated: true },
      info: [{ name: 'Reason', value: 'ApplicationSet RollingSync triggered a sync of this Application resource' }],
      sync: { prune: true },
    };
    const promoted = { ...desired('a'), operation: rolloutSync };
    const applied = planReconcile(appSet(), [promoted], [], { policy: 'sync' }).changes[0].application;
    expect(applied.operation).toEqual(rolloutSync);
    // The sync ran and cleared the operation; the rollout moved on and asks for none.
    const consumed = liveFrom(applied, (live) => delete live.operation);
    expect(planReconcile(appSet(), [desired('a')], [consumed], { policy: 'sync' }).changes).toEqual([]);
    // Not consumed yet, and no longer asked for (the rollout was aborted): applied without it, so the apply drops it.
    const taken = planReconcile(appSet(), [desired('a')], [liveFrom(applied)], { policy: 'sync' }).changes;
    expect(taken.map((c) => [c.action, c.application.operation])).toEqual([['update', undefined]]);
    // A sync already running on it clears it when it ends.
    const running = liveFrom(applied, (live) => (live.status = { operationState: { operation: rolloutSync, phase: 'Running', startedAt: 't' } }));
    expect(planReconcile(appSet(), [desired('a')], [running], { policy: 'sync' }).changes).toEqual([]);
    // A user's sync is not the ApplicationSet's to take back.
    const manual = liveFrom(applied, (live) => (live.operation = { initiatedBy: { username: 'admin' }, sync: {} }));
    expect(planReconcile(appSet(), [desired('a')], [manual], { policy: 'sync' }).changes).toEqual([]);
  });
});

describe('replacementPatch', () => {
  it('nulls what the new value dropped, at every depth, so a merge patch replaces', () => {
    expect(replacementPatch({ phase: 'Progressing', step: 1 }, { phase: 'Halted', failed: [{ a: 1 }], stepStartedAt: { '1': 't', '2': 't' } })).toEqual({
      phase: 'Progressing',
      step: 1,
      failed: null,
      stepStartedAt: null,
    });
    expect(replacementPatch({ stepStartedAt: { '1': 'u' } }, { stepStartedAt: { '1': 't', '2': 't' } })).toEqual({ stepStartedAt: { '1': 'u', '2': null } });
    expect(replacementPatch(null, { a: 1 })).toBeNull();
  });
});
