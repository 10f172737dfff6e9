import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimFleet } from '../../src/sim/sim-fleet.js';

/** The simulator, driven only through @kubernetes/client-node, as a controller would. */
let fleet: SimFleet;
let config: k8s.KubeConfig;

beforeAll(async () => {
  fleet = await SimFleet.start({ clusters: [{ name: 'prod-eu-1', labels: { env: 'prod' } }] });
  config = new k8s.KubeConfig();
  config.loadFromString(fleet.kubeconfig());
});
afterAll(async () => {
  await fleet.stop();
});

const waitFor = async (check: () => boolean, ms = 5000) => {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('SimFleet through @kubernetes/client-node', () => {
  it('creates, reads, lists with selectors, conflicts and deletes', async () => {
    const core = config.makeApiClient(k8s.CoreV1Api);
    const created = await core.createNamespacedConfigMap({ namespace: 'argocd', body: { metadata: { name: 'a', labels: { team: 'x' } }, data: { k: 'v' } } });
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.metadata?.resourceVersion).toBeTruthy();
    await core.createNamespacedConfigMap({ namespace: 'argocd', body: { metadata: { name: 'b', labels: { team: 'y' } } } });
    const list = await core.listNamespacedConfigMap({ namespace: 'argocd', labelSelector: 'team in (x)' });
    expect(list.items.map((c) => c.metadata?.name)).toEqual(['a']);
    await expect(core.createNamespacedConfigMap({ namespace: 'argocd', body: { metadata: { name: 'a' } } })).rejects.toMatchObject({ code: 409 });
    const stale = { ...created, data: { k: 'changed' } };
    await core.replaceNamespacedConfigMap({ name: 'a', namespace: 'argocd', body: { ...created, data: { k: 'v2' } } });
    await expect(core.replaceNamespacedConfigMap({ name: 'a', namespace: 'argocd', body: stale })).rejects.toMatchObject({ code: 409 });
    await expect(core.createNamespacedConfigMap({ namespace: 'argocd', body: { metadata: { name: 'bad', labels: { x: 'not valid!' } } } })).rejects.toMatchObject({ code: 422 });
    await core.deleteNamespacedConfigMap({ name: 'b', namespace: 'argocd' });
    await expect(core.readNamespacedConfigMap({ name: 'b', namespace: 'argocd' })).rejects.toMatchObject({ code: 404 });
  });

  it('refuses a missing or wrong token with 401', async () => {
    const stranger = new k8s.KubeConfig();
    stranger.loadFromString(fleet.kubeconfig().replace(/token: .*/, 'token: wrong'));
    await expect(stranger.makeApiClient(k8s.CoreV1Api).listNamespacedSecret({ namespace: 'argocd' })).rejects.toMatchObject({ code: 401 });
  });

  it('server-side applies with field managers, conflicts and force', async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(config);
    const app = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'guestbook', namespace: 'argocd' }, spec: { project: 'default', destination: { namespace: 'a' } } };
    const first = (await objects.patch(app, undefined, undefined, 'regatta', true, k8s.PatchStrategy.ServerSideApply)) as k8s.KubernetesObject;
    expect(first.metadata?.managedFields?.map((m) => [m.manager, m.operation])).toEqual([['regatta', 'Apply']]);
    const again = (await objects.patch(app, undefined, undefined, 'regatta', true, k8s.PatchStrategy.ServerSideApply)) as k8s.KubernetesObject;
    expect(again.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    const other = { ...app, spec: { project: 'other' } };
    await expect(objects.patch(other, undefined, undefined, 'someone-else', false, k8s.PatchStrategy.ServerSideApply)).rejects.toMatchObject({ code: 409 });
    const forced = (await objects.patch(other, undefined, undefined, 'someone-else', true, k8s.PatchStrategy.ServerSideApply)) as any;
    expect(forced.spec.project).toBe('other');
    expect(forced.metadata.managedFields.map((m: any) => m.manager).sort()).toEqual(['regatta', 'someone-else']);
    // regatta stops applying destination, which nobody else owns: it goes; project stays someone-else's.
    const dropped = (await objects.patch({ ...app, spec: { project: 'other' } }, undefined, undefined, 'regatta', true, k8s.PatchStrategy.ServerSideApply)) as any;
    expect(dropped.spec).toEqual({ project: 'other' });
  });

  it('merge-patches the status subresource only, and ignores status on the main endpoint', async () => {
    const custom = config.makeApiClient(k8s.CustomObjectsApi);
    await custom.createNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applicationsets', body: { apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', metadata: { name: 's' }, spec: { generators: [] }, status: { ignored: true } } });
    const patched = await custom.patchNamespacedCustomObjectStatus(
      { group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applicationsets', name: 's', body: { status: { conditions: [{ type: 'X' }] }, spec: { generators: [{ list: {} }] } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(patched.status).toEqual({ conditions: [{ type: 'X' }] });
    expect(patched.spec).toEqual({ generators: [] });
  });

  it('feeds an informer, which relists after 410 Gone', async () => {
    const small = await SimFleet.start({ watchHistory: 3 });
    try {
      const kc = new k8s.KubeConfig();
      kc.loadFromString(small.kubeconfig());
      const core = kc.makeApiClient(k8s.CoreV1Api);
      const informer = k8s.makeInformer(kc, '/api/v1/namespaces/argocd/secrets', () => core.listNamespacedSecret({ namespace: 'argocd' }));
      const seen = new Set<string>();
      informer.on('add', (s) => seen.add(s.metadata!.name!));
      await informer.start();
      await core.createNamespacedSecret({ namespace: 'argocd', body: { metadata: { name: 's1' } } });
      await waitFor(() => seen.has('s1'));
      small.fault('management', { closeWatchesAfterMs: 50 });
      for (let i = 2; i <= 8; i++) await core.createNamespacedSecret({ namespace: 'argocd', body: { metadata: { name: `s${i}` } } });
      small.clearFaults('management');
      await waitFor(() => informer.list().length === 8);
      expect(informer.list().map((s) => s.metadata!.name).sort()).toEqual(['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8']);
      await informer.stop();
    } finally {
      await small.stop();
    }
  });

  it('garbage-collects dependents and honours finalizers', async () => {
    const custom = config.makeApiClient(k8s.CustomObjectsApi);
    const owner = await custom.createNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applicationsets', body: { apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', metadata: { name: 'owner' }, spec: {} } });
    const ref = { apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', name: 'owner', uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true };
    await custom.createNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applications', body: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'child', ownerReferences: [ref], finalizers: ['resources-finalizer.argocd.argoproj.io'] }, spec: {} } });
    await custom.deleteNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applicationsets', name: 'owner' });
    const child = await custom.getNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applications', name: 'child' });
    expect(child.metadata.deletionTimestamp).toBeTruthy();
    await custom.patchNamespacedCustomObject(
      { group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applications', name: 'child', body: { metadata: { finalizers: null } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await expect(custom.getNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applications', name: 'child' })).rejects.toMatchObject({ code: 404 });
  });
});

