import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import { DirectSyncHarness } from '../support/direct-sync-harness.js';
import { TestRepository } from '../support/git-fixtures.js';
import { waitFor } from '../support/rollout-fixture.js';
import { writeMark, writesSince } from '../support/write-log.js';

/**
 * Deleting a PR preview Application under the direct driver: its resources go, and so does the
 * destination Namespace when Regatta created it for that Application (CreateNamespace=true); a
 * Namespace that existed before stays. Simulated fleet, real redis-server and Git.
 */
let h: DirectSyncHarness;
let repo: TestRepository;

const preview = (name: string, namespace: string, annotations: Record<string, string> = { 'regatta.dev/preview-ttl': '1h' }) =>
  ({
    metadata: { name, namespace: 'argocd', annotations, finalizers: ['resources-finalizer.argocd.argoproj.io'] },
    spec: {
      project: 'default',
      source: { repoURL: repo.url, path: 'app', targetRevision: 'main' },
      destination: { server: h.fleet.server('dev'), namespace },
      syncPolicy: { syncOptions: ['CreateNamespace=true'] },
    },
  }) as Pick<Application, 'metadata' | 'spec'>;

const live = (kind: string, namespace: string | undefined, name: string) => {
  const store = h.fleet.cluster('dev');
  return store.get(store.typeForKind('v1', kind)!, namespace, name);
};

beforeAll(async () => {
  repo = new TestRepository('previews');
  repo.commit({ 'app/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  k: v\n' });
  h = await DirectSyncHarness.start({ clusters: [{ name: 'dev' }], namespaces: ['default', 'argocd', 'team-shared'], applicationNamespaces: ['argocd'] });
  await h.registerCluster('dev');
}, 60_000);
afterAll(async () => {
  await h?.stop();
  repo?.dispose();
});

describe('deleting a PR preview Application', () => {
  it('removes its resources and the Namespace Regatta created for it, then the Application', async () => {
    await h.createApplication(preview('pr-5', 'pr-5'));
    expect((await h.finished('argocd', 'pr-5')).status?.operationState?.phase).toBe('Succeeded');
    expect(live('Namespace', undefined, 'pr-5')?.metadata.annotations?.['regatta.dev/created-for-application']).toBe('argocd/pr-5');
    expect(live('ConfigMap', 'pr-5', 'web')).toBeDefined();

    const mark = writeMark();
    await h.deleteApplication('argocd', 'pr-5');
    await waitFor(async () => !(await h.application('argocd', 'pr-5')), 'the Application gone', 15_000);
    expect(writesSince(h.fleet.cluster('dev'), mark, { verb: 'delete' }).map((w) => `${w.kind}/${w.name}`)).toEqual(['ConfigMap/web', 'Namespace/pr-5']);
  });

  it('keeps a Namespace that existed before, deleting only the Application’s resources', async () => {
    await h.createApplication(preview('pr-6', 'team-shared'));
    await h.finished('argocd', 'pr-6');
    const mark = writeMark();
    await h.deleteApplication('argocd', 'pr-6');
    await waitFor(async () => !(await h.application('argocd', 'pr-6')), 'the Application gone', 15_000);
    expect(writesSince(h.fleet.cluster('dev'), mark, { verb: 'delete' }).map((w) => `${w.kind}/${w.name}`)).toEqual(['ConfigMap/web']);
    expect(live('Namespace', undefined, 'team-shared')?.metadata.deletionTimestamp).toBeUndefined();
  });

  it('an Application that is not a preview is left as before: nothing deleted on the cluster', async () => {
    await h.createApplication(preview('plain', 'plain', {}));
    await h.finished('argocd', 'plain');
    const mark = writeMark();
    await h.deleteApplication('argocd', 'plain');
    await new Promise((r) => setTimeout(r, 1500));
    expect(writesSince(h.fleet.cluster('dev'), mark, { verb: 'delete' })).toEqual([]);
    expect(live('Namespace', undefined, 'plain')).toBeDefined();
    expect((await h.application('argocd', 'plain'))?.metadata.deletionTimestamp).toBeDefined();
  });
});
