import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateSimTls } from '../../src/sim/sim-tls.js';
import { ControllerHarness } from '../support/controller-harness.js';
import { FakePullRequestProviders, type ProviderPull } from '../support/fake-pull-request-providers.js';

const PASSWORD = 'bb-p4ssw0rd-in-a-secret';
const pulls: ProviderPull[] = [
  { repo: 'myrepository', number: 7, title: 'Login', branch: 'feature/login', target: 'main', sha: 'a'.repeat(40), labels: [], author: 'alice' },
  { repo: 'myrepository', number: 8, title: 'Docs', branch: 'docs', target: 'main', sha: 'b'.repeat(40), labels: [], author: 'bob' },
  { repo: 'myrepository', number: 9, title: 'Fix', branch: 'fix', target: 'main', sha: 'c'.repeat(40), labels: [], author: 'carol' },
];
const basic = `Basic ${Buffer.from(`myuser:${PASSWORD}`).toString('base64')}`;
let h: ControllerHarness;
let bitbucket: FakePullRequestProviders;

beforeAll(async () => {
  const tls = generateSimTls();
  bitbucket = await FakePullRequestProviders.start(pulls, [basic], tls);
  h = await ControllerHarness.start();
  await h.core.createNamespacedSecret({ namespace: 'argocd', body: { metadata: { name: 'bitbucket-password' }, stringData: { password: PASSWORD } } });
  await h.core.createNamespacedConfigMap({ namespace: 'argocd', body: { metadata: { name: 'bitbucket-ca' }, data: { 'ca.crt': tls.caPem } } });
});
afterAll(async () => {
  await h?.stop();
  await bitbucket?.stop();
});

/** Previews of every open pull request of PROJ/myrepository, the server's CA under `caKey` of ConfigMap bitbucket-ca. */
const previews = (caKey: string) =>
  h.applyAppSet({
    metadata: { name: 'previews' },
    spec: {
      goTemplate: true,
      generators: [
        {
          pullRequest: {
            bitbucketServer: {
              project: 'PROJ',
              repo: 'myrepository',
              api: bitbucket.base,
              basicAuth: { username: 'myuser', passwordRef: { secretName: 'bitbucket-password', key: 'password' } },
              caRef: { configMapName: 'bitbucket-ca', key: caKey },
            },
          },
        },
      ],
      template: {
        metadata: { name: 'preview-{{.branch_slug}}-{{.number}}' },
        spec: {
          project: 'default',
          source: { repoURL: 'https://example.com/myrepository.git', targetRevision: '{{.head_sha}}', path: 'deploy' },
          destination: { server: 'https://kubernetes.default.svc', namespace: 'preview-{{.number}}' },
        },
      },
    },
  });

it("generates an Application per open Bitbucket Server pull request, the password read from a Secret and the self-signed server trusted through caRef's ConfigMap", async () => {
  await previews('ca.crt');
  const names = await h.eventually(async () => {
    const found = (await h.applications()).map((a) => `${a.metadata.name}@${a.spec.source.targetRevision}`).sort();
    return found.length === 3 && found;
  }, 'three preview Applications');
  expect(names).toEqual([`preview-docs-8@${'b'.repeat(40)}`, `preview-feature-login-7@${'a'.repeat(40)}`, `preview-fix-9@${'c'.repeat(40)}`]);
  expect(bitbucket.requests.length).toBeGreaterThanOrEqual(2);
  expect(bitbucket.requests.every((r) => r.authorization === basic)).toBe(true);
});

it('reports a wrong caRef key on the ApplicationSet, keeping its Applications', async () => {
  await previews('missing.crt');
  const condition = await h.eventually(async () => {
    const appSet = await h.appSet('previews');
    const errorCondition = (appSet.status?.conditions ?? []).find((c: any) => c.type === 'ErrorOccurred' && c.status === 'True');
    return errorCondition?.message.includes('missing.crt') && errorCondition;
  }, 'an ErrorOccurred condition');
  expect(condition.message).toContain('error fetching CA certificates from ConfigMap: key missing.crt not found in ConfigMap bitbucket-ca');
  expect(condition.message).not.toContain(PASSWORD);
  expect((await h.applications()).map((a) => a.metadata.name).sort()).toEqual(['preview-docs-8', 'preview-feature-login-7', 'preview-fix-9']);
});
