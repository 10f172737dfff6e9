import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMark } from '../support/write-log.js';
import { configMap, deployment, DirectSyncFixture, job } from '../support/direct-sync-fixture.js';

let f: DirectSyncFixture;

beforeAll(async () => {
  f = await DirectSyncFixture.start();
});
afterAll(async () => {
  await f.stop();
});

const hook = (type: string, extra: Record<string, string> = {}) => ({ 'argocd.argoproj.io/hook': type, ...extra });
/** The sync's writes other than deletions. */
const created = (writes: string[]) => writes.filter((w) => !w.startsWith('delete'));

describe('resource hooks run phase by phase, as Argo CD runs them', () => {
  it('runs PreSync hooks to completion before the resources, PostSync hooks after them, and deletes hooks as their policy says', async () => {
    const app = f.application('ordered', 'ordered', {
      'migrate.yaml': job('migrate', hook('PreSync', { 'argocd.argoproj.io/hook-delete-policy': 'HookSucceeded' })),
      'web.yaml': deployment('web'),
      'config.yaml': configMap('settings'),
      'notify.yaml': job('notify-', hook('PostSync')),
    });
    const mark = writeMark();
    const outcome = await f.driver.sync(app, { prune: true, startedAt: new Date('2026-01-02T03:04:05Z') });
    expect(outcome).toMatchObject({ phase: 'Succeeded', message: 'successfully synced (all tasks run)' });
    const notify = `notify-${outcome.revision.slice(0, 7)}-postsync-${Date.parse('2026-01-02T03:04:05Z') / 1000}`;
    // The hook's completion (by the simulated kubelet) comes before the resources; the PostSync hook after the workload is ready.
    // Each hook's finalizer is removed (a patch) once its completion is read.
    const order = f.fleet
      .cluster()
      .writes.filter((w) => w.at >= mark && ['Job', 'Deployment', 'ConfigMap'].includes(w.kind))
      .map((w) => `${w.verb} ${w.kind}/${w.name} by ${w.identity}`);
    expect(order).toEqual([
      'apply Job/migrate by regatta-sync',
      'patch Job/migrate by sim-kubelet',
      'patch Job/migrate by regatta-sync',
      'apply ConfigMap/settings by regatta-sync',
      'apply Deployment/web by regatta-sync',
      'patch Deployment/web by sim-kubelet',
      `apply Job/${notify} by regatta-sync`,
      `patch Job/${notify} by sim-kubelet`,
      `patch Job/${notify} by regatta-sync`,
      'delete Job/migrate by regatta-sync',
    ]);
    // HookSucceeded: gone; no policy means BeforeHookCreation: it stays until the next sync.
    expect(await f.admin().get('batch/v1', 'Job', 'default', 'migrate')).toBeUndefined();
    expect(await f.admin().get('batch/v1', 'Job', 'default', notify)).toBeDefined();
    expect(outcome.resources).toEqual([
      expect.objectContaining({
        kind: 'Job',
        name: 'migrate',
        hookType: 'PreSync',
        hookPhase: 'Succeeded',
        syncPhase: 'PreSync',
        message: 'job/migrate serverside-applied',
      }),
      expect.objectContaining({ kind: 'ConfigMap', name: 'settings', status: 'Synced', hookPhase: 'Succeeded', syncPhase: 'Sync' }),
      expect.objectContaining({ kind: 'Deployment', name: 'web', status: 'Synced', hookPhase: 'Succeeded', syncPhase: 'Sync' }),
      expect.objectContaining({ kind: 'Job', name: notify, hookType: 'PostSync', hookPhase: 'Succeeded', syncPhase: 'PostSync' }),
    ]);
    expect(outcome.resources[0]).not.toHaveProperty('status');
    expect(outcome.resources[2]).not.toHaveProperty('hookType');

    // Hooks are not the Application's resources: the comparison neither lists them nor is OutOfSync for them.
    const comparison = await f.driver.refresh(app);
    expect(comparison.resources.map((r) => `${r.kind}/${r.name}`)).toEqual(['ConfigMap/settings', 'Deployment/web']);
    expect(comparison.sync).toBe('Synced');
  });

  it('deletes a hook left by the last sync before creating it again (BeforeHookCreation, the default)', async () => {
    const app = f.application('again', 'again', { 'seed.yaml': job('seed', hook('Sync')), 'config.yaml': configMap('again') });
    expect((await f.driver.sync(app, { prune: false })).phase).toBe('Succeeded');
    const mark = writeMark();
    expect((await f.driver.sync(app, { prune: false })).phase).toBe('Succeeded');
    // The unchanged ConfigMap's apply changes nothing, so the write log does not hold it. The new hook's finalizer goes once it completed.
    expect(f.syncWrites(mark)).toEqual(['delete Job/seed', 'apply Job/seed', 'patch Job/seed']);
  });

  it('creates hooks with Argo CD’s hook finalizer and removes it once their result is read: a hook deleted while it runs stays until then', async () => {
    const store = f.fleet.cluster();
    const jobs = store.typeForKind('batch/v1', 'Job')!;
    const app = f.application('guarded', 'guarded', {
      'migrate.yaml': job('guarded-migrate', hook('PreSync')),
      'seed.yaml': job('guarded-seed', hook('Sync')),
      'config.yaml': configMap('guarded'),
    });
    const seen: string[] = [];
    const unsubscribe = store.subscribe(({ type, object }) => {
      if (object.metadata.name !== 'guarded-migrate') return;
      const state = [object.metadata.deletionTimestamp ? 'deleting' : '', object.status?.succeeded ? 'complete' : ''].filter(Boolean).join(' ');
      seen.push(`${type} [${(object.metadata.finalizers ?? []).join(',')}] ${state}`.trim());
      // Someone deletes the hook as soon as it is created.
      if (type === 'ADDED') setImmediate(() => store.delete(jobs, 'default', 'guarded-migrate', 'someone'));
    });
    let outcome;
    try {
      outcome = await f.driver.sync(app, { prune: false });
    } finally {
      unsubscribe();
    }
    expect(outcome.phase).toBe('Succeeded');
    // The deleted hook stayed, held by the finalizer, until it completed and its result was read; then it went.
    expect(outcome.resources[0]).toMatchObject({ name: 'guarded-migrate', hookType: 'PreSync', hookPhase: 'Succeeded' });
    expect(seen).toEqual([
      'ADDED [argocd.argoproj.io/hook-finalizer]',
      'MODIFIED [argocd.argoproj.io/hook-finalizer] deleting',
      'MODIFIED [argocd.argoproj.io/hook-finalizer] deleting complete',
      'MODIFIED [] deleting complete',
      'DELETED [] deleting complete',
    ]);
    // A hook kept after the sync (BeforeHookCreation, the default) no longer holds the finalizer: it can be deleted.
    const kept = await f.admin().get<{ metadata: { finalizers?: string[] } } & object>('batch/v1', 'Job', 'default', 'guarded-seed');
    expect(kept?.metadata.finalizers ?? []).toEqual([]);
    const writes = f.fleet
      .cluster()
      .writes.filter((w) => w.name === 'guarded-seed')
      .map((w) => `${w.verb} by ${w.identity}`);
    expect(writes).toEqual(['apply by regatta-sync', 'patch by sim-kubelet', 'patch by regatta-sync']);
  });

  it('fails the sync on a failed PreSync hook: no resource is applied, HookFailed hooks go, SyncFail hooks run', async () => {
    const app = f.application('failing', 'failing', {
      'migrate.yaml': job('migrate-bad', hook('PreSync', { 'argocd.argoproj.io/hook-delete-policy': 'HookFailed' }), true),
      'web.yaml': deployment('never'),
      'rollback.yaml': job('rollback', hook('SyncFail')),
      'after.yaml': job('after', hook('PostSync')),
    });
    const mark = writeMark();
    const outcome = await f.driver.sync(app, { prune: false });
    expect(outcome).toMatchObject({ phase: 'Failed', message: 'one or more synchronization tasks completed unsuccessfully' });
    expect(created(f.syncWrites(mark))).toEqual(['apply Job/migrate-bad', 'patch Job/migrate-bad', 'apply Job/rollback', 'patch Job/rollback']);
    expect(f.syncWrites(mark)).toContain('delete Job/migrate-bad');
    expect(await f.admin().get('apps/v1', 'Deployment', 'default', 'never')).toBeUndefined();
    expect(outcome.resources).toEqual([
      expect.objectContaining({ name: 'migrate-bad', hookType: 'PreSync', hookPhase: 'Failed', message: 'Job has reached the specified backoff limit' }),
      expect.objectContaining({ name: 'rollback', hookType: 'SyncFail', hookPhase: 'Succeeded', syncPhase: 'SyncFail' }),
    ]);
  });

  it('fails with the API server’s reason when an object cannot be applied, and runs the SyncFail hooks', async () => {
    const app = f.application('invalid', 'invalid', {
      'bad.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Not_A_Name}\ndata: {a: b}\n',
      'cleanup.yaml': job('cleanup', hook('SyncFail')),
    });
    const mark = writeMark();
    const outcome = await f.driver.sync(app, { prune: false });
    expect(outcome.phase).toBe('Failed');
    expect(outcome.message).toMatch(/^one or more objects failed to apply, reason: .*Not_A_Name/);
    expect(f.syncWrites(mark)).toEqual(['apply Job/cleanup', 'patch Job/cleanup']);
  });

  it('maps Helm hooks as Argo CD does: pre-install to PreSync ordered by hook-weight, hook-succeeded deletes them', async () => {
    const helm = (weight: string) => ({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-weight': weight,
      'helm.sh/hook-delete-policy': 'hook-succeeded',
    });
    const app = f.application('helm', 'helm', {
      'a.yaml': job('helm-second', helm('5')),
      'b.yaml': job('helm-first', helm('-5')),
      'crd.yaml': configMap('helm-crd-install', { 'helm.sh/hook': 'crd-install' }),
      'skip.yaml': configMap('skipped', { 'argocd.argoproj.io/hook': 'Skip' }),
      'config.yaml': configMap('helm-config'),
    });
    const mark = writeMark();
    expect((await f.driver.sync(app, { prune: false })).phase).toBe('Succeeded');
    // Each weight is a wave of its own: the second hook waits for the first to complete. crd-install is no hook; Skip is never applied.
    expect(f.syncWrites(mark)).toEqual([
      'apply Job/helm-first',
      'patch Job/helm-first',
      'apply Job/helm-second',
      'patch Job/helm-second',
      'apply ConfigMap/helm-config',
      'apply ConfigMap/helm-crd-install',
      'delete Job/helm-first',
      'delete Job/helm-second',
    ]);
    const first = f.fleet.cluster().writes.find((w) => w.at >= mark && w.name === 'helm-first' && w.identity === 'sim-kubelet');
    const second = f.fleet.cluster().writes.find((w) => w.at >= mark && w.name === 'helm-second' && w.identity === 'regatta-sync');
    expect(first!.at < second!.at).toBe(true);
  });
});
