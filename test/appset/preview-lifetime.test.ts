import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerHarness } from '../support/controller-harness.js';
import { FakeScm, type FakePull } from '../support/fake-scm.js';

/** PR previews kept for `regatta.dev/preview-ttl` after their pull request closes, against the simulator and a fake GitHub. */
const pull = (number: number): FakePull => ({
  number,
  title: `PR ${number}`,
  branch: `feature-${number}`,
  target: 'main',
  sha: String(number).repeat(40).slice(0, 40),
  labels: [],
  author: 'alice',
});

let scm: FakeScm;
let h: ControllerHarness;
const pulls: FakePull[] = [];

const previews = (name: string, ttl?: string, where: 'appset' | 'template' = 'template') => ({
  metadata: { name, ...(ttl !== undefined && where === 'appset' ? { annotations: { 'regatta.dev/preview-ttl': ttl } } : {}) },
  spec: {
    goTemplate: true,
    generators: [{ pullRequest: { requeueAfterSeconds: 1, github: { owner: 'myorg', repo: 'app', api: `${scm.base}/api/v3` } } }],
    template: {
      metadata: { name: `${name}-{{.number}}`, ...(ttl !== undefined && where === 'template' ? { annotations: { 'regatta.dev/preview-ttl': ttl } } : {}) },
      spec: {
        project: 'default',
        source: { repoURL: 'https://git.example.com/apps.git', path: 'preview', targetRevision: '{{.head_sha}}' },
        destination: { server: 'https://kubernetes.default.svc', namespace: `${name}-{{.number}}` },
      },
    },
  },
});

const application = async (name: string) => (await h.applications()).find((a) => a.metadata.name === name);
/** Deleted: gone, or waiting on its resources finalizer (no application controller runs here). */
const deleted = async (name: string) => {
  const app = await application(name);
  return !app || app.metadata.deletionTimestamp !== undefined;
};
const events = async (reason: string) =>
  (await h.core.listNamespacedEvent({ namespace: 'argocd' })).items.filter((e) => e.reason === reason).map((e) => e.message ?? '');

beforeAll(async () => {
  scm = await FakeScm.start(pulls);
  h = await ControllerHarness.start({ argv: ['--allow-local-repositories=true'] });
});
afterAll(async () => {
  await h?.stop();
  await scm?.stop();
});

describe('regatta.dev/preview-ttl', () => {
  it('keeps a closed PR’s Application until the TTL passes, says so, then deletes it', async () => {
    pulls.splice(0, pulls.length, pull(1), pull(2));
    await h.applyAppSet(previews('ttl', '3s', 'template'));
    await h.eventually(async () => (await application('ttl-1')) && (await application('ttl-2')), 'both previews');

    pulls.splice(0, 1); // PR 1 merged
    const marked = await h.eventually(async () => (await application('ttl-1'))?.metadata.annotations?.['regatta.dev/preview-expires-at'], 'the expiry mark');
    const closedAt = Date.now();
    expect(Date.parse(marked) - closedAt).toBeGreaterThan(1000);
    expect(Date.parse(marked) - closedAt).toBeLessThanOrEqual(3000);
    const status = await h.eventually(async () => (await h.appSet('ttl')).status?.previews, 'status.previews');
    expect(status).toEqual([{ application: 'ttl-1', expiresAt: marked }]);
    expect(await events('PreviewKept')).toContainEqual(`Keeping preview Application "ttl-1" until ${marked}: its pull request is no longer generated`);
    expect((await h.appSet('ttl')).status.resources.map((r: any) => r.name)).toContain('ttl-1');

    await h.eventually(async () => await deleted('ttl-1'), 'the expired preview gone', 8_000);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(marked));
    expect(await deleted('ttl-2')).toBe(false);
    expect(await events('PreviewExpired')).toContainEqual('Preview Application "ttl-1" expired: deleting it');
    await h.eventually(async () => (await h.appSet('ttl')).status?.previews === undefined, 'status.previews cleared');
  });

  it('a reopened PR keeps its Application and loses the mark; without the annotation a closed PR’s Application goes at once', async () => {
    pulls.splice(0, pulls.length, pull(3));
    await h.applyAppSet(previews('reopen', '1h', 'appset'));
    await h.eventually(async () => application('reopen-3'), 'the preview');
    pulls.splice(0, 1);
    await h.eventually(async () => (await application('reopen-3'))?.metadata.annotations?.['regatta.dev/preview-expires-at'], 'the expiry mark');
    pulls.push(pull(3)); // reopened
    await h.eventually(async () => {
      const app = await application('reopen-3');
      return app && app.metadata.annotations?.['regatta.dev/preview-expires-at'] === undefined;
    }, 'the mark removed');
    expect(await events('PreviewRevived')).toContainEqual('Preview Application "reopen-3" is generated again: no longer expiring');

    await h.applyAppSet(previews('plain'));
    await h.eventually(async () => application('plain-3'), 'the plain Application');
    pulls.splice(0, 1);
    await h.eventually(async () => await deleted('plain-3'), 'deleted at once');
    expect(await deleted('reopen-3')).toBe(false);
  });

  it('an invalid TTL deletes nothing and says which field is wrong', async () => {
    pulls.splice(0, pulls.length, pull(4));
    await h.applyAppSet(previews('bad', 'two hours', 'template'));
    await h.eventually(async () => application('bad-4'), 'the preview');
    pulls.splice(0, 1);
    const [message] = await h.eventually(async () => {
      const found = (await events('PreviewTTLError')).filter((m) => m.includes('two hours'));
      return found.length > 0 && found;
    }, 'the TTL error');
    expect(message).toBe(
      'spec.template.metadata.annotations[regatta.dev/preview-ttl]: time: invalid duration "two hours"; the previews it covers are kept until it is fixed',
    );
    await h.settle();
    expect(await deleted('bad-4')).toBe(false);
  });
});
