import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterRegistry } from '../../src/clusters/cluster-registry.js';
import { GitRepositoryCache } from '../../src/git/repository-cache.js';
import { clusterSecret } from '../support/cluster-secrets.js';
import { TestRepository } from '../support/git-fixtures.js';
import { generate, offlineContext } from '../support/generation.js';

/** The remaining examples and restrictions of Generators-Matrix.md, Generators-Merge.md and Generators-List.md. */
let repo: TestRepository;
let cacheDir: string;
let cache: GitRepositoryCache;

beforeAll(() => {
  repo = new TestRepository('examples');
  repo.commit({
    'test/stage.values.yaml': 'stageName: test\ncpuRequest: 100m\ndebugEnabled: true\n',
    'staging/stage.values.yaml': 'stageName: staging\n',
    'production/stage.values.yaml': 'stageName: production\nmemoryLimit: 512Mi\ndebugEnabled: false\n',
    'global.values.yaml': 'cpuRequest: 200m\nmemoryLimit: 256Mi\ndebugEnabled: true\n',
    'apps/app-one.json': '{ "appName": "app-one" }',
    'apps/app-two.json': '{ "appName": "app-two" }',
    'targets/app-one/east-cluster-one.json': '{ "region": "east", "clusterName": "cluster-one" }',
    'targets/app-one/east-cluster-two.json': '{ "region": "east", "clusterName": "cluster-two" }',
    'targets/app-two/east-cluster-one.json': '{ "region": "east", "clusterName": "cluster-one" }',
    'targets/app-two/west-cluster-three.json': '{ "region": "west", "clusterName": "cluster-three" }',
    'Germany/app.yaml': 'kind: ConfigMap\n',
    'France/app.yaml': 'kind: ConfigMap\n',
    'applicationset/examples/list-generator/list-elementsYaml-example.yaml': `key:
  components:
    - name: component1
      chart: podinfo
      version: "6.3.2"
      releaseName: component1
      repoUrl: "https://stefanprodan.github.io/podinfo"
      namespace: component1
    - name: component2
      chart: podinfo
      version: "6.3.3"
      releaseName: component2
      repoUrl: "ghcr.io/stefanprodan/charts"
      namespace: component2
`,
  });
  cacheDir = mkdtempSync(join(tmpdir(), 'regatta-cache-'));
  cache = new GitRepositoryCache({ allowLocalRepositories: true, directory: cacheDir });
});

afterAll(() => {
  repo.dispose();
  rmSync(cacheDir, { recursive: true, force: true });
});

const destination = `destination: {server: https://kubernetes.default.svc, namespace: default}`;

describe('Generators-Matrix.md', () => {
  it('overrides global values with stage values: the first child wins', async () => {
    const result = await generate(
      `
kind: ApplicationSet
metadata: {name: parameter-override-example}
spec:
  goTemplate: true
  generators:
    - matrix:
        generators:
          - git: {repoURL: '${repo.url}', revision: HEAD, files: [{path: "**/stage.values.yaml"}]}
          - git: {repoURL: '${repo.url}', revision: HEAD, files: [{path: "global.values.yaml"}]}
  template:
    metadata: {name: '{{.stageName}}'}
    spec:
      project: default
      source:
        repoURL: https://github.com/example/example-app.git
        targetRevision: HEAD
        path: .
        helm:
          values: |
            {{ \`{{ . | mustToPrettyJson }}\` }}
      ${destination}
`,
      offlineContext({ repositories: cache }),
    );
    expect(result.failure).toBeUndefined();
    const pick = (p: Record<string, unknown>) => ({
      stageName: p.stageName,
      cpuRequest: p.cpuRequest,
      memoryLimit: p.memoryLimit,
      debugEnabled: p.debugEnabled,
    });
    expect(result.generated.map((g) => pick(g.params))).toEqual([
      { stageName: 'production', cpuRequest: '200m', memoryLimit: '512Mi', debugEnabled: false },
      { stageName: 'staging', cpuRequest: '200m', memoryLimit: '256Mi', debugEnabled: true },
      { stageName: 'test', cpuRequest: '100m', memoryLimit: '256Mi', debugEnabled: true },
    ]);
    expect(result.generated[0].application.spec.source?.helm?.values).toBe('{{ . | mustToPrettyJson }}\n');
  });

  it("combines two Git file generators with pathParamPrefix, the second reading the first's parameters", async () => {
    const result = await generate(
      `
kind: ApplicationSet
metadata: {name: two-gits-with-path-param-prefix}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
    - matrix:
        generators:
          - git: {repoURL: '${repo.url}', revision: HEAD, files: [{path: "apps/*.json"}], pathParamPrefix: app}
          - git: {repoURL: '${repo.url}', revision: HEAD, files: [{path: "targets/{{.appName}}/*.json"}], pathParamPrefix: target}
  template:
    metadata: {name: '{{.appName}}-{{.clusterName}}'}
    spec: {project: default, ${destination}}
`,
      offlineContext({ repositories: cache }),
    );
    expect(result.failure).toBeUndefined();
    expect(
      result.generated.map((g) => [
        g.params.appName,
        g.params.region,
        g.params.clusterName,
        (g.params.app as any).path.path,
        (g.params.target as any).path.filename,
      ]),
    ).toEqual([
      ['app-one', 'east', 'cluster-one', 'apps', 'east-cluster-one.json'],
      ['app-one', 'east', 'cluster-two', 'apps', 'east-cluster-two.json'],
      ['app-two', 'east', 'cluster-one', 'apps', 'east-cluster-one.json'],
      ['app-two', 'west', 'cluster-three', 'apps', 'west-cluster-three.json'],
    ]);
  });
});

