import { describe, expect, it } from 'vitest';
import { applicationsOf, generate } from '../support/generation.js';

const destination = 'destination: {server: https://kubernetes.default.svc, namespace: default}';

describe('generateApplications', () => {
  it("puts every Application in the ApplicationSet's namespace, whatever the template says", async () => {
    const apps = await applicationsOf(`
kind: ApplicationSet
metadata: {name: ns, namespace: team-a}
spec:
  generators: [{list: {elements: [{n: one}]}}]
  template:
    metadata: {name: '{{n}}', namespace: elsewhere}
    spec: {project: default, ${destination}}
`);
    expect(apps[0].metadata.namespace).toBe('team-a');
  });

  it("adds Argo CD's resources finalizer unless the template has finalizers or resources are preserved", async () => {
    const yaml = (extra: string, finalizers = '') => `
kind: ApplicationSet
metadata: {name: fin}
spec:
  ${extra}
  generators: [{list: {elements: [{n: one}]}}]
  template:
    metadata: {name: '{{n}}' ${finalizers}}
    spec: {project: default, ${destination}}
`;
    expect((await applicationsOf(yaml('')))[0].metadata.finalizers).toEqual(['resources-finalizer.argocd.argoproj.io']);
    expect((await applicationsOf(yaml('syncPolicy: {preserveResourcesOnDeletion: false}')))[0].metadata.finalizers).toEqual([
      'resources-finalizer.argocd.argoproj.io',
    ]);
    expect((await applicationsOf(yaml('syncPolicy: {preserveResourcesOnDeletion: true}')))[0].metadata.finalizers).toBeUndefined();
    expect((await applicationsOf(yaml('', ', finalizers: [my-finalizer]')))[0].metadata.finalizers).toEqual(['my-finalizer']);
  });

  it('reports duplicate Application names as Argo CD does, and yields nothing to act on', async () => {
    const result = await generate(`
kind: ApplicationSet
metadata: {name: dupes}
spec:
  generators: [{list: {elements: [{name: same, i: "1"}, {name: same, i: "2"}]}}]
  template:
    metadata: {name: '{{name}}'}
    spec: {project: default, ${destination}}
`);
    expect(result.failure).toEqual({
      reason: 'ApplicationValidationError',
      message: 'ApplicationSet dupes contains applications with duplicate name: same',
      field: 'spec.template.metadata.name',
    });
  });

  it('reports an Application without a name', async () => {
    const result = await generate(`
kind: ApplicationSet
metadata: {name: nameless}
spec:
  generators: [{list: {elements: [{n: one}]}}]
  template:
    metadata: {}
    spec: {project: default, ${destination}}
`);
    expect(result.failure?.message).toMatch(/^ApplicationSet nameless contains an application with no name/);
  });

  it('names the template field that failed to render', async () => {
    const result = await generate(`
kind: ApplicationSet
metadata: {name: strict}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators: [{list: {elements: [{cluster: dev}]}}]
  template:
    metadata: {name: '{{.cluster}}'}
    spec: {project: default, destination: {server: '{{.url}}'}}
`);
    expect(result.failure?.reason).toBe('RenderTemplateParamsError');
    expect(result.failure?.field).toBe('spec.template.spec.destination.server');
    expect(result.failure?.message).toContain('map has no entry for key "url"');
  });

  it('applies templatePatch (goTemplate) as a strategic merge patch, keeping the project', async () => {
    const apps = await applicationsOf(`
kind: ApplicationSet
metadata: {name: patched}
spec:
  goTemplate: true
  generators:
  - list:
      elements:
      - {cluster: dev, autoSync: true, prune: true}
      - {cluster: prod, autoSync: false}
  template:
    metadata: {name: '{{.cluster}}-app', labels: {keep: me}}
    spec:
      project: default
      source: {repoURL: https://example.com/r.git, path: apps, targetRevision: HEAD}
      ${destination}
  templatePatch: |
    metadata:
      labels:
        cluster: {{ .cluster }}
    spec:
      project: hijacked
    {{- if .autoSync }}
      syncPolicy:
        automated:
          prune: {{ .prune }}
    {{- end }}
`);
    expect(apps[0].metadata.labels).toEqual({ keep: 'me', cluster: 'dev' });
    expect(apps[0].spec.syncPolicy).toEqual({ automated: { prune: true } });
    expect(apps[0].spec.project).toBe('default');
    expect(apps[1].spec.syncPolicy).toBeUndefined();
  });

  it('reports the soonest requeue any generator asks for', async () => {
    const result = await generate(`
kind: ApplicationSet
metadata: {name: lists}
spec:
  generators: [{list: {elements: [{n: one}]}}]
  template:
    metadata: {name: '{{n}}'}
    spec: {project: default, ${destination}}
`);
    expect(result.requeueAfterSeconds).toBeUndefined();
  });

  it('rejects an unknown generator instead of silently generating nothing', async () => {
    const result = await generate(`
kind: ApplicationSet
metadata: {name: typo}
spec:
  generators: [{lsit: {elements: [{n: one}]}}]
  template:
    metadata: {name: '{{n}}'}
    spec: {project: default, ${destination}}
`);
    expect(result.failure).toMatchObject({ reason: 'ApplicationGenerationFromParamsError', field: 'spec.generators[0].lsit' });
    expect(result.failure?.message).toBe('unrecognized generator: lsit');
  });
});
