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
    await expect(
      core.createNamespacedConfigMap({ namespace: 'argocd', body: { metadata: { name: 'bad', labels: { x: 'not valid!' } } } }),
    ).rejects.toMatchObject({ code: 422 });
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
    const app = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'guestbook', namespace: 'argocd' },
      spec: { project: 'default', destination: { namespace: 'a' } },
    };
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
    const dropped = (await objects.patch(
      { ...app, spec: { project: 'other' } },
      undefined,
      undefined,
      'regatta',
      true,
      k8s.PatchStrategy.ServerSideApply,
    )) as any;
    expect(dropped.spec).toEqual({ project: 'other' });
  });

  it('merge-patches the status subresource only, and ignores status on the main endpoint', async () => {
    const custom = config.makeApiClient(k8s.CustomObjectsApi);
    await custom.createNamespacedCustomObject({
      group: 'argoproj.io',
      version: 'v1alpha1',
      namespace: 'argocd',
      plural: 'applicationsets',
      body: { apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', metadata: { name: 's' }, spec: { generators: [] }, status: { ignored: true } },
    });
    const patched = await custom.patchNamespacedCustomObjectStatus(
      {
        group: 'argoproj.io',
        version: 'v1alpha1',
        namespace: 'argocd',
        plural: 'applicationsets',
        name: 's',
        body: { status: { conditions: [{ type: 'X' }] }, spec: { generators: [{ list: {} }] } },
      },
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
      expect(
        informer
          .list()
          .map((s) => s.metadata!.name)
          .sort(),
      ).toEqual(['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8']);
      await informer.stop();
    } finally {
      await small.stop();
    }
  });

  it('garbage-collects dependents and honours finalizers', async () => {
    const custom = config.makeApiClient(k8s.CustomObjectsApi);
    const owner = await custom.createNamespacedCustomObject({
      group: 'argoproj.io',
      version: 'v1alpha1',
      namespace: 'argocd',
      plural: 'applicationsets',
      body: { apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', metadata: { name: 'owner' }, spec: {} },
    });
    const ref = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'ApplicationSet',
      name: 'owner',
      uid: owner.metadata.uid,
      controller: true,
      blockOwnerDeletion: true,
    };
    await custom.createNamespacedCustomObject({
      group: 'argoproj.io',
      version: 'v1alpha1',
      namespace: 'argocd',
      plural: 'applications',
      body: {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: 'child', ownerReferences: [ref], finalizers: ['resources-finalizer.argocd.argoproj.io'] },
        spec: {},
      },
    });
    await custom.deleteNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applicationsets', name: 'owner' });
    const child = await custom.getNamespacedCustomObject({
      group: 'argoproj.io',
      version: 'v1alpha1',
      namespace: 'argocd',
      plural: 'applications',
      name: 'child',
    });
    expect(child.metadata.deletionTimestamp).toBeTruthy();
    await custom.patchNamespacedCustomObject(
      { group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applications', name: 'child', body: { metadata: { finalizers: null } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await expect(
      custom.getNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applications', name: 'child' }),
    ).rejects.toMatchObject({ code: 404 });
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
      const deployment = (name: string, image: string) => ({
        metadata: { name },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: name } },
          template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
        },
      });
      await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web', 'nginx:1.27') });
      await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('broken', 'registry/fail:1') });
      await waitFor(() =>
        secure
          .cluster('edge-1')
          .list(secure.cluster('edge-1').typeForKind('apps/v1', 'Deployment')!)
          .every((d) => d.status?.observedGeneration === 1),
      );
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

