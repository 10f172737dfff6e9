import { describe, expect, it } from 'vitest';
import { HOOK_FINALIZER } from '../../src/api/annotations.js';
import type { SyncPhase } from '../../src/api/application.js';
import type { Manifest } from '../../src/sync/manifests.js';
import type { HookDeletePolicy } from '../../src/sync/resource-hooks.js';
import { SyncExecution, type ExecutableTask, type SyncCluster } from '../../src/sync/sync-execution.js';

/**
 * SyncExecution on its own, against a cluster kept in memory: waves, hooks and prunes as
 * gitops-engine's sync context runs them, without the simulator or Nest. The cluster's "kubelet"
 * moves on only when the sync waits for a change, so the log shows what the sync waited for.
 */
class MemoryCluster implements SyncCluster {
  readonly objects = new Map<string, Manifest>();
  readonly log: string[] = [];
  /** Objects that turn this way at the next change the sync waits for: a workload's rollout, a hook's run. */
  readonly outcomes = new Map<string, 'ready' | 'failed'>();
  /** Objects that never go when deleted (a finalizer nobody removes). */
  readonly stuck = new Set<string>();

  private static id = (kind: string, name: string) => `${kind}/${name}`;

  add(object: Manifest): void {
    this.objects.set(MemoryCluster.id(object.kind, object.metadata.name), structuredClone(object));
  }

  async apply(task: ExecutableTask) {
    this.log.push(`apply ${task.kind}/${task.name}`);
    const object = structuredClone(task.target!);
    // As the API server answers a new workload: not rolled out yet.
    if (object.kind === 'Deployment') object.status = { observedGeneration: 0 };
    if (object.kind === 'Job') object.status = {};
    object.metadata.generation = 1;
    this.objects.set(MemoryCluster.id(task.kind, task.name), object);
    return { object, message: `${task.kind.toLowerCase()}/${task.name} serverside-applied` };
  }

  async unchanged(): Promise<Manifest | undefined> {
    return undefined;
  }

  async prune(live: Manifest) {
    this.delete('prune', live);
  }

  async deleteHook(live: Manifest) {
    this.delete('delete', live);
  }

  private delete(verb: string, live: Manifest): void {
    const id = MemoryCluster.id(live.kind, live.metadata.name);
    this.log.push(`${verb} ${id}`);
    if (this.stuck.has(id)) this.objects.get(id)!.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    else this.objects.delete(id);
  }

  /** As the API server: without the hook finalizer, a hook already deleted goes. */
  async releaseHook(live: Manifest) {
    const id = MemoryCluster.id(live.kind, live.metadata.name);
    const object = this.objects.get(id);
    if (!object) return undefined;
    object.metadata.finalizers = object.metadata.finalizers?.filter((finalizer: string) => finalizer !== HOOK_FINALIZER);
    if (object.metadata.deletionTimestamp && !this.stuck.has(id)) {
      this.objects.delete(id);
      return undefined;
    }
    return object;
  }

  async pruneApproved() {
    return true;
  }

  async waiting() {}

  async read(key: { kind: string; name: string }) {
    return this.objects.get(MemoryCluster.id(key.kind, key.name));
  }

  async waitForChange(): Promise<void> {
    for (const [id, outcome] of this.outcomes) {
      const object = this.objects.get(id);
      if (!object) continue;
      this.outcomes.delete(id);
      this.log.push(`${outcome} ${id}`);
      if (object.kind === 'Job')
        object.status = { conditions: [{ type: outcome === 'ready' ? 'Complete' : 'Failed', status: 'True', message: `job ${outcome}` }] };
      else if (outcome === 'ready') object.status = { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 };
      else object.status = { observedGeneration: 1, conditions: [{ type: 'Progressing', reason: 'ProgressDeadlineExceeded' }] };
    }
  }

  refused() {
    return undefined;
  }
}

const object = (kind: string, name: string, annotations: Record<string, string> = {}): Manifest => ({
  apiVersion: kind === 'Deployment' ? 'apps/v1' : kind === 'Job' ? 'batch/v1' : 'v1',
  kind,
  metadata: { name, namespace: 'shop', annotations },
  spec: kind === 'Deployment' ? { replicas: 1 } : {},
});

function task(
  target: Manifest,
  options: { phase?: SyncPhase; wave?: number; hook?: boolean; deletePolicies?: HookDeletePolicy[]; live?: Manifest } = {},
): ExecutableTask {
  const [group, version] = target.apiVersion.includes('/') ? target.apiVersion.split('/') : ['', target.apiVersion];
  return {
    key: { group, version, kind: target.kind, namespace: 'shop', name: target.metadata.name },
    phase: options.phase ?? 'Sync',
    wave: options.wave ?? 0,
    kind: target.kind,
    name: target.metadata.name,
    prune: false,
    hook: options.hook ?? false,
    target,
    ...(options.live ? { live: options.live } : {}),
    deletePolicies: options.deletePolicies ?? [],
  };
}

