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

  it('renders each parameter set of one template into its own Application: mutating one touches no other', async () => {
    const apps = await applicationsOf(`
kind: ApplicationSet
metadata: {name: own, namespace: team-a}
spec:
  goTemplate: true
  generators: [{list: {elements: [{app: one}, {app: two}, {}]}}]
  template:
    metadata: {name: '{{ .app | default "none" }}', labels: {fixed: 'yes'}}
    spec: {project: default, source: {repoURL: 'https://git.example.com/{{ .app }}.git', helm: {valueFiles: [common.yaml]}}, ${destination}}
`);
    // An element without parameters leaves the template as written, as in Argo CD.
    expect(apps.map((app) => app.metadata.name)).toEqual(['one', 'two', '{{ .app | default "none" }}']);
    expect(apps.map((app) => app.spec.source?.repoURL)).toEqual([
      'https://git.example.com/one.git',
      'https://git.example.com/two.git',
      'https://git.example.com/{{ .app }}.git',
    ]);
    apps[0].metadata.labels!.fixed = 'changed';
    (apps[0].spec.source!.helm as { valueFiles: string[] }).valueFiles.push('extra.yaml');
    expect(apps[1].metadata.labels).toEqual({ fixed: 'yes' });
    expect(apps[1].spec.source?.helm).toEqual({ valueFiles: ['common.yaml'] });
    expect(apps.every((app) => app.metadata.namespace === 'team-a' && Object.keys(app.metadata)[1] === 'namespace')).toBe(true);
  });

  it('generates a key per Application when the template makes keys, off the event loop between passes', async () => {
    const apps = await applicationsOf(`
kind: ApplicationSet
metadata: {name: keys}
spec:
  goTemplate: true
  generators: [{list: {elements: [{app: one}, {app: two}]}}]
  template:
    metadata: {name: '{{ .app }}', annotations: {key: '{{ genPrivateKey "ecdsa" }}'}}
    spec: {project: default, ${destination}}
`);
    const keys = apps.map((app) => app.metadata.annotations?.key);
    expect(keys.every((key) => key?.startsWith('-----BEGIN EC PRIVATE KEY-----'))).toBe(true);
    expect(keys[0]).not.toBe(keys[1]);
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

  // Argo CD: utils.CheckInvalidGenerators (applicationset/utils/utils.go) finds an entry with no
  // generator set and words it "ApplicationSet %s contains unrecognized generators"; Argo CD only
  // logs it and GetRelevantGenerators (generators/generator_spec_processor.go) then yields nothing.
  // Regatta fails the generation instead, so the entry cannot delete what it generated before.
  it.each([
    ['an empty entry', '{}'],
    ['an entry with only a selector', '{selector: {matchLabels: {n: one}}}'],
  ])('fails on %s naming spec.generators[i], instead of generating nothing', async (_what, entry) => {
    const result = await generate(`
kind: ApplicationSet
metadata: {name: blank}
spec:
  generators:
  - list: {elements: [{n: one}]}
  - ${entry}
  template:
    metadata: {name: '{{n}}'}
    spec: {project: default, ${destination}}
`);
    expect(result.failure).toEqual({
      reason: 'ApplicationGenerationFromParamsError',
      field: 'spec.generators[1]',
      message: 'ApplicationSet blank contains unrecognized generators',
    });
  });

  // Argo CD: MatrixGenerator.getParams (generators/matrix.go) returns "child generator generated no
  // parameters" unwrapped when Transform finds no generator in a child, and GenerateParams prefixes
  // which child failed; MergeGenerator.getParams and getParamSetsForAllGenerators (generators/merge.go) likewise.
  it.each([
    [
      'matrix',
      'matrix: {generators: [{list: {elements: [{n: one}]}}, {}]}',
      'spec.generators[0].matrix.generators[1]',
      'failed to get params for second generator in the matrix generator: child generator generated no parameters',
    ],
    [
      'matrix (first child)',
      'matrix: {generators: [{}, {list: {elements: [{n: one}]}}]}',
      'spec.generators[0].matrix.generators[0]',
      'error failed to get params for first generator in matrix generator: child generator generated no parameters',
    ],
    [
      'merge',
      'merge: {mergeKeys: [n], generators: [{list: {elements: [{n: one}]}}, {}]}',
      'spec.generators[0].merge.generators[1]',
      'error getting param sets from generators: error getting params from generator 2 of 2: child generator generated no parameters',
    ],
  ])('fails on an empty %s child with the child named and Argo CD text', async (_what, generator, field, message) => {
    const result = await generate(`
kind: ApplicationSet
metadata: {name: blank-child}
spec:
  generators:
  - ${generator}
  template:
    metadata: {name: '{{n}}'}
    spec: {project: default, ${destination}}
`);
    expect(result.generated).toEqual([]);
    expect(result.failure).toEqual({ reason: 'ApplicationGenerationFromParamsError', field, message });
  });

  // A child's own failure stays wrapped as MatrixGenerator.getParams wraps a Transform error.
  it('keeps "child generator returned an error on parameter generation" for a failing child', async () => {
    const result = await generate(`
kind: ApplicationSet
metadata: {name: bad-child}
spec:
  generators:
  - matrix: {generators: [{list: {elements: [{n: one}]}}, {list: {elements: [{n: two}]}, selector: {matchExpressions: [{key: n, operator: Bogus}]}}]}
  template:
    metadata: {name: '{{n}}'}
    spec: {project: default, ${destination}}
`);
    expect(result.failure?.field).toBe('spec.generators[0].matrix.generators[1].selector');
    expect(result.failure?.message).toMatch(
      /^failed to get params for second generator in the matrix generator: child generator returned an error on parameter generation: error parsing label selector: /,
    );
  });
});
