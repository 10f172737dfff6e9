import { describe, expect, it } from 'vitest';
import { clusterSecret, contextWithClusters } from '../support/cluster-secrets.js';
import { applicationsOf, generate } from '../support/generation.js';

const fleet = [
  clusterSecret('staging', 'https://1.2.3.4', { labels: { type: 'staging', staging: 'true' }, annotations: { 'my-custom-annotation': 'release-1.2' } }),
  clusterSecret('production', 'https://2.4.6.8', { labels: { type: 'production' }, project: 'prod-project' }),
  clusterSecret('my_cluster', 'https://3.3.3.3', { labels: { type: 'staging' }, annotations: { team: 'blue' } }),
];
const context = contextWithClusters(fleet);

const template = (name: string, extra = '') => `
  template:
    metadata:
      name: '${name}'
    spec:
      project: "my-project"
      source:
        repoURL: https://github.com/argoproj/argocd-example-apps/
        targetRevision: ${extra || 'HEAD'}
        path: guestbook
      destination:
        server: '{{.server}}'
        namespace: guestbook`;

describe('cluster generator (Generators-Cluster.md)', () => {
  it('targets every registered cluster and the local cluster when no Secret registers it', async () => {
    const apps = await applicationsOf(
      `
kind: ApplicationSet
metadata: {name: guestbook, namespace: argocd}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - clusters: {}
${template('{{.name}}-guestbook')}`,
      context,
    );
    expect(apps.map((a) => [a.metadata.name, a.spec.destination.server])).toEqual([
      ['my_cluster-guestbook', 'https://3.3.3.3'],
      ['production-guestbook', 'https://2.4.6.8'],
      ['staging-guestbook', 'https://1.2.3.4'],
      ['in-cluster-guestbook', 'https://kubernetes.default.svc'],
    ]);
  });

  it("gives name, nameNormalized, server, project and the Secret's labels and annotations", async () => {
    const result = await generate(
      `
kind: ApplicationSet
metadata: {name: params}
spec:
  generators:
  - clusters: {selector: {matchLabels: {staging: "true"}}}
${template('{{nameNormalized}}')}`,
      context,
    );
    expect(result.generated[0].params).toEqual({
      name: 'staging',
      nameNormalized: 'staging',
      server: 'https://1.2.3.4',
      project: '',
      'metadata.annotations.my-custom-annotation': 'release-1.2',
      'metadata.labels.argocd.argoproj.io/secret-type': 'cluster',
      'metadata.labels.staging': 'true',
      'metadata.labels.type': 'staging',
    });
    const go = await generate(
      `
kind: ApplicationSet
metadata: {name: params}
spec:
  goTemplate: true
  generators:
  - clusters: {selector: {matchLabels: {type: production}}}
${template('{{.nameNormalized}}')}`,
      context,
    );
    expect(go.generated[0].params).toEqual({
      name: 'production',
      nameNormalized: 'production',
      server: 'https://2.4.6.8',
      project: 'prod-project',
      metadata: { labels: { 'argocd.argoproj.io/secret-type': 'cluster', type: 'production' } },
    });
  });

  it('normalizes names that are not valid Kubernetes names', async () => {
    const apps = await applicationsOf(
      `
kind: ApplicationSet
metadata: {name: normalized}
spec:
  goTemplate: true
  generators:
  - clusters: {selector: {matchExpressions: [{key: type, operator: In, values: [staging]}]}}
${template('{{.nameNormalized}}-app1')}`,
      context,
    );
    expect(apps.map((a) => a.metadata.name)).toEqual(['my-cluster-app1', 'staging-app1']);
  });

  it('selecting on the secret-type label excludes the local cluster', async () => {
    const apps = await applicationsOf(
      `
kind: ApplicationSet
metadata: {name: remote-only}
spec:
  goTemplate: true
  generators:
  - clusters: {selector: {matchLabels: {argocd.argoproj.io/secret-type: cluster}}}
${template('{{.name}}')}`,
      context,
    );
    expect(apps.map((a) => a.metadata.name)).toEqual(['my_cluster', 'production', 'staging']);
  });

  it('does not add the local cluster when a Secret registers https://kubernetes.default.svc', async () => {
    const withLocal = contextWithClusters([...fleet, clusterSecret('in-cluster2', 'https://kubernetes.default.svc')]);
    const apps = await applicationsOf(
      `
kind: ApplicationSet
metadata: {name: local}
spec:
  goTemplate: true
  generators: [{clusters: {}}]
${template('{{.name}}')}`,
      withLocal,
    );
    expect(apps.map((a) => a.metadata.name)).toEqual(['in-cluster2', 'my_cluster', 'production', 'staging']);
  });

  it("passes values, templated with the cluster's own parameters", async () => {
    const apps = await applicationsOf(
      `
kind: ApplicationSet
metadata: {name: values}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - clusters:
      selector: {matchLabels: {type: 'staging'}}
      values:
        revision: '{{index .metadata.annotations "my-custom-annotation" | default "HEAD"}}'
        clusterName: '{{.name}}'
  - clusters:
      selector: {matchLabels: {type: 'production'}}
      values:
        revision: stable
        clusterName: '{{.name}}'
  template:
    metadata:
      name: '{{.name}}-guestbook'
    spec:
      project: "my-project"
      source:
        repoURL: https://github.com/argoproj/argocd-example-apps/
        targetRevision: '{{.values.revision}}'
        path: guestbook
      destination:
        server: '{{.values.clusterName}}'
        namespace: guestbook
`,
      context,
    );
    expect(apps.map((a) => [a.metadata.name, a.spec.source?.targetRevision, a.spec.destination.server])).toEqual([
      ['my_cluster-guestbook', 'HEAD', 'my_cluster'],
      ['staging-guestbook', 'release-1.2', 'staging'],
      ['production-guestbook', 'stable', 'production'],
    ]);
  });

  it('exposes values as values.<key> without goTemplate', async () => {
    const result = await generate(
      `
kind: ApplicationSet
metadata: {name: flat-values}
spec:
  generators:
  - clusters:
      selector: {matchLabels: {type: production}}
      values: {revision: 'stable-{{name}}'}
${template('{{name}}', "'{{values.revision}}'")}`,
      context,
    );
    expect(result.generated[0].params['values.revision']).toBe('stable-production');
    expect(result.generated[0].application.spec.source?.targetRevision).toBe('stable-production');
  });

  it('gathers all matching clusters into one parameter set with flatList', async () => {
    const apps = await applicationsOf(
      `
kind: ApplicationSet
metadata: {name: flat}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - clusters:
      selector: {matchLabels: {type: 'staging'}}
      flatList: true
  template:
    metadata:
      name: 'flat-list-guestbook'
    spec:
      project: "my-project"
      source:
        repoURL: https://github.com/argoproj/argocd-example-apps/
        targetRevision: 'HEAD'
        path: helm-guestbook
        helm:
          values: |
            clusters:
            {{- range .clusters }}
              - name: {{ .name }}
            {{- end }}
      destination:
        server: 'my-cluster'
        namespace: guestbook
`,
      context,
    );
    expect(apps).toHaveLength(1);
    expect(apps[0].spec.source?.helm).toEqual({ values: 'clusters:\n  - name: my_cluster\n  - name: staging\n' });
  });

  it('still generates for a Secret whose connection config is broken, as Argo CD does', async () => {
    const broken = contextWithClusters([clusterSecret('in-cluster2', 'https://kubernetes.default.svc', { config: "{'tlsClientConfig':{'insecure':false}}" })]);
    const apps = await applicationsOf(
      `
kind: ApplicationSet
metadata: {name: docs-secret}
spec:
  goTemplate: true
  generators: [{clusters: {}}]
${template('{{.name}}-guestbook')}`,
      broken,
    );
    expect(apps.map((a) => a.metadata.name)).toEqual(['in-cluster2-guestbook']);
  });

  it("reports a bad selector on the generator's field", async () => {
    const result = await generate(
      `
kind: ApplicationSet
metadata: {name: bad}
spec:
  generators: [{clusters: {selector: {matchExpressions: [{key: type, operator: Like, values: [x]}]}}}]
${template('{{name}}')}`,
      context,
    );
    expect(result.failure?.field).toBe('spec.generators[0].clusters.selector');
    expect(result.failure?.message).toContain('"Like" is not a valid pod selector operator');
  });
});
