import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerHarness } from '../support/controller-harness.js';

let h: ControllerHarness;

beforeAll(async () => {
  h = await ControllerHarness.start({
    fleet: {
      clusters: [
        { name: 'prod-eu-1', labels: { env: 'prod' } },
        { name: 'staging-eu-1', labels: { env: 'staging' } },
      ],
    },
  });
});
afterAll(async () => {
  await h.stop();
});

const guestbook = (elements: string[], extra: Record<string, unknown> = {}) => ({
  metadata: { name: 'guestbook' },
  spec: {
    goTemplate: true,
    generators: [{ list: { elements: elements.map((cluster) => ({ cluster })) } }],
    template: {
      metadata: { name: '{{.cluster}}-guestbook', labels: { team: 'web' } },
      spec: {
        project: 'default',
        source: { repoURL: 'https://git.example.com/apps.git', path: 'guestbook/{{.cluster}}', targetRevision: 'HEAD' },
        destination: { server: 'https://kubernetes.default.svc', namespace: '{{.cluster}}' },
      },
    },
    ...extra,
  },
});

/** Applications not being deleted (without Argo CD's controller, the resources finalizer keeps deleted ones visible). */
const names = async () =>
  (await h.applications())
    .filter((a) => !a.metadata.deletionTimestamp)
    .map((a) => a.metadata.name)
    .sort();