describe('SimFleet protocol details', () => {
  it('applies JSON patches and strategic merge patches with list merge keys', async () => {
    const apps = config.makeApiClient(k8s.AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: 'argocd',
      body: {
        metadata: { name: 'patched' },
        spec: {
          selector: { matchLabels: { a: 'b' } },
          template: {
            metadata: { labels: { a: 'b' } },
            spec: {
              containers: [
                { name: 'app', image: 'nginx:1', env: [{ name: 'A', value: '1' }] },
                { name: 'side', image: 'busybox' },
              ],
            },
          },
        },
      },
    });
    const strategic = await apps.patchNamespacedDeployment(
      {
        name: 'patched',
        namespace: 'argocd',
        body: {
          spec: {
            template: {
              spec: {
                containers: [
                  { name: 'app', image: 'nginx:2' },
                  { name: 'side', $patch: 'delete' },
                ],
              },
            },
          },
        },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    expect(strategic.spec?.template.spec?.containers.map((c) => [c.name, c.image, c.env?.length])).toEqual([['app', 'nginx:2', 1]]);
    expect(strategic.metadata?.generation).toBe(2);
    const json = await apps.patchNamespacedDeployment(
      {
        name: 'patched',
        namespace: 'argocd',
        body: [
          { op: 'add', path: '/metadata/labels', value: { tier: 'web' } },
          { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'nginx:3' },
        ],
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    expect([json.metadata?.labels, json.spec?.template.spec?.containers[0].image]).toEqual([{ tier: 'web' }, 'nginx:3']);
    const labelsOnly = await apps.patchNamespacedDeployment(
      { name: 'patched', namespace: 'argocd', body: { metadata: { labels: { tier: 'api' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(labelsOnly.metadata?.generation).toBe(3);
    await expect(
      apps.patchNamespacedDeployment(
        { name: 'patched', namespace: 'argocd', body: [{ op: 'remove', path: '/spec/nothing' }] },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
      ),
    ).rejects.toMatchObject({ code: 422 });
  });

  it('pages lists with limit and continue, and filters by field selector', async () => {
    const core = config.makeApiClient(k8s.CoreV1Api);
    for (let i = 0; i < 5; i++) await core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: `sa-${i}` } } });
    const first = await core.listNamespacedServiceAccount({ namespace: 'default', limit: 2 });
    expect(first.items.map((s) => s.metadata?.name)).toEqual(['sa-0', 'sa-1']);
    expect(first.metadata?.remainingItemCount).toBe(3);
    const second = await core.listNamespacedServiceAccount({ namespace: 'default', limit: 2, _continue: first.metadata?._continue });
    expect(second.items.map((s) => s.metadata?.name)).toEqual(['sa-2', 'sa-3']);
    const byName = await core.listNamespacedServiceAccount({ namespace: 'default', fieldSelector: 'metadata.name=sa-4' });
    expect(byName.items.map((s) => s.metadata?.name)).toEqual(['sa-4']);
  });

  it('streams watch events and bookmarks, and answers 410 for a resourceVersion out of the window', async () => {
    const small = await SimFleet.start({ watchHistory: 2 });
    try {
      const kc = new k8s.KubeConfig();
      kc.loadFromString(small.kubeconfig());
      const core = kc.makeApiClient(k8s.CoreV1Api);
      const list = await core.listNamespacedConfigMap({ namespace: 'argocd' });
      const seen: string[] = [];
      const watch = await new k8s.Watch(kc).watch(
        '/api/v1/namespaces/argocd/configmaps',
        { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
        (type, obj) => seen.push(`${type}:${obj.metadata?.name ?? ''}`),
        () => {},
      );
      await core.createNamespacedConfigMap({ namespace: 'argocd', body: { metadata: { name: 'w1' } } });
      await core.deleteNamespacedConfigMap({ name: 'w1', namespace: 'argocd' });
      await waitFor(() => seen.includes('DELETED:w1') && seen.some((s) => s.startsWith('BOOKMARK')), 3000);
      expect(seen.filter((s) => !s.startsWith('BOOKMARK'))).toEqual(['ADDED:w1', 'DELETED:w1']);
      watch.abort();
      for (let i = 0; i < 4; i++) await core.createNamespacedConfigMap({ namespace: 'argocd', body: { metadata: { name: `x${i}` } } });
      const errors: number[] = [];
      await new k8s.Watch(kc).watch(
        '/api/v1/namespaces/argocd/configmaps',
        { resourceVersion: list.metadata?.resourceVersion },
        (type, obj: any) => type === 'ERROR' && errors.push(obj.code),
        () => {},
      );
      await waitFor(() => errors.length > 0);
      expect(errors).toEqual([410]);
    } finally {
      await small.stop();
    }
  });

  it('serves the kinds of a CustomResourceDefinition once it is created', async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(config);
    await objects.create({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { kind: 'Widget', plural: 'widgets', singular: 'widget' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
      },
    } as k8s.KubernetesObject);
    await objects.create({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'argocd' } } as k8s.KubernetesObject);
    const read = await objects.read({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'argocd' } });
    expect(read.metadata?.uid).toBeTruthy();
  });

  it('deletes in the foreground: the owner waits for its dependents', async () => {
    const core = config.makeApiClient(k8s.CoreV1Api);
    const owner = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'fg-owner' } } });
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'fg-owner', uid: owner.metadata!.uid!, blockOwnerDeletion: true };
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'fg-child', ownerReferences: [ref], finalizers: ['example.com/hold'] } },
    });
    await core.deleteNamespacedConfigMap({ name: 'fg-owner', namespace: 'default', propagationPolicy: 'Foreground' });
    expect((await core.readNamespacedConfigMap({ name: 'fg-owner', namespace: 'default' })).metadata?.finalizers).toEqual(['foregroundDeletion']);
    await core.patchNamespacedConfigMap(
      { name: 'fg-child', namespace: 'default', body: { metadata: { finalizers: null } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await expect(core.readNamespacedConfigMap({ name: 'fg-owner', namespace: 'default' })).rejects.toMatchObject({ code: 404 });
  });

  it('injects faults per cluster: errors with Retry-After, latency, an expired token, and a dropped connection; and logs writes by identity', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(fleet.kubeconfig('prod-eu-1', { identity: 'replica-a' }));
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'logged' } } });
    expect(
      fleet
        .cluster('prod-eu-1')
        .writes.filter((w) => w.name === 'logged')
        .map((w) => [w.verb, w.identity]),
    ).toEqual([['create', 'replica-a']]);
    fleet.fault('prod-eu-1', { errorRate: 1, errorStatus: 429 });
    await expect(core.listNamespacedConfigMap({ namespace: 'default' })).rejects.toMatchObject({
      code: 429,
      headers: expect.objectContaining({ 'retry-after': '1' }),
    });
    fleet.clearFaults('prod-eu-1');
    fleet.fault('prod-eu-1', { tokenExpired: true });
    await expect(core.listNamespacedConfigMap({ namespace: 'default' })).rejects.toMatchObject({ code: 401 });
    fleet.clearFaults('prod-eu-1');
    fleet.fault('prod-eu-1', { unreachable: true });
    await expect(core.listNamespacedConfigMap({ namespace: 'default' })).rejects.toThrow();
    fleet.clearFaults('prod-eu-1');
    fleet.fault('prod-eu-1', { latencyMs: 150 });
    const started = Date.now();
    await core.listNamespacedConfigMap({ namespace: 'default' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    fleet.clearFaults('prod-eu-1');
    const reads = fleet.counters('prod-eu-1').reads;
    await core.listNamespacedConfigMap({ namespace: 'default' });
    expect(fleet.counters('prod-eu-1').reads).toBe(reads + 1);
  });
});
