import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitRepositoryCache } from '../../src/git/repository-cache.js';
import { clusterSecret } from '../support/cluster-secrets.js';
import { ClusterRegistry } from '../../src/clusters/cluster-registry.js';
import { exampleRepository } from '../support/example-repository.js';
import type { TestRepository } from '../support/git-fixtures.js';
import { applicationsOf, generate, offlineContext } from '../support/generation.js';

let repo: TestRepository;
let cacheDir: string;
let cache: GitRepositoryCache;
const context = () => offlineContext({ repositories: cache });

beforeAll(() => {
  repo = exampleRepository();
  cacheDir = mkdtempSync(join(tmpdir(), 'regatta-cache-'));
  cache = new GitRepositoryCache({ allowLocalRepositories: true, directory: cacheDir });
});

afterAll(() => {
  repo.dispose();
  rmSync(cacheDir, { recursive: true, force: true });
});

const template = (name: string, path: string, extra = '') => `
  template:
    metadata:
      name: '${name}'
    spec:
      project: default
      source:
        repoURL: https://github.com/argoproj/argo-cd.git
        targetRevision: HEAD
        path: '${path}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '${extra || name}'`;

describe('git generator: directories (Generators-Git.md)', () => {
  it('yields one Application per matching directory, with the path parameters', async () => {
    const result = await generate(
      `
kind: ApplicationSet
metadata: {name: cluster-addons}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - git:
      repoURL: ${repo.url}
      revision: HEAD
      directories:
      - path: applicationset/examples/git-generator-directory/cluster-addons/*
${template('{{.path.basename}}', '{{.path.path}}')}`,
      context(),
    );
    expect(result.failure).toBeUndefined();
    expect(result.generated.map((g) => [g.application.metadata.name, g.application.spec.source?.path])).toEqual([
      ['argo-workflows', 'applicationset/examples/git-generator-directory/cluster-addons/argo-workflows'],
      ['prometheus-operator', 'applicationset/examples/git-generator-directory/cluster-addons/prometheus-operator'],
    ]);
    expect(result.generated[0].params).toEqual({
      path: {
        path: 'applicationset/examples/git-generator-directory/cluster-addons/argo-workflows',
        basename: 'argo-workflows',
        basenameNormalized: 'argo-workflows',
        segments: ['applicationset', 'examples', 'git-generator-directory', 'cluster-addons', 'argo-workflows'],
      },
    });
    expect(result.requeueAfterSeconds).toBe(180);
  });

  it('names parameters path, path.basename, path.basenameNormalized and path[N] without goTemplate', async () => {
    const result = await generate(
      `
kind: ApplicationSet
metadata: {name: flat}
spec:
  generators:
  - git: {repoURL: '${repo.url}', revision: main, directories: [{path: 'd/e'}]}
${template('{{path.basename}}', '{{path}}')}`,
      context(),
    );
    expect(result.generated[0].params).toEqual({ path: 'd/e', 'path.basename': 'e', 'path.basenameNormalized': 'e', 'path[0]': 'd', 'path[1]': 'e' });
  });

  it('lets exclude rules win over include rules', async () => {
    const names = async (directories: string) =>
      (
        await applicationsOf(
          `
kind: ApplicationSet
metadata: {name: excludes}
spec:
  goTemplate: true
  generators:
  - git:
      repoURL: ${repo.url}
      revision: HEAD
      directories: ${directories}
${template('{{.path.basename}}', '{{.path.path}}')}`,
          context(),
        )
      ).map((a) => a.metadata.name);
    expect(
      await names(`
      - path: applicationset/examples/git-generator-directory/excludes/cluster-addons/*
      - path: applicationset/examples/git-generator-directory/excludes/cluster-addons/exclude-helm-guestbook
        exclude: true`),
    ).toEqual(['argo-workflows', 'prometheus-operator']);
    expect(await names(`[{path: d/e}, {path: 'd/*', exclude: true}]`)).toEqual([]);
    expect(await names(`[{path: 'd/*'}, {path: d/f, exclude: true}, {path: d/g, exclude: true}]`)).toEqual(['e']);
    expect(await names(`[{path: 'd/*'}, {path: 'd/[fg]', exclude: true}]`)).toEqual(['e']);
  });

  it('matches the root of the repository, skipping hidden directories', async () => {
    const apps = await applicationsOf(
      `
kind: ApplicationSet
metadata: {name: root}
spec:
  goTemplate: true
  generators:
  - git:
      repoURL: ${repo.url}
      revision: HEAD
      directories:
      - path: '*'
      - path: d
        exclude: true
      values:
        cluster: '{{.path.basename}}'
${template('{{.path.basename}}', '{{.path.path}}', '{{.values.cluster}}')}`,
      context(),
    );
    expect(apps.map((a) => [a.metadata.name, a.spec.destination.namespace])).toEqual([['applicationset', 'applicationset']]);
  });
});