describe('Generators-List.md: elements from a previous generator (elementsYaml)', () => {
  it("turns a Git file's list into list elements", async () => {
    const result = await generate(
      `
kind: ApplicationSet
metadata: {name: elements-yaml}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - matrix:
      generators:
      - git:
          repoURL: ${repo.url}
          revision: HEAD
          files:
          - path: applicationset/examples/list-generator/list-elementsYaml-example.yaml
      - list:
          elementsYaml: "{{ .key.components | toJson }}"
  template:
    metadata:
      name: '{{.name}}'
    spec:
      project: default
      syncPolicy:
        automated:
          selfHeal: true
        syncOptions:
        - CreateNamespace=true
      sources:
        - chart: '{{.chart}}'
          repoURL: '{{.repoUrl}}'
          targetRevision: '{{.version}}'
          helm:
            releaseName: '{{.releaseName}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{.namespace}}'
`,
      offlineContext({ repositories: cache }),
    );
    expect(result.failure).toBeUndefined();
    expect(result.generated.map((g) => [g.application.metadata.name, g.application.spec.sources?.[0], g.application.spec.destination.namespace])).toEqual([
      [
        'component1',
        { chart: 'podinfo', repoURL: 'https://stefanprodan.github.io/podinfo', targetRevision: '6.3.2', helm: { releaseName: 'component1' } },
        'component1',
      ],
      ['component2', { chart: 'podinfo', repoURL: 'ghcr.io/stefanprodan/charts', targetRevision: '6.3.3', helm: { releaseName: 'component2' } }, 'component2'],
    ]);
  });
});

describe('Generators-Merge.md', () => {
  const clusters = new ClusterRegistry(() => [
    clusterSecret('germany01', 'https://1.2.3.4', { labels: { location: 'Germany', environment: 'production' } }),
    clusterSecret('spain01', 'https://5.6.7.8', { labels: { location: 'Spain', environment: 'staging' } }),
    clusterSecret('in-cluster', 'https://kubernetes.default.svc', { labels: { location: 'Local', environment: 'dev' } }),
  ]);
  const mergeBySelector = (goTemplate: boolean) => `
kind: ApplicationSet
metadata: {name: cluster-git}
spec:
  goTemplate: ${goTemplate}
  generators:
    - merge:
        mergeKeys: [values.selector]
        generators:
          - clusters:
              values:
                selector: '${goTemplate ? '{{index .metadata.labels "location"}}' : '{{metadata.labels.location}}'}'
          - git:
              repoURL: ${repo.url}
              revision: HEAD
              directories: [{path: '*'}]
              values:
                selector: '${goTemplate ? '{{.path.path}}' : '{{path}}'}'
  template:
    metadata: {name: '${goTemplate ? '{{.name}}' : '{{name}}'}'}
    spec:
      project: default
      source: {repoURL: https://github.com/argoproj/argocd-example-apps/, targetRevision: HEAD, path: '${goTemplate ? '{{.path.path}}' : '{{path}}'}'}
      ${destination}
`;

  it('joins clusters and Git directories on a value both set (fasttemplate)', async () => {
    const result = await generate(mergeBySelector(false), offlineContext({ repositories: cache, clusters }));
    expect(result.failure).toBeUndefined();
    const germany = result.generated.find((g) => g.params.name === 'germany01')!;
    expect(germany.params).toMatchObject({ name: 'germany01', server: 'https://1.2.3.4', path: 'Germany', 'values.selector': 'Germany' });
    expect(result.generated.find((g) => g.params.name === 'spain01')?.params.path).toBeUndefined();
  });

  it('cannot merge on a nested value with goTemplate, as the docs warn', async () => {
    const result = await generate(mergeBySelector(true), offlineContext({ repositories: cache, clusters }));
    expect(result.failure?.message).toContain('the parameters from a generator were not unique by the given mergeKeys');
    expect(result.failure?.message).toContain('Duplicate key was {"values.selector":null}');
  });

  it('rejects two generators in one entry, ignores child templates and refuses a third level of nesting', async () => {
    const two = await generate(
      `
kind: ApplicationSet
metadata: {name: two-in-one}
spec:
  generators:
  - merge:
      mergeKeys: [a]
      generators:
      - list: {elements: [{a: "1"}]}
        clusters: {}
      - list: {elements: [{a: "1"}]}
  template: {metadata: {name: '{{a}}'}, spec: {project: default, ${destination}}}
`,
      offlineContext({ clusters }),
    );
    expect(two.failure?.message).toContain('found more than one generator in matrix.Generators');

    const childTemplate = await generate(`
kind: ApplicationSet
metadata: {name: child-template}
spec:
  generators:
  - merge:
      mergeKeys: [a]
      generators:
      - list: {elements: [{a: "1"}], template: {metadata: {name: 'from-child'}}}
      - list: {elements: [{a: "1"}]}
  template: {metadata: {name: 'app-{{a}}'}, spec: {project: default, ${destination}}}
`);
    expect(childTemplate.generated.map((g) => g.application.metadata.name)).toEqual(['app-1']);

    const third = await generate(`
kind: ApplicationSet
metadata: {name: too-deep}
spec:
  generators:
  - merge:
      mergeKeys: [a]
      generators:
      - merge:
          mergeKeys: [a]
          generators:
          - merge: {mergeKeys: [a], generators: [{list: {elements: [{a: "1"}]}}, {list: {elements: [{a: "1"}]}}]}
          - list: {elements: [{a: "1"}]}
      - list: {elements: [{a: "1"}]}
  template: {metadata: {name: '{{a}}'}, spec: {project: default, ${destination}}}
`);
    expect(third.failure?.message).toContain('may be nested only one level deep');
  });
});
