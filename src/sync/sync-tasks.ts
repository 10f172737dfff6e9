import type { SyncPhase } from '../api/application.js';
import { HELM_INSTALL_ORDER } from '../helm/index.js';

/**
 * The order of a sync's tasks as gitops-engine plans it (pkg/sync/sync_tasks.go): by phase, then
 * wave, then kind (dependencies before workloads), then name. Prunes run in the reverse order of
 * their waves, and with PruneLast after the Sync phase's last wave. Pure: no cluster here.
 */

const PHASE_ORDER: SyncPhase[] = ['PreSync', 'Sync', 'PostSync', 'SyncFail'];

/** gitops-engine's apply order within a wave (dependencies before workloads): Helm's install order without PriorityClass; kinds not listed (custom resources) come last. */
const KIND_ORDER = HELM_INSTALL_ORDER.filter((kind) => kind !== 'PriorityClass');
const kindRank = (kind: string) => (KIND_ORDER.includes(kind) ? KIND_ORDER.indexOf(kind) : KIND_ORDER.length);

export interface SyncTask {
  phase: SyncPhase;
  wave: number;
  kind: string;
  name: string;
  /** Deletes a live object Git no longer has (always in the Sync phase). */
  prune: boolean;
  /** PruneLast=true on the Application or the live object. */
  pruneLast?: boolean;
}

/** Tasks in the order they run, with prune waves reversed and PruneLast prunes moved after the last Sync wave. */
export function orderTasks<T extends SyncTask>(tasks: T[]): T[] {
  const pruneWaves = [...new Set(tasks.filter((t) => t.prune).map((t) => t.wave))].sort((a, b) => a - b);
  const mirrored = new Map(pruneWaves.map((wave, i) => [wave, pruneWaves[pruneWaves.length - 1 - i]]));
  const planned = tasks.map((t) => (t.prune ? { ...t, wave: mirrored.get(t.wave)! } : t));
  const lastSyncWave = Math.max(0, ...planned.filter((t) => t.phase === 'Sync').map((t) => t.wave)) + 1;
  return planned
    .map((t) => (t.prune && t.pruneLast ? { ...t, wave: lastSyncWave } : t))
    .sort(
      (a, b) =>
        PHASE_ORDER.indexOf(a.phase) - PHASE_ORDER.indexOf(b.phase) ||
        a.wave - b.wave ||
        kindRank(a.kind) - kindRank(b.kind) ||
        (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    );
}

/** Ordered tasks cut into steps of one phase and wave: a step starts once the one before has finished. */
export function syncSteps<T extends SyncTask>(ordered: T[]): T[][] {
  const steps: T[][] = [];
  for (const task of ordered) {
    const last = steps.at(-1)?.[0];
    if (last && last.phase === task.phase && last.wave === task.wave) steps.at(-1)!.push(task);
    else steps.push([task]);
  }
  return steps;
}