describe('SimFleet over HTTPS, with workloads', () => {
  it('verifies TLS against its CA, registers clusters with caData, and makes Deployments ready or failed', async () => {
    const secure = await SimFleet.start({ https: true, clusters: [{ name: 'edge-1' }], readyDelayMs: 20 });
    try {
      const kc = new k8s.KubeConfig();
      kc.loadFromString(secure.kubeconfig('edge-1'));
      expect(kc.getCurrentCluster()?.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/clusters\/edge-1$/);
      expect(kc.getCurrentCluster()?.skipTLSVerify).toBeFalsy();
      const apps = kc.makeApiClient(k8s.AppsV1Api);
      const deployment = (name: string, image: string) => ({ metadata: { name }, spec: { replicas: 2, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } } } });
      await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web', 'nginx:1.27') });
      await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('broken', 'registry/fail:1') });
      await waitFor(() => secure.cluster('edge-1').list(secure.cluster('edge-1').typeForKind('apps/v1', 'Deployment')!).every((d) => d.status?.observedGeneration === 1));
      const web = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' });
      expect(web.status).toMatchObject({ readyReplicas: 2, availableReplicas: 2, updatedReplicas: 2 });
      const broken = await apps.readNamespacedDeployment({ name: 'broken', namespace: 'default' });
      expect(broken.status?.conditions?.[0]).toMatchObject({ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' });
      const secret = secure.clusterSecret('edge-1');
      const config = JSON.parse(Buffer.from(secret.data!.config, 'base64').toString('utf8'));
      expect(config.tlsClientConfig.insecure).toBe(false);
      expect(Buffer.from(config.tlsClientConfig.caData, 'base64').toString('utf8')).toContain('BEGIN CERTIFICATE');
    } finally {
      await secure.stop();
    }
  });
});
