import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/api/meta.js';
import type { RegisteredCluster } from '../../src/generators/generator.js';
import { generate, offlineContext } from '../support/generation.js';

const API_VERSION = 'cluster.open-cluster-management.io/v1beta1';
const cluster = (name: string): RegisteredCluster => ({ name, server: `https://${name}.example.com`, labels: {}, annotations: {} });
const decision = (name: string, labels: Record<string, string>, status?: unknown): KubeObject =>
  ({ apiVersion: API_VERSION, kind: 'PlacementDecision', metadata: { name, namespace: 'argocd', labels }, status }) as KubeObject;

/** OCM's ConfigMap as its docs write it, and two placements' decisions. */
function context(
  settings: Record<string, string> = { apiVersion: API_VERSION, kind: 'placementdecisions', statusListKey: 'decisions', matchKey: 'clusterName' },
) {
  const resources = [
    decision('placement-b', { placement: 'web' }, { decisions: [{ clusterName: 'prod-us', reason: 'spread', weight: 2 }] }),
    decision(
      'placement-a',
      { placement: 'web' },
      { decisions: [{ clusterName: 'prod-eu', reason: '' }, { clusterName: 'not-registered' }, { reason: 'no name' }] },
    ),
    decision('placement-c', { placement: 'db' }, { decisions: [{ clusterName: 'in-cluster', score: 1000000, zones: ['a', 'b'], extra: { k: 'v' } }] }),
    decision('placement-d', { placement: 'web' }),
  ];
  return offlineContext({
    clusters: { list: async () => [cluster('prod-eu'), cluster('prod-us')] },
    settings: { namespace: 'argocd', configMapData: async (name) => (name === 'ocm-placement' ? settings : undefined) },
    resources: { list: async (apiVersion, resource) => (apiVersion === API_VERSION && resource === 'placementdecisions' ? resources : []) },
  });
}

const appSet = (generator: string, goTemplate = false) => `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: book, namespace: argocd}
spec:
  goTemplate: ${goTemplate}
  generators:
    - clusterDecisionResource:
        configMapRef: ocm-placement
        ${generator}
  template:
    metadata:
      name: ${goTemplate ? "'{{ .name }}-book'" : "'{{name}}-book'"}
      annotations: ${goTemplate ? "{reason: '{{ .reason }}', tier: '{{ .values.tier }}'}" : "{reason: '{{reason}}', tier: '{{values.tier}}', score: '{{score}}', zones: '{{zones}}', extra: '{{extra}}'}"}
    spec:
      project: default
      source: {repoURL: https://example.com/repo.git, path: ., targetRevision: HEAD}
      destination: {server: '${goTemplate ? '{{ .server }}' : '{{server}}'}', namespace: book}
`;

const summary = (result: Awaited<ReturnType<typeof generate>>) =>
  result.generated.map(({ application: a }) => ({ name: a.metadata.name, server: a.spec.destination?.server, annotations: a.metadata.annotations }));

describe('clusterDecisionResource generator', () => {
  it('gives each decision naming a registered cluster its name and server, the decision fields, and values as written', async () => {
    const result = await generate(appSet("labelSelector: {matchLabels: {placement: web}}\n        values: {tier: '{{name}}-front'}"), context());
    expect(result.failure).toBeUndefined();
    // Resources in name order; a decision without the match key or naming no registered cluster is left out.
    expect(summary(result)).toEqual([
      {
        name: 'prod-eu-book',
        server: 'https://prod-eu.example.com',
        annotations: { reason: '', tier: '{{name}}-front', score: '{{score}}', zones: '{{zones}}', extra: '{{extra}}' },
      },
      {
        name: 'prod-us-book',
        server: 'https://prod-us.example.com',
        annotations: { reason: 'spread', tier: '{{name}}-front', score: '{{score}}', zones: '{{zones}}', extra: '{{extra}}' },
      },
    ]);
    expect(result.requeueAfterSeconds).toBe(180);
  });

  it("prints decision fields as Go's %v does, and counts the local cluster as registered", async () => {
    const result = await generate(appSet('name: placement-c\n        requeueAfterSeconds: 30'), context());
    expect(summary(result)).toEqual([
      {
        name: 'in-cluster-book',
        server: 'https://kubernetes.default.svc',
        annotations: { reason: '{{reason}}', tier: '{{values.tier}}', score: '1e+06', zones: '[a b]', extra: 'map[k:v]' },
      },
    ]);
    expect(result.requeueAfterSeconds).toBe(30);
  });

  it('passes values to goTemplate as a map', async () => {
    const result = await generate(appSet('name: placement-b\n        values: {tier: front}', true), context());
    expect(summary(result)).toEqual([{ name: 'prod-us-book', server: 'https://prod-us.example.com', annotations: { reason: 'spread', tier: 'front' } }]);
  });

  it.each([
    ['name: placement-a', { apiVersion: API_VERSION, kind: 'placementdecisions' }, 'configMapRef', 'matchKey not found in ConfigMap argocd/ocm-placement'],
    [
      'name: placement-a',
      { apiVersion: 'v1', kind: 'placementdecisions', matchKey: 'clusterName' },
      'configMapRef',
      'there is a problem with the apiVersion, kind or resourceName provided',
    ],
    [
      'name: placement-a',
      { apiVersion: API_VERSION, matchKey: 'clusterName' },
      'configMapRef',
      'there is a problem with the apiVersion, kind or resourceName provided',
    ],
    ['requeueAfterSeconds: 30', undefined, 'labelSelector', 'there is a problem with the definition of the ClusterDecisionResource generator'],
    [
      'name: placement-a\n        labelSelector: {matchLabels: {placement: web}}',
      undefined,
      'name',
      'there is a problem with the definition of the ClusterDecisionResource generator',
    ],
    ['name: placement-z', undefined, 'name', 'no clusterDecisionResources found'],
    ['labelSelector: {matchLabels: {placement: none}}', undefined, 'labelSelector', 'no clusterDecisionResources found'],
    [
      'name: placement-a',
      { apiVersion: API_VERSION, kind: 'placementdecisions', statusListKey: 'clusters', matchKey: 'clusterName' },
      'configMapRef',
      'status.clusters of placementdecisions argocd/placement-a is not a list',
    ],
  ])('fails, naming the field, on %s with ConfigMap %j', async (generator, settings, field, message) => {
    const result = await generate(appSet(generator), context(settings));
    expect(result.failure?.field).toBe(`spec.generators[0].clusterDecisionResource.${field}`);
    expect(result.failure?.message).toBe(message);
    expect(result.generated).toEqual([]);
  });

  it('names a missing ConfigMap as Argo CD does', async () => {
    const result = await generate(appSet('name: placement-a').replace('configMapRef: ocm-placement', 'configMapRef: missing'), context());
    expect(result.failure?.message).toBe('error reading configMapRef: configmaps "missing" not found');
  });
});