describe('git generator: files (Generators-Git.md)', () => {
  const filesAppSet = (goTemplate: boolean, files: string, extra = '') => `
kind: ApplicationSet
metadata: {name: guestbook}
spec:
  goTemplate: ${goTemplate}
  generators:
  - git:
      repoURL: ${repo.url}
      revision: HEAD
      files: ${files}
${extra}
  template:
    metadata:
      name: '${goTemplate ? '{{.cluster.name}}' : '{{cluster.name}}'}-guestbook'
    spec:
      project: default
      source:
        repoURL: https://github.com/argoproj/argo-cd.git
        targetRevision: HEAD
        path: "applicationset/examples/git-generator-files-discovery/apps/guestbook"
      destination:
        server: '${goTemplate ? '{{.cluster.address}}' : '{{cluster.address}}'}'
        namespace: guestbook`;

  it('yields one parameter set per config file, flattened without goTemplate', async () => {
    const result = await generate(
      filesAppSet(false, `[{path: "applicationset/examples/git-generator-files-discovery/cluster-config/**/config.json"}]`),
      context(),
    );
    expect(result.generated.map((g) => [g.application.metadata.name, g.application.spec.destination.server])).toEqual([
      ['engineering-dev-guestbook', 'https://1.2.3.4'],
      ['engineering-prod-guestbook', 'https://2.4.6.8'],
    ]);
    expect(result.generated[0].params).toMatchObject({
      aws_account: '123456',
      asset_id: '11223344',
      'cluster.owner': 'cluster-admin@company.com',
      'cluster.name': 'engineering-dev',
      'cluster.address': 'https://1.2.3.4',
      path: 'applicationset/examples/git-generator-files-discovery/cluster-config/engineering/dev',
      'path.basename': 'dev',
      'path.filename': 'config.json',
      'path[4]': 'engineering',
    });
  });

  it('keeps file objects nested in goTemplate mode and excludes files matched by an exclude rule', async () => {
    const result = await generate(
      filesAppSet(
        true,
        `
          - path: "applicationset/examples/git-generator-files-discovery/cluster-config/**/config.json"
          - path: "applicationset/examples/git-generator-files-discovery/cluster-config/*/dev/config.json"
            exclude: true`,
      ),
      context(),
    );
    expect(result.generated.map((g) => g.application.metadata.name)).toEqual(['engineering-prod-guestbook']);
    expect(result.generated[0].params).toMatchObject({
      cluster: { name: 'engineering-prod', address: 'https://2.4.6.8' },
      path: {
        basename: 'prod',
        filename: 'config.json',
        segments: ['applicationset', 'examples', 'git-generator-files-discovery', 'cluster-config', 'engineering', 'prod'],
      },
    });
  });

  it('interpolates values from path segments', async () => {
    const apps = await applicationsOf(
      filesAppSet(
        true,
        `[{path: "applicationset/examples/git-generator-files-discovery/cluster-config/**/config.json"}]`,
        `      values:
        base_dir: "{{index .path.segments 0}}/{{index .path.segments 1}}/{{index .path.segments 2}}"`,
      ).replace('path: "applicationset/examples/git-generator-files-discovery/apps/guestbook"', 'path: "{{.values.base_dir}}/apps/guestbook"'),
      context(),
    );
    expect(apps[0].spec.source?.path).toBe('applicationset/examples/git-generator-files-discovery/apps/guestbook');
  });

  it('reports an unparsable file with the repository and path, and yields nothing', async () => {
    const broken = exampleRepository();
    broken.commit({ 'bad/config.json': '{"unclosed": [' });
    try {
      const result = await generate(filesAppSet(false, `[{path: "bad/config.json"}]`).replace(repo.url, broken.url), context());
      expect(result.generated).toEqual([]);
      expect(result.failure?.message).toContain(`unable to process file 'bad/config.json' from repository '${broken.url}'`);
    } finally {
      broken.dispose();
    }
  });
});

