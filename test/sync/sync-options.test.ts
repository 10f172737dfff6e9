import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import { configMap, deployment, DirectSyncFixture, manifest } from '../support/direct-sync-fixture.js';
import { writeMark } from '../support/write-log.js';

let f: DirectSyncFixture;

beforeAll(async () => {
  f = await DirectSyncFixture.start();
});
afterAll(async () => {
  await f.stop();
});

const options = (...values: string[]) => ({ 'argocd.argoproj.io/sync-options': values.join(',') });
const wave = (n: number) => ({ 'argocd.argoproj.io/sync-wave': String(n) });
/** The Application as a refresh after its sync leaves it: tracking what it deployed. */
const synced = async (app: Application): Promise<Application> => ({ ...app, status: { resources: (await f.driver.refresh(app)).resources } });

describe('sync options, per Application and per object', () => {
  it('Replace=true creates, then replaces the object instead of applying it', async () => {
    const app = f.application('replace', 'replace', { 'config.yaml': configMap('replaced', options('Replace=true')) });
    let mark = writeMark();
    expect(await f.driver.sync(app, { prune: false })).toMatchObject({ phase: 'Succeeded', resources: [{ message: 'configmap/replaced created' }] });
    expect(f.syncWrites(mark)).toEqual(['create ConfigMap/replaced']);
    const next = f.application('replace', 'replace', { 'config.yaml': configMap('replaced', options('Replace=true'), 'colour: green') });
    mark = writeMark();
    expect(await f.driver.sync(next, { prune: false })).toMatchObject({ phase: 'Succeeded', resources: [{ message: 'configmap/replaced replaced' }] });
    expect(f.syncWrites(mark)).toEqual(['update ConfigMap/replaced']);
    expect((await f.admin().get('v1', 'ConfigMap', 'default', 'replaced'))?.data).toEqual({ colour: 'green' });
  });

  it('ServerSideApply=true leaves conflicts with another field manager to Kubernetes; the default apply takes the fields over', async () => {
    const app = f.application('ssa', 'ssa', { 'config.yaml': configMap('contested') });
    await f.driver.sync(app, { prune: false });
    const other = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'contested', namespace: 'default' }, data: { colour: 'red' } };
    await f.admin().apply(other, 'someone-else', true);

    const strict = { ...app, spec: { ...app.spec, syncPolicy: { syncOptions: ['ServerSideApply=true'] } } };
    const refused = await f.driver.sync(strict, { prune: false });
    expect(refused.phase).toBe('Failed');
    expect(refused.message).toMatch(/^one or more objects failed to apply, reason: .*conflict/i);
    expect(refused.resources).toEqual([expect.objectContaining({ name: 'contested', status: 'SyncFailed', hookPhase: 'Failed' })]);
    expect((await f.admin().get('v1', 'ConfigMap', 'default', 'contested'))?.data).toEqual({ colour: 'red' });

    expect((await f.driver.sync(app, { prune: false })).phase).toBe('Succeeded');
    expect((await f.admin().get('v1', 'ConfigMap', 'default', 'contested'))?.data).toEqual({ colour: 'blue' });
  });

  it('prunes in reverse wave order before the applies of a wave; PruneLast=true after the last wave', async () => {
    const files = { 'old.yaml': configMap('prune-old'), 'web.yaml': deployment('prune-web', wave(1)) };
    const before = await synced(f.application('prune', 'prune', files));
    await f.driver.sync(before, { prune: true });
    const tracked = await synced(before);
    const next = { ...f.application('prune', 'prune', { 'old.yaml': '', 'web.yaml': deployment('prune-web', wave(1), 2) }), status: tracked.status };
    let mark = writeMark();
    expect((await f.driver.sync(next, { prune: true })).phase).toBe('Succeeded');
    expect(f.syncWrites(mark)).toEqual(['delete ConfigMap/prune-old', 'apply Deployment/prune-web']);

    // prune-old is back (synced from the first commit), and Git drops it again, now with PruneLast=true.
    await f.driver.sync(before, { prune: false });
    const pruneLast = f.application('prune', 'prune', { 'web.yaml': deployment('prune-web', wave(1), 3) }, { syncPolicy: { syncOptions: ['PruneLast=true'] } });
    mark = writeMark();
    const outcome = await f.driver.sync({ ...pruneLast, status: (await synced(before)).status }, { prune: true });
    expect(outcome.phase).toBe('Succeeded');
    expect(f.syncWrites(mark)).toEqual(['apply Deployment/prune-web', 'delete ConfigMap/prune-old']);
    expect(outcome.resources.at(-1)).toMatchObject({ kind: 'ConfigMap', name: 'prune-old', status: 'Pruned', message: 'pruned', syncPhase: 'Sync' });
  });

  it('Prune=false on the object keeps it, as does a sync without prune: PruneSkipped either way', async () => {
    const app = await synced(f.application('keep', 'keep', { 'kept.yaml': configMap('kept', options('Prune=false')), 'other.yaml': configMap('keep-other') }));
    await f.driver.sync(app, { prune: true });
    const next = { ...f.application('keep', 'keep', { 'kept.yaml': '', 'other.yaml': '' }), status: (await synced(app)).status };
    const mark = writeMark();
    const unpruned = await f.driver.sync(next, { prune: false });
    expect(unpruned.resources).toEqual([
      expect.objectContaining({ name: 'keep-other', status: 'PruneSkipped', message: 'ignored (requires pruning)', hookPhase: 'Succeeded' }),
      expect.objectContaining({ name: 'kept', status: 'PruneSkipped', message: 'ignored (requires pruning)' }),
    ]);
    expect(f.syncWrites(mark)).toEqual([]);
    const pruned = await f.driver.sync(next, { prune: true });
    expect(pruned.resources).toEqual([
      expect.objectContaining({ name: 'keep-other', status: 'Pruned', message: 'pruned' }),
      expect.objectContaining({ name: 'kept', status: 'PruneSkipped', message: 'ignored (no prune)' }),
    ]);
    expect(f.syncWrites(mark)).toEqual(['delete ConfigMap/keep-other']);
    expect(await f.admin().get('v1', 'ConfigMap', 'default', 'kept')).toBeDefined();
  });

  it('PrunePropagationPolicy=orphan leaves dependents; the default, foreground, deletes them first', async () => {
    const admin = f.admin();
    const dependentOf = async (owner: string) => {
      const live = await admin.get('v1', 'ConfigMap', 'default', owner);
      const ownerReferences = [{ apiVersion: 'v1', kind: 'ConfigMap', name: owner, uid: live!.metadata!.uid! }];
      await admin.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${owner}-child`, namespace: 'default', ownerReferences }, data: {} });
    };
    for (const [name, syncOptions] of [
      ['foreground', []],
      ['orphan', ['PrunePropagationPolicy=orphan']],
    ] as const) {
      const app = await synced(f.application(name, name, { 'owner.yaml': configMap(`${name}-owner`) }));
      await f.driver.sync(app, { prune: true });
      await dependentOf(`${name}-owner`);
      const next = {
        ...f.application(name, name, { 'owner.yaml': '' }, { syncPolicy: { syncOptions: [...syncOptions] } }),
        status: (await synced(app)).status,
      };
      expect((await f.driver.sync(next, { prune: true })).phase).toBe('Succeeded');
      expect(await admin.get('v1', 'ConfigMap', 'default', `${name}-owner`)).toBeUndefined();
      const child = await admin.get('v1', 'ConfigMap', 'default', `${name}-owner-child`);
      if (name === 'orphan') expect(child).toBeDefined();
      else expect(child).toBeUndefined();
    }
  });

  it('FailOnSharedResource=true fails before writing anything when another Application tracks a live object', async () => {
    await f.driver.sync(f.application('first-owner', 'shared-a', { 'config.yaml': configMap('shared') }), { prune: false });
    const app = f.application(
      'second',
      'shared-b',
      { 'config.yaml': configMap('shared'), 'own.yaml': configMap('second-own') },
      {
        syncPolicy: { syncOptions: ['FailOnSharedResource=true'] },
      },
    );
    const mark = writeMark();
    expect(await f.driver.sync(app, { prune: false })).toMatchObject({
      phase: 'Failed',
      message: 'Shared resource found: ConfigMap/shared is part of applications argocd/second and first-owner',
      resources: [],
    });
    expect(f.syncWrites(mark)).toEqual([]);
  });

  it('refuses a field the kind does not declare, as kubectl --validate does for Argo CD; Validate=false, on the Application or the object, applies it', async () => {
    await f.admin().create({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } },
          },
        ],
      },
    });
    // The schema has spec.size only: spec.colour is a field the API server does not know.
    const widget = (name: string, annotations: Record<string, string> = {}) =>
      manifest('example.com/v1', 'Widget', name, annotations, 'spec: {size: 1, colour: blue}\n');
    const app = f.application('validate', 'validate', { 'widget.yaml': widget('misspelt') });
    const refused = await f.driver.sync(app, { prune: false });
    expect(refused.phase).toBe('Failed');
    expect(refused.resources).toEqual([
      expect.objectContaining({ name: 'misspelt', status: 'SyncFailed', message: expect.stringContaining('.spec.colour: field not declared in schema') }),
    ]);
    expect(await f.admin().get('example.com/v1', 'Widget', 'default', 'misspelt')).toBeUndefined();

    const unvalidated = { ...app, spec: { ...app.spec, syncPolicy: { syncOptions: ['Validate=false'] } } };
    expect((await f.driver.sync(unvalidated, { prune: false })).phase).toBe('Succeeded');
    expect(await f.admin().get('example.com/v1', 'Widget', 'default', 'misspelt')).toBeDefined();

    const own = f.application('validate-own', 'validate-own', { 'widget.yaml': widget('misspelt-own', options('Validate=false')) });
    expect((await f.driver.sync(own, { prune: false })).phase).toBe('Succeeded');
    expect(await f.admin().get('example.com/v1', 'Widget', 'default', 'misspelt-own')).toBeDefined();
  });

  it('refuses a misspelt field of a built-in kind too: it reaches the API server as written, not dropped on the way', async () => {
    const misspelt = manifest('v1', 'ConfigMap', 'misspelt-config', {}, 'data: {colour: blue}\ndatta: {size: large}\n');
    const refused = await f.driver.sync(f.application('validate-builtin', 'validate-builtin', { 'config.yaml': misspelt }), { prune: false });
    expect(refused.phase).toBe('Failed');
    expect(refused.resources).toEqual([
      expect.objectContaining({ name: 'misspelt-config', status: 'SyncFailed', message: expect.stringContaining('.datta: field not declared in schema') }),
    ]);
    expect(await f.admin().get('v1', 'ConfigMap', 'default', 'misspelt-config')).toBeUndefined();
  });

  it('Delete=false keeps the object when its Application is deleted', async () => {
    const app = await synced(
      f.application('cascade', 'cascade', { 'kept.yaml': configMap('cascade-kept', options('Delete=false')), 'gone.yaml': configMap('cascade-gone') }),
    );
    await f.driver.sync(app, { prune: false });
    expect((await f.driver.deleteResources({ ...app, status: (await synced(app)).status })).map((k) => k.name)).toEqual(['cascade-gone']);
    expect(await f.admin().get('v1', 'ConfigMap', 'default', 'cascade-kept')).toBeDefined();
  });

  it('Prune=confirm holds the prune, and the writes after it, until the Application approves it; meanwhile the operation says what it waits for', async () => {
    const app = await synced(
      f.application('confirm', 'confirm', { 'guarded.yaml': configMap('confirm-guarded', options('Prune=confirm')), 'web.yaml': configMap('confirm-web') }),
    );
    await f.driver.sync(app, { prune: true });
    const next = {
      ...f.application('confirm', 'confirm', { 'guarded.yaml': '', 'web.yaml': configMap('confirm-web', {}, 'colour: green') }),
      status: (await synced(app)).status,
    };
    const messages: string[] = [];
    let asked = 0;
    const mark = writeMark();
    const outcome = await f.driver.sync(next, {
      prune: true,
      // Approved the third time it is asked.
      pruneApproved: async () => ++asked >= 3,
      waiting: async (message) => {
        // Nothing is written while the prune waits.
        if (asked < 3) messages.push(`${message} (${f.syncWrites(mark).length} writes)`);
      },
    });
    expect(messages).toEqual(['waiting for pruning confirmation of /ConfigMap/confirm-guarded (0 writes)']);
    expect(outcome.phase).toBe('Succeeded');
    expect(f.syncWrites(mark)).toEqual(['delete ConfigMap/confirm-guarded', 'apply ConfigMap/confirm-web']);

    // Without a reader of the Application as it is now, the sync reads the approval off the Application it was given: a time at or after its start.
    const again = await synced(f.application('confirm-own', 'confirm-own', { 'guarded.yaml': configMap('confirm-own', options('Prune=confirm')) }));
    await f.driver.sync(again, { prune: true });
    const startedAt = new Date('2026-03-01T10:00:00Z');
    const approved = {
      ...f.application('confirm-own', 'confirm-own', { 'guarded.yaml': '' }),
      status: (await synced(again)).status,
      metadata: { name: 'confirm-own', namespace: 'argocd', annotations: { 'argocd.argoproj.io/deletion-approved': '2026-03-01T10:00:00Z' } },
    };
    expect((await f.driver.sync(approved, { prune: true, startedAt })).resources).toEqual([expect.objectContaining({ name: 'confirm-own', status: 'Pruned' })]);
  });

  it('Delete=confirm and Prune=confirm hold the deletion of an Application’s resources until it is approved after the Application was deleted', async () => {
    const files = { 'a.yaml': configMap('held-a', options('Delete=confirm')), 'b.yaml': configMap('held-b') };
    const app = await synced(f.application('held', 'held', files));
    await f.driver.sync(app, { prune: false });
    const deleting = { ...app, status: (await synced(app)).status, metadata: { ...app.metadata, deletionTimestamp: '2026-03-01T10:00:00Z' } };
    await expect(f.driver.deleteResources(deleting)).rejects.toThrow('Resource /ConfigMap/default/held-a requires manual confirmation to delete');
    // Nothing was deleted, not even what needs no approval.
    expect(await f.admin().get('v1', 'ConfigMap', 'default', 'held-b')).toBeDefined();
    // An approval older than the deletion does not count.
    const stale = { ...deleting, metadata: { ...deleting.metadata, annotations: { 'argocd.argoproj.io/deletion-approved': '2026-03-01T09:59:59Z' } } };
    await expect(f.driver.deleteResources(stale)).rejects.toThrow('requires manual confirmation');
    // Prune=confirm on the Application asks the same of every resource.
    const wide = await synced(
      f.application('held-wide', 'held-wide', { 'c.yaml': configMap('held-wide') }, { syncPolicy: { syncOptions: ['Prune=confirm'] } }),
    );
    await f.driver.sync(wide, { prune: false });
    const wideDeleting = { ...wide, status: (await synced(wide)).status, metadata: { ...wide.metadata, deletionTimestamp: '2026-03-01T10:00:00Z' } };
    await expect(f.driver.deleteResources(wideDeleting)).rejects.toThrow('Resource /ConfigMap/default/held-wide requires manual confirmation to delete');

    const approved = { ...deleting, metadata: { ...deleting.metadata, annotations: { 'argocd.argoproj.io/deletion-approved': '2026-03-01T10:00:05Z' } } };
    expect((await f.driver.deleteResources(approved)).map((k) => k.name)).toEqual(['held-a', 'held-b']);
  });
});

describe('spec.ignoreDifferences', () => {
  const replicasIgnored = { ignoreDifferences: [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }] };

  it('leaves the fields it names out of the comparison, and with RespectIgnoreDifferences=true out of the apply', async () => {
    const app = f.application('scaled', 'scaled', { 'web.yaml': deployment('scaled') });
    await f.driver.sync(app, { prune: false });
    // An autoscaler changed the replicas.
    await f.admin().mergePatch({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'scaled', namespace: 'default' }, spec: { replicas: 3 } });
    expect((await f.driver.refresh(app)).sync).toBe('OutOfSync');
    const ignoring = { ...app, spec: { ...app.spec, ...replicasIgnored } };
    expect((await f.driver.refresh(ignoring)).sync).toBe('Synced');

    const respecting = { ...ignoring, spec: { ...ignoring.spec, syncPolicy: { syncOptions: ['RespectIgnoreDifferences=true'] } } };
    expect((await f.driver.sync(respecting, { prune: false })).phase).toBe('Succeeded');
    expect((await f.admin().get<{ spec: { replicas: number } } & object>('apps/v1', 'Deployment', 'default', 'scaled'))?.spec.replicas).toBe(3);

    // Without RespectIgnoreDifferences the sync writes Git's value, as Argo CD does.
    await f.driver.sync(ignoring, { prune: false });
    expect((await f.admin().get<{ spec: { replicas: number } } & object>('apps/v1', 'Deployment', 'default', 'scaled'))?.spec.replicas).toBe(1);
  });

  it('ignores what managedFieldsManagers own on the live object, and nothing else', async () => {
    const app = f.application('managed', 'managed', { 'web.yaml': deployment('managed') });
    await f.driver.sync(app, { prune: false });
    await f
      .admin()
      .apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'managed', namespace: 'default' }, spec: { replicas: 4 } }, 'autoscaler', true);
    const ignoring = (managers: string[]) => ({
      ...app,
      spec: { ...app.spec, ignoreDifferences: [{ group: 'apps', kind: 'Deployment', managedFieldsManagers: managers }] },
    });
    expect((await f.driver.refresh(ignoring(['someone-else']))).sync).toBe('OutOfSync');
    expect((await f.driver.refresh(ignoring(['autoscaler']))).sync).toBe('Synced');
    // A change of a field the autoscaler does not own still shows.
    await f.admin().mergePatch({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'managed', namespace: 'default' },
      spec: { template: { spec: { containers: [{ name: 'web', image: 'web:2' }] } } },
    });
    expect((await f.driver.refresh(ignoring(['autoscaler']))).sync).toBe('OutOfSync');
  });

  it('matches rules by kind glob, name and namespace, and reads jq paths', async () => {
    const app = f.application('labelled', 'labelled', { 'config.yaml': configMap('labelled') });
    await f.driver.sync(app, { prune: false });
    await f.admin().mergePatch({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'labelled', namespace: 'default' }, data: { colour: 'red' } });
    const withRule = (rule: Record<string, unknown>) => ({ ...app, spec: { ...app.spec, ignoreDifferences: [{ kind: 'ConfigMap', ...rule }] } });
    expect((await f.driver.refresh(withRule({ kind: 'Config*', jqPathExpressions: ['.data.colour'] }))).sync).toBe('Synced');
    expect((await f.driver.refresh(withRule({ name: 'other', jsonPointers: ['/data'] }))).sync).toBe('OutOfSync');
    expect((await f.driver.refresh(withRule({ namespace: 'default', name: 'labelled', jsonPointers: ['/data'] }))).sync).toBe('Synced');
  });
});
