import { describe, expect, it } from 'vitest';
import type { SyncPhase } from '../../src/api/application.js';
import { orderTasks, syncSteps, type SyncTask } from '../../src/sync/sync-tasks.js';

const task = (phase: SyncPhase, wave: number, kind: string, name: string, prune = false, pruneLast = false): SyncTask => ({
  phase,
  wave,
  kind,
  name,
  prune,
  pruneLast,
});
const names = (tasks: SyncTask[]) => tasks.map((t) => `${t.phase}/${t.wave}/${t.kind}/${t.name}`);

describe("a sync's tasks in gitops-engine's order", () => {
  it('orders by phase, wave, kind (dependencies first, custom kinds last), then name', () => {
    const ordered = orderTasks([
      task('PostSync', -5, 'Job', 'notify'),
      task('Sync', 0, 'Deployment', 'web'),
      task('Sync', 0, 'Widget', 'custom'),
      task('Sync', 0, 'ConfigMap', 'b'),
      task('Sync', 0, 'ConfigMap', 'a'),
      task('Sync', 0, 'Namespace', 'ns'),
      task('Sync', -1, 'Service', 'first'),
      task('PreSync', 3, 'Job', 'migrate'),
    ]);
    expect(names(ordered)).toEqual([
      'PreSync/3/Job/migrate',
      'Sync/-1/Service/first',
      'Sync/0/Namespace/ns',
      'Sync/0/ConfigMap/a',
      'Sync/0/ConfigMap/b',
      'Sync/0/Deployment/web',
      'Sync/0/Widget/custom',
      'PostSync/-5/Job/notify',
    ]);
    expect(syncSteps(ordered).map((step) => step.length)).toEqual([1, 1, 5, 1]);
  });

  it('prunes in the reverse order of their waves, and PruneLast prunes after the last Sync wave, prune waves included', () => {
    const ordered = orderTasks([
      task('Sync', 0, 'ConfigMap', 'applied'),
      task('Sync', 2, 'Deployment', 'late'),
      task('Sync', 0, 'ConfigMap', 'pruned-first-wave', true),
      task('Sync', 5, 'ConfigMap', 'pruned-last-wave', true),
      task('Sync', 0, 'Secret', 'pruned-last', true, true),
    ]);
    expect(names(ordered)).toEqual([
      'Sync/0/ConfigMap/applied',
      'Sync/0/ConfigMap/pruned-last-wave',
      'Sync/2/Deployment/late',
      'Sync/5/ConfigMap/pruned-first-wave',
      // After every Sync wave, prunes included.
      'Sync/6/Secret/pruned-last',
    ]);
  });
});