function pruneTask(live: Manifest, options: { wave?: number; pruneLast?: boolean; pruneDisabled?: boolean } = {}): ExecutableTask {
  return {
    key: { group: '', version: 'v1', kind: live.kind, namespace: 'shop', name: live.metadata.name },
    phase: 'Sync',
    wave: options.wave ?? 0,
    kind: live.kind,
    name: live.metadata.name,
    prune: true,
    ...(options.pruneLast ? { pruneLast: true } : {}),
    ...(options.pruneDisabled ? { pruneDisabled: true } : {}),
    hook: false,
    live,
    deletePolicies: [],
  };
}

const execution = (cluster: MemoryCluster) => new SyncExecution(cluster, { stepTimeoutMs: 2_000, pollMs: 1 });

describe('sync waves', () => {
  it('applies a wave only once the one before is Healthy, and ends once the last wave is written', async () => {
    const cluster = new MemoryCluster();
    cluster.outcomes.set('Deployment/db', 'ready');
    const result = await execution(cluster).run([
      task(object('Deployment', 'web'), { wave: 1 }),
      task(object('Deployment', 'db'), { wave: 0 }),
      task(object('ConfigMap', 'settings'), { wave: -1 }),
    ]);
    expect(result.phase).toBe('Succeeded');
    expect(cluster.log).toEqual(['apply ConfigMap/settings', 'apply Deployment/db', 'ready Deployment/db', 'apply Deployment/web']);
    // The last wave's workload is left to roll out: the comparison follows its health.
    expect(result.resources.find((r) => r.name === 'web')).toMatchObject({ status: 'Synced', hookPhase: 'Running' });
    expect(result.resources.find((r) => r.name === 'db')).toMatchObject({ status: 'Synced', hookPhase: 'Succeeded' });
  });

  it('fails the sync on a wave that turns Degraded: the later waves are never applied', async () => {
    const cluster = new MemoryCluster();
    cluster.outcomes.set('Deployment/db', 'failed');
    const result = await execution(cluster).run([task(object('Deployment', 'db'), { wave: 0 }), task(object('ConfigMap', 'after'), { wave: 1 })]);
    expect(result).toMatchObject({ phase: 'Failed', message: 'one or more synchronization tasks completed unsuccessfully' });
    expect(cluster.log).toEqual(['apply Deployment/db', 'failed Deployment/db']);
    expect(result.resources.find((r) => r.name === 'db')).toMatchObject({ hookPhase: 'Failed', message: 'Deployment "db" exceeded its progress deadline' });
  });

  it('times out a wave that never turns Healthy, naming the object', async () => {
    const cluster = new MemoryCluster();
    const result = await new SyncExecution(cluster, { stepTimeoutMs: 50, pollMs: 1 }).run([
      task(object('Deployment', 'db'), { wave: 0 }),
      task(object('ConfigMap', 'after'), { wave: 1 }),
    ]);
    expect(result).toMatchObject({ phase: 'Failed', message: 'timed out waiting for Deployment/db to become Healthy' });
    expect(cluster.log).toEqual(['apply Deployment/db']);
  });
});

