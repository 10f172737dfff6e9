import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerHarness } from '../support/controller-harness.js';
import { FakeScm } from '../support/fake-scm.js';

/** PR previews' state posted back to their pull requests as commit statuses, against the simulator and a fake GitHub/GitLab/Gitea. */
const TOKEN = 'scmT0kenThatMustNotLeak';
const SHA = 'abcdef0123456789abcdef0123456789abcdef01';

let scm: FakeScm;
let h: ControllerHarness;

const providers = (provider: 'github' | 'gitlab' | 'gitea', withToken: boolean) => {
  const tokenRef = withToken ? { tokenRef: { secretName: 'scm-token', key: 'token' } } : {};
  if (provider === 'github') return { github: { owner: 'myorg', repo: 'app', api: `${scm.base}/api/v3`, ...tokenRef } };
  if (provider === 'gitea') return { gitea: { owner: 'myorg', repo: 'app', api: scm.base, ...tokenRef } };
  return { gitlab: { project: 'myorg/app', api: scm.base, ...tokenRef } };
};

const previews = (name: string, provider: 'github' | 'gitlab' | 'gitea', withToken = true) => ({
  metadata: { name, annotations: { 'regatta.dev/preview-status': 'true' } },
  spec: {
    goTemplate: true,
    generators: [{ pullRequest: { requeueAfterSeconds: 1, ...providers(provider, withToken) } }],
    template: {
      metadata: { name: `${name}-{{.number}}`, annotations: { 'regatta.dev/preview-url': `https://pr-{{.number}}.${name}.example.com` } },
      spec: {
        project: 'default',
        source: { repoURL: 'https://git.example.com/apps.git', path: 'preview', targetRevision: '{{.head_sha}}' },
        destination: { server: 'https://kubernetes.default.svc', namespace: `${name}-{{.number}}` },
      },
    },
  },
});

/** What the application controller would write: the Application's sync status and health. */
const setState = (name: string, sync: string, health: string) =>
  h.custom.patchNamespacedCustomObjectStatus(
    {
      group: 'argoproj.io',
      version: 'v1alpha1',
      namespace: 'argocd',
      plural: 'applications',
      name,
      body: { status: { sync: { status: sync }, health: { status: health } } },
    },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );

const postedFor = (path: string) => scm.statuses.filter((s) => s.url.includes(path));

beforeAll(async () => {
  scm = await FakeScm.start([{ number: 9, title: 'Preview', branch: 'feature', target: 'main', sha: SHA, labels: [], author: 'alice' }]);
  h = await ControllerHarness.start({ argv: ['--allow-local-repositories=true'] });
  await h.core.createNamespacedSecret({
    namespace: 'argocd',
    body: { metadata: { name: 'scm-token', namespace: 'argocd' }, data: { token: Buffer.from(TOKEN).toString('base64') } },
  });
});
afterAll(async () => {
  await h?.stop();
  await scm?.stop();
});

describe('regatta.dev/preview-status', () => {
  const cases = [
    {
      provider: 'github' as const,
      path: `/api/v3/repos/myorg/app/statuses/${SHA}`,
      auth: (s: (typeof scm.statuses)[number]) => s.authorization,
      credential: `Bearer ${TOKEN}`,
      states: ['pending', 'success', 'failure'],
      label: 'context',
    },
    {
      provider: 'gitea' as const,
      path: `/api/v1/repos/myorg/app/statuses/${SHA}`,
      auth: (s: (typeof scm.statuses)[number]) => s.authorization,
      credential: `token ${TOKEN}`,
      states: ['pending', 'success', 'failure'],
      label: 'context',
    },
    {
      provider: 'gitlab' as const,
      path: `/api/v4/projects/myorg%2Fapp/statuses/${SHA}`,
      auth: (s: (typeof scm.statuses)[number]) => s.privateToken,
      credential: TOKEN,
      states: ['pending', 'success', 'failed'],
      label: 'name',
    },
  ];
  for (const { provider, path, auth, credential, states, label } of cases) {
    it(`${provider}: posts the preview's state and URL on the head commit once per change, with the generator's token`, async () => {
      const name = `st-${provider}`;
      await h.applyAppSet(previews(name, provider));
      await h.eventually(async () => (await h.applications()).some((a) => a.metadata.name === `${name}-9`), 'the preview');
      await setState(`${name}-9`, 'OutOfSync', 'Missing');
      await h.eventually(async () => postedFor(path).length >= 1, 'the pending status');
      await setState(`${name}-9`, 'Synced', 'Healthy');
      await h.eventually(async () => postedFor(path).length >= 2, 'the success status');
      await setState(`${name}-9`, 'Synced', 'Degraded');
      await h.eventually(async () => postedFor(path).length >= 3, 'the failure status');
      // Reconciles with nothing new (the generator requeues every second) post nothing more.
      await new Promise((r) => setTimeout(r, 2500));
      const posted = postedFor(path);
      expect(posted.map((s) => s.body.state)).toEqual(states);
      expect(posted[1].body).toMatchObject({
        [label]: `regatta/${name}`,
        target_url: `https://pr-9.${name}.example.com/`,
        description: 'Synced and Healthy',
      });
      expect(posted.every((s) => auth(s) === credential)).toBe(true);
    });
  }

  it('posts nothing for a generator without a token, and the token appears in no Event', async () => {
    await h.applyAppSet(previews('st-anonymous', 'github', false));
    await h.eventually(async () => (await h.applications()).some((a) => a.metadata.name === 'st-anonymous-9'), 'the preview');
    const before = scm.statuses.length;
    await setState('st-anonymous-9', 'Synced', 'Healthy');
    await h.settle();
    await new Promise((r) => setTimeout(r, 1500));
    expect(scm.statuses.slice(before).filter((s) => s.body.context === 'regatta/st-anonymous')).toEqual([]);
    const events = (await h.core.listNamespacedEvent({ namespace: 'argocd' })).items.map((e) => e.message ?? '');
    expect(events.some((m) => m.includes(TOKEN))).toBe(false);
  });

  it('a failed post is a Warning Event naming the Application, and is tried again', async () => {
    await h.applyAppSet(previews('st-failing', 'github'));
    await h.eventually(async () => (await h.applications()).some((a) => a.metadata.name === 'st-failing-9'), 'the preview');
    scm.behaviour = { statusPostAnswer: 500 };
    try {
      await setState('st-failing-9', 'Synced', 'Healthy');
      const warning = await h.eventually(
        async () =>
          (await h.core.listNamespacedEvent({ namespace: 'argocd' })).items.find(
            (e) => e.reason === 'PreviewStatusError' && e.message?.includes('st-failing-9'),
          ),
        'the Warning',
      );
      expect(warning.message).toBe(
        `failed to post the commit status of Application "st-failing-9" on ${SHA.slice(0, 12)}: commit status for ${SHA.slice(0, 12)}: 500 Internal Server Error`,
      );
    } finally {
      scm.behaviour = {};
    }
    await h.eventually(async () => scm.statuses.some((s) => s.body.context === 'regatta/st-failing'), 'the retried post');
  });
});
