import { describe, expect, it } from 'vitest';
import { clusterSecret, contextWithClusters } from '../support/cluster-secrets.js';
import { applicationsOf } from '../support/generation.js';

/** Generators-Merge.md: base Cluster generator + override Cluster generator + List generator. */
const context = contextWithClusters([
  clusterSecret('staging', 'https://1.2.3.4', { labels: { 'use-kafka': 'false', environment: 'staging' } }),
  clusterSecret('production', 'https://2.4.6.8', { labels: { environment: 'production' } }),
  clusterSecret('local', 'https://kubernetes.default.svc', { labels: { environment: 'dev' } }),
]);

const appSet = (goTemplate: boolean) => {
  const p = (name: string) => (goTemplate ? `{{.${name}}}` : `{{${name}}}`);
  return `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: cluster-git}
spec:
  goTemplate: ${goTemplate}
  generators:
    - merge:
        mergeKeys:
          - server
        generators:
          - clusters:
              values:
                kafka: 'true'
                redis: 'false'
          - clusters:
              selector:
                matchLabels:
                  use-kafka: 'false'
              values:
                kafka: 'false'
          - list:
              elements:
                - server: https://2.4.6.8
                  values.redis: 'true'
  template:
    metadata:
      name: '${p('name')}'
    spec:
      project: '${goTemplate ? '{{index .metadata.labels "environment"}}' : '{{metadata.labels.environment}}'}'
      source:
        repoURL: https://github.com/argoproj/argo-cd.git
        targetRevision: HEAD
        path: app
        helm:
          parameters:
            - name: kafka
              value: '${p('values.kafka')}'
            - name: redis
              value: '${p('values.redis')}'
      destination:
        server: '${p('server')}'
        namespace: default
`;
};

const summary = (apps: Awaited<ReturnType<typeof applicationsOf>>) =>
  apps.map((a) => [a.metadata.name, a.spec.project, ...((a.spec.source?.helm?.parameters as { value: string }[]) ?? []).map((p) => p.value)]);

describe('Generators-Merge.md', () => {
  it('merges the override cluster generator and the list into the base, as the docs state (fasttemplate)', async () => {
    expect(summary(await applicationsOf(appSet(false), context))).toEqual([
      ['local', 'dev', 'true', 'false'],
      ['production', 'production', 'true', 'true'],
      ['staging', 'staging', 'false', 'false'],
    ]);
  });

  it('in goTemplate mode a list element\'s flat "values.redis" key does not reach .values.redis, as in Argo CD', async () => {
    // The docs show redis=true for production; Argo CD's code merges the flat key beside the
    // nested `values` map, so the template still reads the base value.
    expect(summary(await applicationsOf(appSet(true), context))).toEqual([
      ['local', 'dev', 'true', 'false'],
      ['production', 'production', 'true', 'false'],
      ['staging', 'staging', 'false', 'false'],
    ]);
  });
});