describe('ApplicationSet controller on the simulator', () => {
  it('creates the generated Applications, owned by the ApplicationSet, and reports success', async () => {
    await h.applyAppSet(guestbook(['dev', 'prod']));
    await h.eventually(async () => (await names()).join() === 'dev-guestbook,prod-guestbook', 'two Applications');
    const [app] = await h.applications();
    const appSet = await h.appSet('guestbook');
    expect(app.metadata.ownerReferences).toEqual([
      { apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', name: 'guestbook', uid: appSet.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(app.metadata.finalizers).toEqual(['resources-finalizer.argocd.argoproj.io']);
    expect(app.metadata.managedFields.map((m: any) => m.manager)).toEqual(['regatta']);
    const conditions = await h.eventually(async () => {
      const current = await h.appSet('guestbook');
      return current.status?.resources?.length === 2 && current.status.conditions;
    }, 'status conditions');
    expect(conditions.map((c: any) => [c.type, c.status, c.reason])).toEqual([
      ['ErrorOccurred', 'False', 'ApplicationSetUpToDate'],
      ['ParametersGenerated', 'True', 'ParametersGenerated'],
      ['ResourcesUpToDate', 'True', 'ApplicationSetUpToDate'],
    ]);
    expect((await h.appSet('guestbook')).status.health).toEqual({ status: 'Healthy', message: 'All applications have been generated successfully' });
    const events = await h.core.listNamespacedEvent({ namespace: 'argocd' });
    expect(
      events.items
        .filter((e) => e.involvedObject.name === 'guestbook')
        .map((e) => e.message)
        .sort(),
    ).toEqual(['created Application "dev-guestbook"', 'created Application "prod-guestbook"']);
  });

  it('makes no write in steady state', async () => {
    await h.settle();
    const before = h.fleet.counters().writes;
    h.controller.reconcileAll();
    await h.settle();
    expect(h.fleet.counters().writes).toBe(before);
  });

  it('adds, updates and deletes Applications as the generators change', async () => {
    await h.applyAppSet(guestbook(['prod', 'qa']));
    await h.eventually(async () => (await names()).join() === 'prod-guestbook,qa-guestbook', 'dev removed and qa added');
    const events = await h.core.listNamespacedEvent({ namespace: 'argocd' });
    expect(events.items.map((e) => e.message)).toContain('Deleted Application "dev-guestbook"');
  });

  it('reverts a hand edit of a generated Application', async () => {
    await h.custom.patchNamespacedCustomObject(
      {
        group: 'argoproj.io',
        version: 'v1alpha1',
        namespace: 'argocd',
        plural: 'applications',
        name: 'qa-guestbook',
        body: { spec: { destination: { namespace: 'hand-edited' }, syncPolicy: { automated: {} } } },
      },
      (await import('@kubernetes/client-node')).setHeaderOptions('Content-Type', 'application/merge-patch+json'),
    );
    await h.eventually(async () => {
      const app = (await h.applications()).find((a) => a.metadata.name === 'qa-guestbook');
      return app.spec.destination.namespace === 'qa' && app.spec.syncPolicy === undefined;
    }, 'the hand edit reverted');
  });

  it('is not reconciled by an Application refresh, and is by its health changing, which its status then shows', async () => {
    const patchStatus = async (status: Record<string, unknown>) =>
      h.custom.patchNamespacedCustomObject(
        { group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applications', name: 'prod-guestbook', body: { status } },
        (await import('@kubernetes/client-node')).setHeaderOptions('Content-Type', 'application/merge-patch+json'),
      );
    await h.quiet();
    const before = (await h.reconciles()).guestbook;
    for (let i = 1; i <= 3; i++) await patchStatus({ reconciledAt: new Date(Date.now() + i * 1000).toISOString() });
    await h.quiet();
    expect((await h.reconciles()).guestbook).toBe(before);

    await patchStatus({ health: { status: 'Degraded' } });
    await h.eventually(
      async () => (await h.appSet('guestbook')).status?.resources?.find((r: any) => r.name === 'prod-guestbook')?.health?.status === 'Degraded',
      'the ApplicationSet to show the Application Degraded',
    );
    expect((await h.reconciles()).guestbook).toBeGreaterThan(before);
  });

  it('never deletes when generation fails, and says why on the ApplicationSet', async () => {
    await h.applyAppSet({
      ...guestbook([]),
      spec: { ...guestbook([]).spec, generators: [{ git: { repoURL: 'git://127.0.0.1:9/nothing.git', revision: 'main', directories: [{ path: '*' }] } }] },
    });
    const error = await h.eventually(async () => {
      const appSet = await h.appSet('guestbook');
      return appSet.status?.conditions?.find((c: any) => c.type === 'ErrorOccurred' && c.status === 'True');
    }, 'an ErrorOccurred condition');
    expect(error.reason).toBe('ApplicationGenerationFromParamsError');
    expect(error.message).toContain('spec.generators[0].git');
    await h.settle();
    expect(await names()).toEqual(['prod-guestbook', 'qa-guestbook']);
  });

  it('follows the cluster registry: a cluster Secret added or removed changes the Applications', async () => {
    await h.applyAppSet({
      metadata: { name: 'fleet' },
      spec: {
        goTemplate: true,
        generators: [{ clusters: { selector: { matchLabels: { env: 'prod' } } } }],
        template: { metadata: { name: 'fleet-{{.name}}' }, spec: { project: 'default', destination: { server: '{{.server}}', namespace: 'app' } } },
      },
    });
    await h.core.createNamespacedSecret({ namespace: 'argocd', body: h.fleet.clusterSecret('prod-eu-1') as any });
    await h.eventually(async () => (await names()).includes('fleet-prod-eu-1'), 'an Application for the new cluster');
    await h.core.deleteNamespacedSecret({ name: 'cluster-prod-eu-1', namespace: 'argocd' });
    await h.eventually(async () => !(await names()).includes('fleet-prod-eu-1'), 'the Application removed with its cluster');
  });

  it('does not create Applications for a disabled local cluster, and says why (argocd-cm cluster.inClusterEnabled)', async () => {
    await h.core.createNamespacedConfigMap({ namespace: 'argocd', body: { metadata: { name: 'argocd-cm' }, data: { 'cluster.inClusterEnabled': 'false' } } });
    await h.core.createNamespacedSecret({ namespace: 'argocd', body: h.fleet.clusterSecret('staging-eu-1') as any });
    await h.applyAppSet({
      metadata: { name: 'local-and-remote' },
      spec: {
        generators: [
          {
            list: {
              elements: [
                { n: 'local', url: 'https://kubernetes.default.svc' },
                { n: 'remote', url: h.fleet.server('staging-eu-1') },
              ],
            },
          },
        ],
        template: { metadata: { name: 'lr-{{n}}' }, spec: { project: 'default', destination: { server: '{{url}}', namespace: 'x' } } },
      },
    });
    await h.eventually(async () => (await names()).includes('lr-remote'), 'the remote Application');
    const error = await h.eventually(async () => {
      const c = (await h.appSet('local-and-remote')).status?.conditions?.find((x: any) => x.type === 'ErrorOccurred' && x.status === 'True');
      return c;
    }, 'a validation condition');
    expect([error.reason, error.message]).toEqual([
      'ApplicationValidationError',
      'application destination spec is invalid: error getting cluster by server "https://kubernetes.default.svc": rpc error: code = NotFound desc = cluster "https://kubernetes.default.svc" is disabled',
    ]);
    expect(await names()).not.toContain('lr-local');
    await h.core.deleteNamespacedConfigMap({ name: 'argocd-cm', namespace: 'argocd' });
    await h.core.deleteNamespacedSecret({ name: 'cluster-staging-eu-1', namespace: 'argocd' });
  });

  it('reports an invalid cluster Secret with a Warning Event naming the field, without its contents', async () => {
    const secret = h.fleet.clusterSecret('staging-eu-1') as any;
    secret.metadata.name = 'cluster-broken';
    secret.data.config = Buffer.from('{"bearerToken": "t0p-s3cret", ').toString('base64');
    await h.core.createNamespacedSecret({ namespace: 'argocd', body: secret });
    const event = await h.eventually(async () => {
      const events = await h.core.listNamespacedEvent({ namespace: 'argocd' });
      return events.items.find((e) => e.involvedObject.name === 'cluster-broken' && e.reason === 'InvalidClusterSecret');
    }, 'an InvalidClusterSecret event');
    expect([event.type, event.message]).toEqual(['Warning', 'data.config is not valid JSON; the cluster cannot be connected to']);
    expect(JSON.stringify(event)).not.toContain('t0p-s3cret');
  });

  it('garbage-collects the Applications when their ApplicationSet is deleted', async () => {
    await h.custom.deleteNamespacedCustomObject({
      group: 'argoproj.io',
      version: 'v1alpha1',
      namespace: 'argocd',
      plural: 'applicationsets',
      name: 'guestbook',
    });
    await h.eventually(async () => {
      const apps = await h.applications();
      return apps.filter((a) => a.metadata.name.endsWith('-guestbook')).every((a) => a.metadata.deletionTimestamp);
    }, 'Applications marked for deletion by the garbage collector');
  });
});
