import { describe, expect, it } from 'vitest';
import { APPLIED_HASH_ANNOTATION } from '../../src/api/annotations.js';
import type { Application } from '../../src/api/application.js';
import type { ApplicationSet } from '../../src/api/application-set.js';
import { diffGeneration } from '../../src/appset/generation-diff.js';
import { planReconcile } from '../../src/appset/plan.js';

const appSet = (uid = 'uid-1'): ApplicationSet => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'ApplicationSet',
  metadata: { name: 'guestbook', namespace: 'argocd', uid },
  spec: { generators: [], template: { metadata: {}, spec: { project: 'default', destination: {} } } },
});

const desired = (name: string, revision = 'HEAD'): Application => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name, namespace: 'argocd', labels: { team: 'a' } },
  spec: {
    project: 'default',
    source: { repoURL: 'https://git/r.git', path: name, targetRevision: revision },
    destination: { server: 'https://kubernetes.default.svc', namespace: name },
  },
});

/** What the API server holds once the reconciler applied `application`, after `change` by someone else. */
const live = (application: Application, change: (a: Application) => void = () => {}): Application => {
  const body = structuredClone(planReconcile(appSet(), [application], [], { policy: 'sync' }).changes[0].application);
  change(body);
  return body;
};

describe('diffGeneration', () => {
  it("lists each field the update would write: changed, another writer's spec field removed, a generated label restored", () => {
    const drifted = live(desired('a'), (a) => {
      a.spec.syncPolicy = { automated: { prune: true } };
      a.metadata.labels = { team: 'b', owner: 'someone' };
    });
    const diff = diffGeneration(appSet(), [desired('a', 'v2')], [drifted], { policy: 'sync' });
    expect(diff.updates).toEqual([
      {
        name: 'a',
        fields: [
          { path: 'metadata.labels.team', before: 'b', after: 'a' },
          { path: 'spec.source.targetRevision', before: 'HEAD', after: 'v2' },
          { path: 'spec.syncPolicy.automated.prune', before: true },
        ],
      },
    ]);
    expect([diff.creates, diff.deletes, diff.unchanged]).toEqual([[], [], 0]);
  });

  it("leaves labels the template does not set alone, and names the applied hash when it alone changes (the ApplicationSet's uid)", () => {
    const labelled = live(desired('a'), (a) => (a.metadata.labels = { team: 'a', owner: 'someone' }));
    expect(diffGeneration(appSet(), [desired('a')], [labelled], { policy: 'sync' }).unchanged).toBe(1);

    const recreated = diffGeneration(appSet('uid-2'), [desired('a')], [labelled], { policy: 'sync' });
    expect(recreated.updates).toEqual([
      {
        name: 'a',
        fields: [
          {
            path: `metadata.annotations["${APPLIED_HASH_ANNOTATION}"]`,
            before: labelled.metadata.annotations![APPLIED_HASH_ANNOTATION],
            after: expect.stringMatching(/^[0-9a-f]{20}$/),
          },
        ],
      },
    ]);
  });

  it('counts Applications already being deleted apart, and deletes only those not being deleted', () => {
    const going = live(desired('old'), (a) => (a.metadata.deletionTimestamp = '2026-01-01T00:00:00Z'));
    const stale = live(desired('stale'));
    const diff = diffGeneration(appSet(), [desired('a')], [going, stale], { policy: 'sync' });
    expect([diff.creates, diff.deletes, diff.unchanged, diff.deleting]).toEqual([[{ name: 'a' }], [{ name: 'stale', cascades: false }], 0, 1]);
  });
});
