import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MANAGEMENT_CLUSTER } from '../../src/sim/sim-fleet.js';
import { ControllerHarness } from '../support/controller-harness.js';

const GROUP = 'cluster.open-cluster-management.io';
let h: ControllerHarness;

/** OCM's PlacementDecision as its CRD serves it: namespaced, with a status subresource holding `decisions`. */
const placementDecisionCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `placementdecisions.${GROUP}` },
  spec: {
    group: GROUP,
    scope: 'Namespaced',
    names: { plural: 'placementdecisions', singular: 'placementdecision', kind: 'PlacementDecision', listKind: 'PlacementDecisionList' },
    versions: [
      {
        name: 'v1beta1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

beforeAll(async () => {
  h = await ControllerHarness.start({ fleet: { clusters: [{ name: 'prod-eu' }, { name: 'prod-us' }, { name: 'staging' }] } });
  for (const name of h.fleet.names().filter((n) => n !== MANAGEMENT_CLUSTER)) {
    await h.core.createNamespacedSecret({ namespace: 'argocd', body: h.fleet.clusterSecret(name) as any });
  }
  const objects = k8s.KubernetesObjectApi.makeApiClient(h.kube);
  await objects.create(placementDecisionCrd);
  await h.core.createNamespacedConfigMap({
    namespace: 'argocd',
    body: {
      metadata: { name: 'ocm-placement-generator' },
      data: { apiVersion: `${GROUP}/v1beta1`, kind: 'placementdecisions', statusListKey: 'decisions', matchKey: 'clusterName' },
    },
  });
  await h.custom.createNamespacedCustomObject({
    group: GROUP,
    version: 'v1beta1',
    namespace: 'argocd',
    plural: 'placementdecisions',
    body: {
      apiVersion: `${GROUP}/v1beta1`,
      kind: 'PlacementDecision',
      metadata: { name: 'guestbook-decision-1', labels: { [`${GROUP}/placement`]: 'guestbook' } },
    },
  });
});
afterAll(async () => {
  await h.stop();
});

const decide = (clusters: string[]) =>
  h.custom.patchNamespacedCustomObjectStatus(
    {
      group: GROUP,
      version: 'v1beta1',
      namespace: 'argocd',
      plural: 'placementdecisions',
      name: 'guestbook-decision-1',
      body: { status: { decisions: clusters.map((clusterName) => ({ clusterName, reason: '' })) } },
    },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );

const destinations = async () =>
  (await h.applications())
    .filter((a) => !a.metadata.deletionTimestamp)
    .map((a) => `${a.metadata.name} → ${a.spec.destination.server}`)
    .sort()
    .join(', ');

it("follows an OCM placement's decisions through client-node's dynamic listing, as Argo CD's clusterDecisionResource generator does", async () => {
  await decide(['prod-eu', 'staging', 'not-in-argocd']);
  await h.applyAppSet({
    metadata: { name: 'guestbook' },
    spec: {
      generators: [
        {
          clusterDecisionResource: {
            configMapRef: 'ocm-placement-generator',
            labelSelector: { matchLabels: { [`${GROUP}/placement`]: 'guestbook' } },
            requeueAfterSeconds: 1,
          },
        },
      ],
      template: {
        metadata: { name: '{{name}}-guestbook' },
        spec: {
          project: 'default',
          source: { repoURL: 'https://git.example.com/apps.git', path: 'guestbook', targetRevision: 'HEAD' },
          destination: { server: '{{server}}', namespace: 'guestbook' },
        },
      },
    },
  });
  const [eu, staging, us] = ['prod-eu', 'staging', 'prod-us'].map((name) => h.fleet.server(name));
  await h.eventually(
    async () => (await destinations()) === `prod-eu-guestbook → ${eu}, staging-guestbook → ${staging}`,
    'Applications for the decided clusters',
  );

  // The placement moves: at the next requeue the Applications follow it.
  await decide(['prod-us']);
  await h.eventually(async () => (await destinations()) === `prod-us-guestbook → ${us}`, 'Applications following the new decision');

  // A broken ConfigMap is an error on the ApplicationSet and deletes nothing.
  await h.core.patchNamespacedConfigMap(
    { namespace: 'argocd', name: 'ocm-placement-generator', body: { data: { matchKey: null } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  const condition = await h.eventually(async () => {
    const conditions = (await h.appSet('guestbook')).status?.conditions ?? [];
    return conditions.find((c: any) => c.type === 'ErrorOccurred' && c.status === 'True');
  }, 'an error condition');
  expect(condition.message).toContain('matchKey not found in ConfigMap argocd/ocm-placement-generator');
  await h.settle();
  expect(await destinations()).toBe(`prod-us-guestbook → ${us}`);
});