describe('git generator in a matrix (Generators-Matrix.md)', () => {
  it('combines Git directories with clusters', async () => {
    const clusters = new ClusterRegistry(() => [
      clusterSecret('staging', 'https://1.2.3.4', { labels: { environment: 'staging' } }),
      clusterSecret('production', 'https://2.4.6.8', { labels: { environment: 'production' } }),
    ]);
    const apps = await applicationsOf(
      `
kind: ApplicationSet
metadata: {name: cluster-git}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
    - matrix:
        generators:
          - git:
              repoURL: ${repo.url}
              revision: HEAD
              directories:
                - path: applicationset/examples/git-generator-directory/cluster-addons/*
          - clusters:
              selector:
                matchLabels:
                  argocd.argoproj.io/secret-type: cluster
  template:
    metadata:
      name: '{{.path.basename}}-{{.name}}'
    spec:
      project: '{{index .metadata.labels "environment"}}'
      source:
        repoURL: https://github.com/argoproj/argo-cd.git
        targetRevision: HEAD
        path: '{{.path.path}}'
      destination:
        server: '{{.server}}'
        namespace: '{{.path.basename}}'
`,
      offlineContext({ repositories: cache, clusters }),
    );
    expect(apps.map((a) => [a.metadata.name, a.spec.project, a.spec.destination.server])).toEqual([
      ['argo-workflows-production', 'production', 'https://2.4.6.8'],
      ['argo-workflows-staging', 'staging', 'https://1.2.3.4'],
      ['prometheus-operator-production', 'production', 'https://2.4.6.8'],
      ['prometheus-operator-staging', 'staging', 'https://1.2.3.4'],
    ]);
  });

  it("lets the second generator use the first's parameters, and two Git generators need pathParamPrefix", async () => {
    const clusters = new ClusterRegistry(() => [
      clusterSecret('dev-1', 'https://10.0.0.1', { labels: { 'kubernetes.io/environment': 'dev' } }),
      clusterSecret('prod-1', 'https://10.0.0.2', { labels: { 'kubernetes.io/environment': 'prod' } }),
    ]);
    const apps = await applicationsOf(
      `
kind: ApplicationSet
metadata: {name: cluster-git}
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
                - path: "applicationset/examples/git-generator-files-discovery/cluster-config/**/config.json"
          - clusters:
              selector:
                matchLabels:
                  argocd.argoproj.io/secret-type: cluster
                  kubernetes.io/environment: '{{.path.basename}}'
  template:
    metadata:
      name: '{{.name}}-guestbook'
    spec:
      project: default
      source:
        repoURL: https://github.com/argoproj/applicationset.git
        targetRevision: HEAD
        path: "examples/git-generator-files-discovery/apps/guestbook"
      destination:
        server: '{{.server}}'
        namespace: guestbook
`,
      offlineContext({ repositories: cache, clusters }),
    );
    expect(apps.map((a) => [a.metadata.name, a.spec.destination.server])).toEqual([
      ['dev-1-guestbook', 'https://10.0.0.1'],
      ['prod-1-guestbook', 'https://10.0.0.2'],
    ]);

    const twoRepos = await generate(
      `
kind: ApplicationSet
metadata: {name: two-git}
spec:
  goTemplate: true
  generators:
    - matrix:
        generators:
          - git: {repoURL: '${repo.url}', revision: HEAD, directories: [{path: 'd/e'}], pathParamPrefix: first}
          - git: {repoURL: '${repo.url}', revision: HEAD, directories: [{path: 'd/[fg]'}], pathParamPrefix: second}
  template:
    metadata: {name: '{{.first.path.basename}}-{{.second.path.basename}}'}
    spec: {project: default, destination: {server: https://kubernetes.default.svc}}
`,
      offlineContext({ repositories: cache }),
    );
    expect(twoRepos.generated.map((g) => g.application.metadata.name)).toEqual(['e-f', 'e-g']);
  });
});
