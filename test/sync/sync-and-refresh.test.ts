import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import { DirectSyncHarness } from '../support/direct-sync-harness.js';
import { TestRepository } from '../support/git-fixtures.js';

/**
 * A sync and the live watch of its cluster: the objects a sync applies show on the watch while
 * it runs, and the refresher leaves the Application to the sync until its result is written, so
 * the sync's writes never race another writer's (counted by the simulated API server).
 */
let h: DirectSyncHarness;
let repo: TestRepository;

const DEPLOYMENT =
  'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n' +
  '  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx}]}\n';
// The second wave waits for the Deployment to be healthy: the sync runs for the kubelet's delay at least.
const CONFIG = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  annotations: {argocd.argoproj.io/sync-wave: '1'}\ndata: {k: v}\n";

beforeAll(async () => {
  repo = new TestRepository('sync-and-refresh');
  repo.commit({ 'app/deployment.yaml': DEPLOYMENT, 'app/config.yaml': CONFIG });
  h = await DirectSyncHarness.start({ clusters: [{ name: 'dev' }], namespaces: ['default', 'argocd'], applicationNamespaces: ['argocd'], readyDelayMs: 700 });
  await h.registerCluster('dev');
}, 60_000);
afterAll(async () => {
  await h?.stop();
  repo?.dispose();
});

describe('a sync while its objects change on the watched cluster', () => {
  it('is the only writer of the Application from its start to its result, and the result is the settled state', async () => {
    const phases: string[] = [];
    const stop = h.fleet.cluster().subscribe(({ type_, object }) => {
      if (type_.kind !== 'Application' || object.metadata.name !== 'web') return;
      const status = (object as Application).status;
      phases.push(`${status?.operationState?.phase ?? '-'} ${status?.sync?.status ?? '-'} ${status?.health?.status ?? '-'}`);
    });
    const conflictsBefore = h.fleet.counters().conflictsByResource.get('applications') ?? 0;
    try {
      await h.createApplication({
        metadata: { name: 'web', namespace: 'argocd' },
        spec: {
          project: 'default',
          source: { repoURL: repo.url, path: 'app', targetRevision: 'main' },
          destination: { server: h.fleet.server('dev'), namespace: 'default' },
        },
      });
      const done = await h.finished('argocd', 'web');
      expect(done.status?.operationState?.phase).toBe('Succeeded');
      // The sync's result carries the comparison made at its end: nothing left to report after it.
      expect([done.status?.sync?.status, done.status?.health?.status]).toEqual(['Synced', 'Healthy']);
    } finally {
      stop();
    }
    const running = phases.findIndex((p) => p.startsWith('Running'));
    const result = phases.findIndex((p) => p.startsWith('Succeeded'));
    expect(running).toBeGreaterThanOrEqual(0);
    // Two writes, one after the other: the sync's start and its result; no comparison written in between.
    expect(result - running).toBe(1);
    expect((h.fleet.counters().conflictsByResource.get('applications') ?? 0) - conflictsBefore).toBe(0);
  });
});
