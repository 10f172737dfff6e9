import type { INestApplication } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAppConfig } from '../../src/config/app-config.js';
import { createControllerApp } from '../../src/app/app.module.js';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { silentLogger } from '../../src/observability/logger.js';
import { ControllerMetrics } from '../../src/observability/metrics.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';
import { TestRepository } from '../support/git-fixtures.js';
import * as k8s from '@kubernetes/client-node';

/** The whole Nest application (HTTP included) on the simulator: webhooks, probes, metrics, policies. */
let fleet: SimFleet;
let app: INestApplication;
let base: string;
let repo: TestRepository;
let kube: k8s.KubeConfig;
const SECRET = 'hook-s3cret';

const objects = () => k8s.KubernetesObjectApi.makeApiClient(kube);
const custom = () => kube.makeApiClient(k8s.CustomObjectsApi);
const live = async () =>
  ((await custom().listNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applications' })).items as any[])
    .filter((a) => !a.metadata.deletionTimestamp)
    .map((a) => a.metadata.name)
    .sort();

async function eventually(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An ApplicationSet in argocd as the API server has it now. */
const readAppSet = (name: string): Promise<any> =>
  custom().getNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applicationsets', name });
const apply = (name: string, spec: Record<string, unknown>, labels?: Record<string, string>) =>
  objects().patch(
    { apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', metadata: { name, namespace: 'argocd', labels }, spec } as any,
    undefined,
    undefined,
    'test',
    true,
    k8s.PatchStrategy.ServerSideApply,
  );

const listSpec = (elements: string[], syncPolicy?: Record<string, unknown>) => ({
  generators: [{ list: { elements: elements.map((e) => ({ e })) } }],
  template: {
    metadata: { name: '{{e}}' },
    spec: { project: 'default', source: { repoURL: 'r', path: '{{e}}' }, destination: { server: 'https://kubernetes.default.svc' } },
  },
  ...(syncPolicy ? { syncPolicy } : {}),
});

/** GitHub's push webhook for the main branch of the test's repository, signed with the secret unless given another signature. */
function pushToMain(signature?: string): Promise<Response> {
  const payload = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', repository: { html_url: 'https://git.example.com/apps', default_branch: 'main' } }));
  return fetch(`${base}/api/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-hub-signature-256': signature ?? `sha256=${createHmac('sha256', SECRET).update(payload).digest('hex')}`,
    },
    body: payload,
  });
}

beforeAll(async () => {
  repo = new TestRepository('apps');
  repo.commit({ 'apps/one/app.yaml': 'kind: ConfigMap\n' });
  process.env.REGATTA_GIT_CACHE_DIR = `${repo.root}/cache`;
  // The user's git configuration applies: the HTTPS URL users write is served from the test's repository.
  Object.assign(process.env, { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: `url.file://${repo.root}/.insteadOf`, GIT_CONFIG_VALUE_0: 'https://git.example.com/' });
  fleet = await SimFleet.start();
  const kubeConfig = kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'regatta' }));
  const config = loadAppConfig(
    [
      '--port',
      '0',
      '--webhook-github-secret',
      SECRET,
      '--max-delete-ratio',
      '0.5',
      '--allow-local-repositories=true',
      '--enable-progressive-syncs=true',
      // Pinned releases are then polled every --app-resync (180 s): only the webhook can show a push within the test.
      '--source-poll-seconds=0',
    ],
    {},
  );
  app = await createControllerApp({
    config,
    kubeConfig,
    logger: silentLogger,
    metrics: new ControllerMetrics({ appSetLabels: ['team', 'app.kubernetes.io/part-of'] }),
  });
  await app.listen(0, '127.0.0.1');
  base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  kube = new k8s.KubeConfig();
  kube.loadFromString(fleet.kubeconfig(undefined, { identity: 'test' }));
});

afterAll(async () => {
  await app.close();
  await fleet.stop();
  repo.dispose();
  for (const key of ['GIT_CONFIG_COUNT', 'GIT_CONFIG_KEY_0', 'GIT_CONFIG_VALUE_0']) delete process.env[key];
});

describe('the controller process', () => {
  it('answers health, readiness and Prometheus metrics', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await eventually(async () => (await fetch(`${base}/readyz`)).status === 200, 'readiness');
    await apply('metrics', listSpec(['m1']), { team: 'web' });
    await eventually(async () => (await live()).includes('m1'), 'm1');
    await eventually(
      async () => (await (await fetch(`${base}/metrics`)).text()).includes('argocd_appset_owned_applications{namespace="argocd",name="metrics"} 1'),
      'metrics',
    );
    const metrics = await (await fetch(`${base}/metrics`)).text();
    // As Argo CD: the ResourcesUpToDate condition's reason, and the labels --metrics-applicationset-labels names.
    expect(metrics).toContain('argocd_appset_info{namespace="argocd",name="metrics",resource_update_status="ApplicationSetUpToDate"} 1');
    expect(metrics).toContain('argocd_appset_labels{namespace="argocd",name="metrics",label_team="web",label_app_kubernetes_io_part_of=""} 1');
    expect(metrics).toContain('argocd_appset_reconcile_count{namespace="argocd",name="metrics"}');
  });

  it('adds an Application after a signed push webhook, without waiting for the requeue', async () => {
    await apply('from-git', {
      goTemplate: true,
      generators: [{ git: { repoURL: 'https://git.example.com/apps.git', revision: 'main', directories: [{ path: 'apps/*' }], requeueAfterSeconds: 3600 } }],
      template: {
        metadata: { name: 'git-{{.path.basename}}' },
        spec: {
          project: 'default',
          source: { repoURL: 'https://git.example.com/apps.git', path: '{{.path.path}}' },
          destination: { server: 'https://kubernetes.default.svc' },
        },
      },
    });
    await eventually(async () => (await live()).includes('git-one'), 'git-one');
    repo.commit({ 'apps/two/app.yaml': 'kind: ConfigMap\n' });
    expect((await pushToMain('sha256=00')).status).toBe(401);
    const good = await pushToMain();
    expect(good.status).toBe(200);
    expect(await good.json()).toEqual({ refreshed: 1 });
    await eventually(async () => (await live()).includes('git-two'), 'git-two after the webhook', 5000);
  });

  it('a push webhook shows a pinned RollingSync its new release at once', async () => {
    const before = repo.commit({ 'apps/one/app.yaml': 'kind: ConfigMap\nmetadata: {name: one}\n' });
    await apply('pinned', {
      goTemplate: true,
      generators: [{ list: { elements: [{ name: 'pinned-one' }] } }],
      strategy: { type: 'RollingSync', rollingSync: { pinRevisions: true, steps: [{ matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] }] } },
      template: {
        metadata: { name: '{{.name}}', labels: { env: 'prod' } },
        spec: {
          project: 'default',
          source: { repoURL: 'https://git.example.com/apps.git', path: 'apps/one', targetRevision: 'main' },
          destination: { server: 'https://kubernetes.default.svc' },
        },
      },
    });
    const release = async () => (await readAppSet('pinned')).status?.applicationStatus?.[0]?.targetRevisions?.[0];
    await eventually(async () => (await release()) === before, 'the release of the current commit');
    // Until the reconciles that creating the Application caused are over: none of them may happen to see the push.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const pushed = repo.commit({ 'apps/one/app.yaml': 'kind: ConfigMap\nmetadata: {name: two}\n' });
    expect((await pushToMain()).status).toBe(200);
    await eventually(async () => (await release()) === pushed, 'the pushed commit as the release', 5000);
  });

  it('honours each applicationsSync policy', async () => {
    await apply('only-create', listSpec(['c1', 'c2'], { applicationsSync: 'create-only' }));
    await eventually(async () => (await live()).includes('c2'), 'create-only creates');
    await apply('only-create', listSpec(['c1', 'c3'], { applicationsSync: 'create-only' }));
    await eventually(async () => (await live()).includes('c3'), 'create-only creates c3');
    expect(await live()).toContain('c2');

    await apply('no-delete', listSpec(['u1', 'u2'], { applicationsSync: 'create-update' }));
    await eventually(async () => (await live()).includes('u2'), 'create-update creates');
    await apply('no-delete', listSpec(['u1'], { applicationsSync: 'create-update' }));
    await new Promise((r) => setTimeout(r, 500));
    expect(await live()).toContain('u2');

    await apply('sync-all', listSpec(['s1', 's2', 's3', 's4']));
    await eventually(async () => (await live()).includes('s4'), 'sync creates');
    await apply('sync-all', listSpec(['s1', 's2', 's3']));
    await eventually(async () => !(await live()).includes('s4'), 'sync deletes s4');
  });

  it('holds a generation that would delete more than the allowed share, and says so', async () => {
    await apply('sync-all', listSpec(['s1']));
    await eventually(async () => {
      const appSet = await readAppSet('sync-all');
      return appSet.status?.conditions?.some((c: any) => c.type === 'ErrorOccurred' && c.reason === 'DeletionHeld');
    }, 'a DeletionHeld condition');
    expect(await live()).toEqual(expect.arrayContaining(['s1', 's2', 's3']));
  });
});
