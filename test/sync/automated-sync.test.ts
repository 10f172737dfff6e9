import { describe, expect, it } from 'vitest';
import type { Application, OperationState } from '../../src/api/application.js';
import { autosync, selfHealDelayMs } from '../../src/sync/automated-sync.js';
import type { Comparison } from '../../src/sync/sync-driver.js';

const COMMIT = 'a'.repeat(40);
const NOW = new Date('2026-01-01T00:01:00Z');

function application(selfHeal: boolean, operationState?: OperationState): Application {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'guestbook', namespace: 'argocd' },
    spec: {
      project: 'default',
      source: { repoURL: 'https://git.example/repo.git', path: 'guestbook', targetRevision: COMMIT },
      destination: { server: 'https://prod.example', namespace: 'guestbook' },
      syncPolicy: { automated: { prune: true, selfHeal } },
    },
    ...(operationState ? { status: { operationState } } : {}),
  };
}

const drifted: Comparison = {
  revision: COMMIT,
  sourceType: 'Directory',
  sync: 'OutOfSync',
  health: { status: 'Healthy' },
  resources: [{ group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'guestbook', name: 'guestbook', status: 'OutOfSync' }],
};
const syncedAt = (finishedAt: string, phase: OperationState['phase'] = 'Succeeded', selfHealAttemptsCount?: number): OperationState => ({
  phase,
  finishedAt,
  operation: { sync: { revision: COMMIT, ...(selfHealAttemptsCount ? { selfHealAttemptsCount } : {}) } },
  syncResult: { revision: COMMIT },
});

describe('automated sync of the direct driver (Argo CD autoSync)', () => {
  it('syncs a revision not synced before, selfHeal or not', () => {
    expect(autosync(application(false), drifted, NOW)).toEqual({
      // Five retries when the Application names no retry, as Argo CD's autosync.
      operation: { initiatedBy: { username: 'automated-sync', automated: true }, sync: { revision: COMMIT, prune: true }, retry: { limit: 5 } },
    });
  });

  it('leaves drift of an already synced revision alone without selfHeal', () => {
    expect(autosync(application(false, syncedAt('2026-01-01T00:00:00Z')), drifted, NOW)).toBeUndefined();
  });

  it('heals drift of the synced revision with selfHeal, counting the attempt', () => {
    expect(autosync(application(true, syncedAt('2026-01-01T00:00:59Z')), drifted, NOW)).toMatchObject({
      operation: { sync: { revision: COMMIT, selfHealAttemptsCount: 1 } },
    });
  });

  it('backs off between self-heal attempts as Argo CD: 2 s after the first, then ×3, at most 5 minutes', () => {
    expect([0, 1, 2, 3, 10].map(selfHealDelayMs)).toEqual([0, 2000, 6000, 18_000, 300_000]);
    expect(autosync(application(true, syncedAt('2026-01-01T00:00:59Z', 'Succeeded', 2)), drifted, NOW)).toEqual({ retryInMs: 5000 });
    expect(autosync(application(true, syncedAt('2026-01-01T00:00:50Z', 'Succeeded', 2)), drifted, NOW)).toMatchObject({
      operation: { sync: { selfHealAttemptsCount: 3 } },
    });
  });

  it('does not heal after a failed sync of the same revision, nor what only pruning would fix with prune off', () => {
    expect(autosync(application(true, syncedAt('2026-01-01T00:00:00Z', 'Failed')), drifted, NOW)).toBeUndefined();
    const pruneOff = application(true, syncedAt('2026-01-01T00:00:00Z'));
    pruneOff.spec.syncPolicy!.automated!.prune = false;
    const extra: Comparison = {
      ...drifted,
      resources: [{ group: '', version: 'v1', kind: 'ConfigMap', namespace: 'guestbook', name: 'old', status: 'OutOfSync', requiresPruning: true }],
    };
    expect(autosync(pruneOff, extra, NOW)).toBeUndefined();
  });

  it('of a multi-source Application: syncs the revisions of all sources, and a new commit of any one is a new sync', () => {
    const twoSources = (operationState?: OperationState): Application => {
      const app = application(false, operationState);
      app.spec.sources = [app.spec.source!, { repoURL: 'https://git.example/values.git', targetRevision: 'main', ref: 'values' }];
      delete app.spec.source;
      return app;
    };
    const comparison = (revisions: string[]): Comparison => ({ ...drifted, revision: '', revisions });
    const decision = autosync(twoSources(), comparison([COMMIT, 'b1']), NOW);
    expect(decision).toMatchObject({ operation: { sync: { revisions: [COMMIT, 'b1'], prune: true } } });
    expect((decision as { operation: { sync: object } }).operation.sync).not.toHaveProperty('revision');
    const synced: OperationState = { phase: 'Succeeded', finishedAt: '2026-01-01T00:00:00Z', syncResult: { revisions: [COMMIT, 'b1'] } };
    expect(autosync(twoSources(synced), comparison([COMMIT, 'b1']), NOW)).toBeUndefined();
    expect(autosync(twoSources(synced), comparison([COMMIT, 'b2']), NOW)).toMatchObject({ operation: { sync: { revisions: [COMMIT, 'b2'] } } });
  });
});