describe('hooks', () => {
  it('runs a PreSync hook to completion before the resources, a PostSync one after, deleting HookSucceeded hooks at the end', async () => {
    const cluster = new MemoryCluster();
    cluster.outcomes.set('Job/migrate', 'ready');
    cluster.outcomes.set('Job/notify', 'ready');
    const result = await execution(cluster).run([
      task(object('ConfigMap', 'settings')),
      task(object('Job', 'notify'), { phase: 'PostSync', hook: true }),
      task(object('Job', 'migrate'), { phase: 'PreSync', hook: true, deletePolicies: ['HookSucceeded'] }),
    ]);
    expect(result.phase).toBe('Succeeded');
    // The sync waits for the PostSync hook to complete, too.
    expect(cluster.log).toEqual([
      'apply Job/migrate',
      'ready Job/migrate',
      'apply ConfigMap/settings',
      'apply Job/notify',
      'ready Job/notify',
      'delete Job/migrate',
    ]);
    expect(result.resources.map((r) => `${r.syncPhase} ${r.kind}/${r.name} ${r.hookPhase}`)).toEqual([
      'PreSync Job/migrate Succeeded',
      'Sync ConfigMap/settings Succeeded',
      'PostSync Job/notify Succeeded',
    ]);
  });

  it('stops at a failed PreSync hook: nothing applied after it, HookFailed hooks deleted, SyncFail hooks run', async () => {
    const cluster = new MemoryCluster();
    cluster.outcomes.set('Job/migrate', 'failed');
    cluster.outcomes.set('Job/page-oncall', 'ready');
    const result = await execution(cluster).run([
      task(object('Job', 'migrate'), { phase: 'PreSync', hook: true, deletePolicies: ['HookFailed'] }),
      task(object('ConfigMap', 'settings')),
      task(object('Job', 'page-oncall'), { phase: 'SyncFail', hook: true }),
    ]);
    expect(result).toMatchObject({ phase: 'Failed', message: 'one or more synchronization tasks completed unsuccessfully' });
    expect(cluster.log).not.toContain('apply ConfigMap/settings');
    expect(cluster.log).toEqual(['apply Job/migrate', 'failed Job/migrate', 'delete Job/migrate', 'apply Job/page-oncall', 'ready Job/page-oncall']);
    expect(result.resources.find((r) => r.name === 'migrate')).toMatchObject({ hookPhase: 'Failed', message: 'job failed' });
  });

  it('deletes a hook left by an earlier sync, and waits for it to go, before creating it again (BeforeHookCreation)', async () => {
    const cluster = new MemoryCluster();
    const earlier = { ...object('Job', 'migrate'), status: { conditions: [{ type: 'Complete', status: 'True' }] } };
    cluster.add(earlier);
    cluster.outcomes.set('Job/migrate', 'ready');
    const result = await execution(cluster).run([
      task(object('Job', 'migrate'), { phase: 'PreSync', hook: true, deletePolicies: ['BeforeHookCreation'], live: earlier }),
    ]);
    expect(result.phase).toBe('Succeeded');
    expect(cluster.log).toEqual(['delete Job/migrate', 'apply Job/migrate', 'ready Job/migrate']);
  });
});

describe('prune', () => {
  it('deletes what left Git and waits for it to go; reports what it may not prune without deleting it', async () => {
    const cluster = new MemoryCluster();
    const old = object('ConfigMap', 'old');
    const kept = object('ConfigMap', 'kept', { 'argocd.argoproj.io/sync-options': 'Prune=false' });
    const unasked = object('ConfigMap', 'unasked');
    for (const live of [old, kept, unasked]) cluster.add(live);
    const result = await execution(cluster).run([pruneTask(old), pruneTask(kept), pruneTask(unasked, { pruneDisabled: true })]);
    expect(result.phase).toBe('Succeeded');
    expect(cluster.log).toEqual(['prune ConfigMap/old']);
    expect([...cluster.objects.keys()].sort()).toEqual(['ConfigMap/kept', 'ConfigMap/unasked']);
    expect(result.resources.map((r) => [r.name, r.status, r.message])).toEqual([
      ['kept', 'PruneSkipped', 'ignored (no prune)'],
      ['old', 'Pruned', 'pruned'],
      ['unasked', 'PruneSkipped', 'ignored (requires pruning)'],
    ]);
  });

  it('prunes in reverse wave order (the last wave’s prune takes the first prune wave), PruneLast prunes after the last wave is Healthy', async () => {
    const cluster = new MemoryCluster();
    const [early, late, last] = [object('ConfigMap', 'early'), object('ConfigMap', 'late'), object('ConfigMap', 'last')];
    for (const live of [early, late, last]) cluster.add(live);
    cluster.outcomes.set('Deployment/web', 'ready');
    const result = await execution(cluster).run([
      pruneTask(early, { wave: -1 }),
      pruneTask(late, { wave: 2 }),
      pruneTask(last, { pruneLast: true }),
      task(object('Deployment', 'web'), { wave: 0 }),
    ]);
    expect(result.phase).toBe('Succeeded');
    // Prune waves -1 and 2 swap: `late` goes in wave -1, before the Deployment; `early` in wave 2, once it is Healthy.
    expect(cluster.log).toEqual(['prune ConfigMap/late', 'apply Deployment/web', 'ready Deployment/web', 'prune ConfigMap/early', 'prune ConfigMap/last']);
  });

  it('fails when a pruned object never goes, naming it', async () => {
    const cluster = new MemoryCluster();
    const held = object('ConfigMap', 'held');
    cluster.add(held);
    cluster.stuck.add('ConfigMap/held');
    const result = await new SyncExecution(cluster, { stepTimeoutMs: 50, pollMs: 1 }).run([pruneTask(held), task(object('ConfigMap', 'after'), { wave: 1 })]);
    expect(result).toMatchObject({ phase: 'Failed', message: 'one or more objects failed to apply, reason: timed out waiting for deletion of ConfigMap/held' });
    expect(cluster.log).toEqual(['prune ConfigMap/held']);
  });
});
