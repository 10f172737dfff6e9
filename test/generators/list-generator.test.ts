import { describe, expect, it } from 'vitest';
import { applicationsOf, generate } from '../support/generation.js';

describe('list generator', () => {
  it('renders the Generators-List.md guestbook example (goTemplate)', async () => {
    const apps = await applicationsOf(`
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: guestbook, namespace: argocd}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - list:
      elements:
      - cluster: engineering-dev
        url: https://kubernetes.default.svc
  template:
    metadata:
      name: '{{.cluster}}-guestbook'
    spec:
      project: "my-project"
      source:
        repoURL: https://github.com/argoproj/argo-cd.git
        targetRevision: HEAD
        path: applicationset/examples/list-generator/guestbook/{{.cluster}}
      destination:
        server: '{{.url}}'
        namespace: guestbook
`);
    expect(apps).toEqual([
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: 'engineering-dev-guestbook', namespace: 'argocd', finalizers: ['resources-finalizer.argocd.argoproj.io'] },
        spec: {
          project: 'my-project',
          source: {
            repoURL: 'https://github.com/argoproj/argo-cd.git',
            targetRevision: 'HEAD',
            path: 'applicationset/examples/list-generator/guestbook/engineering-dev',
          },
          destination: { server: 'https://kubernetes.default.svc', namespace: 'guestbook' },
        },
      },
    ]);
  });

  it('exposes v0.1.0-style values as values.<key> and accepts any keys (fasttemplate)', async () => {
    const result = await generate(`
kind: ApplicationSet
metadata: {name: forms}
spec:
  generators:
  - list:
      elements:
        - cluster: engineering-dev
          url: https://kubernetes.default.svc
          values:
            additional: value
        - staging: "true"
          gitRepo: https://kubernetes.default.svc
  template:
    metadata: {name: 'app-{{cluster}}{{staging}}'}
    spec:
      project: default
      source: {repoURL: '{{gitRepo}}', path: '{{values.additional}}'}
      destination: {server: '{{url}}'}
`);
    expect(result.failure).toBeUndefined();
    expect(result.generated.map((g) => g.params)).toEqual([
      { cluster: 'engineering-dev', url: 'https://kubernetes.default.svc', 'values.additional': 'value' },
      { staging: 'true', gitRepo: 'https://kubernetes.default.svc' },
    ]);
    expect(result.generated.map((g) => g.application.metadata.name)).toEqual(['app-engineering-dev{{staging}}', 'app-{{cluster}}true']);
    expect(result.generated[1].application.spec.source?.path).toBe('{{values.additional}}');
  });

  it('rejects non-string element values in fasttemplate mode, naming the element and key', async () => {
    const result = await generate(`
kind: ApplicationSet
metadata: {name: numbers}
spec:
  generators:
  - list:
      elements:
      - {cluster: a}
      - {cluster: b, replicas: 3}
  template:
    metadata: {name: '{{cluster}}'}
    spec: {project: default, destination: {server: https://kubernetes.default.svc}}
`);
    expect(result.failure).toMatchObject({ reason: 'ApplicationGenerationFromParamsError', field: 'spec.generators[0].list.elements[1].replicas' });
    expect(result.failure?.message).toMatch(/^error parsing value as string/);
    expect(result.generated).toEqual([]);
  });

  it('passes elements through with their types in goTemplate mode', async () => {
    const result = await generate(`
kind: ApplicationSet
metadata: {name: typed}
spec:
  goTemplate: true
  generators:
  - list:
      elements:
      - {name: a, replicas: 3, big: 1000000, flag: true, tags: [x, why], nested: {k: v}}
  template:
    metadata: {name: '{{.name}}'}
    spec:
      project: default
      source: {repoURL: r, path: '{{.replicas}}/{{.big}}/{{.flag}}/{{index .tags 1}}/{{.nested.k}}'}
      destination: {server: https://kubernetes.default.svc}
`);
    expect(result.failure).toBeUndefined();
    expect(result.generated[0].application.spec.source?.path).toBe('3/1e+06/true/why/v');
  });

  it('appends elementsYaml elements, parsed as Kubernetes YAML', async () => {
    const result = await generate(`
kind: ApplicationSet
metadata: {name: yaml-elements}
spec:
  goTemplate: true
  generators:
  - list:
      elements: [{name: first}]
      elementsYaml: |
        - name: second
          enabled: yes
        - name: third
          enabled: "no"
  template:
    metadata: {name: '{{.name}}-{{.enabled}}'}
    spec: {project: default, destination: {server: https://kubernetes.default.svc}}
`);
    expect(result.failure).toBeUndefined();
    expect(result.generated.map((g) => g.application.metadata.name)).toEqual(['first-<no value>', 'second-true', 'third-no']);
  });

  it('reports unparsable elementsYaml on the field', async () => {
    const result = await generate(`
kind: ApplicationSet
metadata: {name: broken-yaml}
spec:
  generators:
  - list:
      elementsYaml: "[unclosed"
  template:
    metadata: {name: x}
    spec: {project: default, destination: {server: https://kubernetes.default.svc}}
`);
    expect(result.failure?.field).toBe('spec.generators[0].list.elementsYaml');
    expect(result.failure?.message).toMatch(/^error unmarshling decoded ElementsYaml/);
  });

  it('applies the generator-level template over the ApplicationSet template', async () => {
    const apps = await applicationsOf(`
kind: ApplicationSet
metadata: {name: override}
spec:
  generators:
  - list:
      elements: [{cluster: dev}]
      template:
        metadata: {labels: {tier: generator}}
        spec:
          project: special
  template:
    metadata: {name: '{{cluster}}-app', labels: {team: platform}}
    spec:
      project: default
      source: {repoURL: https://example.com/repo.git, path: 'apps/{{cluster}}'}
      destination: {server: https://kubernetes.default.svc, namespace: '{{cluster}}'}
`);
    expect(apps[0].metadata).toMatchObject({ name: 'dev-app', labels: { tier: 'generator', team: 'platform' } });
    expect(apps[0].spec).toMatchObject({ project: 'special', source: { path: 'apps/dev' }, destination: { namespace: 'dev' } });
  });

  it('filters parameter sets with a post-selector', async () => {
    const result = await generate(`
kind: ApplicationSet
metadata: {name: selected}
spec:
  generators:
  - list:
      elements:
      - {cluster: engineering-dev, env: staging}
      - {cluster: engineering-prod, env: prod}
    selector:
      matchLabels: {env: staging}
  template:
    metadata: {name: '{{cluster}}'}
    spec: {project: default, destination: {server: https://kubernetes.default.svc}}
`);
    expect(result.generated.map((g) => g.application.metadata.name)).toEqual(['engineering-dev']);
  });
});
