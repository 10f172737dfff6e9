import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { regatta } from '../support/cli.js';
import { FakeScm, type FakePull } from '../support/fake-scm.js';
import { FAKE_SCM_HOST, FakeScmRepositories } from '../support/fake-scm-repositories.js';
import { docsTemplateAppSet } from '../support/scm-provider-appset.js';

// Argo CD's documentation examples for the Plugin, ClusterDecisionResource, SCM Provider and PullRequest generators, run
// through `regatta generate` with the objects the docs tell the user to create.

let dir: string;
const file = async (name: string, text: string) => {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'regatta-docs-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Generators-Plugin.md: the simple example', () => {
  let server: Server;
  const requests: { authorization?: string; body: any }[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        requests.push({ authorization: request.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ output: { parameters: [{ something: { from: { the: { plugin: 'hello' } } } }] } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  // The docs quote the first annotation's template with the double quotes it contains, which is not
  // YAML (Kubernetes would refuse it too); it is single-quoted here.
  it("calls the plugin with argocd-secret's token and renders its output, the input parameters and the values", async () => {
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const configMap = await file(
      'plugin-cm.yaml',
      `apiVersion: v1
kind: ConfigMap
metadata: {name: my-plugin, namespace: argocd}
data:
  token: "$plugin.myplugin.token"
  baseUrl: "${baseUrl}"
  requestTimeout: "60"
`,
    );
    const secret = await file(
      'argocd-secret.yaml',
      `apiVersion: v1
kind: Secret
metadata: {name: argocd-secret, namespace: argocd}
type: Opaque
data:
  plugin.myplugin.token: "c3Ryb25nLXBhc3N3b3Jk"
`,
    );
    const appSet = await file(
      'myplugin.yaml',
      `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: myplugin
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
    - plugin:
        configMapRef:
          name: my-plugin
        input:
          parameters:
            key1: "value1"
            key2: "value2"
            list: ["list", "of", "values"]
            boolean: true
            map:
              key1: "value1"
              key2: "value2"
              key3: "value3"
        values:
          value1: something
        requeueAfterSeconds: 30
  template:
    metadata:
      name: myplugin
      annotations:
        example.from.input.parameters: '{{ index .generator.input.parameters.map "key1" }}'
        example.from.values: "{{ .values.value1 }}"
        example.from.plugin.output: "{{ .something.from.the.plugin }}"
    spec:
      project: default
      source: {repoURL: https://github.com/argoproj/argo-cd.git, targetRevision: HEAD, path: guestbook}
      destination: {server: https://kubernetes.default.svc, namespace: default}
`,
    );
    const run = await regatta('generate', '-f', configMap, '-f', secret, '-f', appSet);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [application] = YAML.parseAllDocuments(run.stdout).map((d) => d.toJSON());
    expect(application.metadata.annotations).toEqual({
      'example.from.input.parameters': 'value1',
      'example.from.values': 'something',
      'example.from.plugin.output': 'hello',
    });
    expect(requests).toEqual([
      {
        authorization: 'Bearer strong-password',
        body: {
          applicationSetName: 'myplugin',
          input: {
            parameters: {
              key1: 'value1',
              key2: 'value2',
              list: ['list', 'of', 'values'],
              boolean: true,
              map: { key1: 'value1', key2: 'value2', key3: 'value3' },
            },
          },
        },
      },
    ]);
  });
});

describe('applicationset/examples/clusterDecisionResource: an OCM placement', () => {
  const clusterSecret = (name: string) => `apiVersion: v1
kind: Secret
metadata:
  name: ${name}
  namespace: argocd
  labels: {argocd.argoproj.io/secret-type: cluster}
stringData: {name: ${name}, server: https://${name}.example.com, config: '{}'}
`;
  const appSet = (goTemplate: boolean) => `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: book-import
spec:
  goTemplate: ${goTemplate}
  generators:
    - clusterDecisionResource:
        configMapRef: ocm-placement
        name: test-placement
        requeueAfterSeconds: 30
  template:
    metadata:
      name: '${goTemplate ? '{{.clusterName}}' : '{{clusterName}}'}-book-import'
    spec:
      project: "default"
      source:
        repoURL: https://github.com/open-cluster-management/application-samples.git
        targetRevision: HEAD
        path: book-import
      destination:
        name: '${goTemplate ? '{{.clusterName}}' : '{{clusterName}}'}'
        namespace: bookimport
`;

  it.each([false, true])('generates one Application per decided cluster (goTemplate: %s), from the PlacementDecision among the inputs', async (goTemplate) => {
    const inputs = await file(
      `ocm-${goTemplate}.yaml`,
      [
        `apiVersion: v1
kind: ConfigMap
metadata:
  name: ocm-placement
data:
  apiVersion: cluster.open-cluster-management.io/v1beta1
  kind: placementdecisions
  statusListKey: decisions
  matchKey: clusterName
`,
        `apiVersion: cluster.open-cluster-management.io/v1beta1
kind: PlacementDecision
metadata:
  name: test-placement
  labels:
    cluster.open-cluster-management.io/placement: test-placement
status:
  decisions:
  - clusterName: cluster-01
  - clusterName: cluster-02
`,
        clusterSecret('cluster-01'),
        clusterSecret('cluster-02'),
        appSet(goTemplate),
      ].join('---\n'),
    );
    const run = await regatta('generate', '-f', inputs, '-o', 'json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).map((a: any) => [a.metadata.name, a.spec.destination.name])).toEqual([
      ['cluster-01-book-import', 'cluster-01'],
      ['cluster-02-book-import', 'cluster-02'],
    ]);
  });
});

describe('Generators-SCM-Provider.md: the GitHub, Filters and Template examples, and the values example on Bitbucket Server', () => {
  const TOKEN = 'docs_s3cr3tT0ken';
  const sha = (digit: string) => digit.repeat(40);
  let scm: FakeScmRepositories;
  beforeAll(async () => {
    const kustomize = ['kubernetes/kustomization.yaml'];
    scm = await FakeScmRepositories.start(
      {
        myorg: [
          { name: 'myapp-api', id: 1, defaultBranch: 'main', branches: { main: sha('1') }, files: kustomize, topics: ['deploy-ok'] },
          { name: 'myapp-web', id: 2, defaultBranch: 'main', branches: { main: sha('2') }, files: kustomize },
          { name: 'otherapp-db', id: 3, defaultBranch: 'trunk', branches: { trunk: sha('3') }, files: ['helm/Chart.yaml'] },
          { name: 'otherapp-cache', id: 4, defaultBranch: 'main', branches: { main: sha('4') }, files: ['helm/Chart.yaml', 'disabledrepo.txt'] },
          { name: 'myapp-old', id: 5, defaultBranch: 'main', branches: { main: sha('5') }, files: kustomize, topics: ['deploy-ok'], archived: true },
        ],
        myproject: [
          { name: 'billing', id: 6, defaultBranch: 'main', branches: { main: sha('6') } },
          { name: 'shipping', id: 7, defaultBranch: 'main', branches: { main: sha('7') } },
        ],
      },
      TOKEN,
    );
  });
  afterAll(async () => {
    await scm.stop();
  });

  const secret = (name: string, key: string) => `apiVersion: v1
kind: Secret
metadata: {name: ${name}, namespace: argocd}
stringData: {${key}: ${TOKEN}}
`;

  // The GitHub example without appSecretName (a GitHub App instead of the token), its api the fake.
  it("lists the organization's live repositories that pass a filter, with the Template section's Applications", async () => {
    const appSet = `apiVersion: argoproj.io/v1alpha1${docsTemplateAppSet(
      `      github:
        organization: myorg
        api: ${scm.base}/
        allBranches: true
        excludeArchivedRepos: true
        tokenRef:
          secretName: github-token
          key: token
      filters:
      - repositoryMatch: ^myapp
        pathsExist: [kubernetes/kustomization.yaml]
        labelMatch: deploy-ok
      - repositoryMatch: ^otherapp
        pathsExist: [helm]
        pathsDoNotExist: [disabledrepo.txt]`,
    )}`;
    const run = await regatta('generate', '-f', await file('scm-github.yaml', [secret('github-token', 'token'), appSet].join('---\n')), '-o', 'json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).map((a: any) => [a.metadata.name, a.spec.source.repoURL, a.spec.source.targetRevision])).toEqual([
      ['myapp-api', `git@${FAKE_SCM_HOST}:myorg/myapp-api.git`, 'main'],
      ['otherapp-db', `git@${FAKE_SCM_HOST}:myorg/otherapp-db.git`, 'trunk'],
    ]);
  });

  it('names each Application from values interpolated with the generator parameters', async () => {
    const appSet = `apiVersion: argoproj.io/v1alpha1${docsTemplateAppSet(
      `      bitbucketServer:
        project: myproject
        api: ${scm.base}
        allBranches: true
        basicAuth:
          username: myuser
          passwordRef:
            secretName: mypassword
            key: password
      values:
        name: "{{.organization}}-{{.repository}}"`,
      '{{ .values.name }}',
    )}`;
    const run = await regatta('generate', '-f', await file('scm-values.yaml', [secret('mypassword', 'password'), appSet].join('---\n')), '-o', 'json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).map((a: any) => a.metadata.name)).toEqual(['myproject-billing', 'myproject-shipping']);
  });
});

describe('Generators-Pull-Request.md: the GitHub example with the Template section (Helm) and the Filters example', () => {
  const TOKEN = 'docs_pr_s3cr3tT0ken';
  const sha = (digit: string) => digit.repeat(40);
  let scm: FakeScm;
  beforeAll(async () => {
    const pull = (number: number, title: string, branch: string, labels: string[], author: string): FakePull => ({
      number,
      title,
      branch,
      target: 'main',
      sha: sha(String(number)),
      labels,
      author,
    });
    scm = await FakeScm.start([
      pull(1, 'feat: login', 'add-login', ['preview'], 'alice'),
      pull(2, 'refactor', 'refactor-argocd', [], 'bob'),
      pull(3, 'fix: crash', 'hotfix-1', ['preview', 'urgent'], 'carol'),
      pull(4, 'docs', 'docs', [], 'dave'),
    ]);
  });
  afterAll(async () => {
    await scm.stop();
  });

  const inputs = (name: string, generator: string) =>
    file(
      name,
      [
        `apiVersion: v1
kind: Secret
metadata: {name: github-token, namespace: argocd}
stringData: {token: ${TOKEN}}
`,
        `apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: my-project, namespace: argocd}
spec:
  sourceRepos: ['*']
  destinations: [{server: '*', namespace: '*'}]
`,
        `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: myapps
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - pullRequest:
      github:
        owner: myorg
        repo: myrepository
        api: ${scm.base}/
        tokenRef:
          secretName: github-token
          key: token
${generator}
  template:
    metadata:
      name: 'myapp-{{.branch}}-{{.number}}'
    spec:
      source:
        repoURL: 'https://github.com/myorg/myrepo.git'
        targetRevision: '{{.head_sha}}'
        path: kubernetes/
        helm:
          parameters:
          - name: "image.tag"
            value: "pull-{{.author}}-{{.head_sha}}"
      project: "my-project"
      destination:
        server: https://kubernetes.default.svc
        namespace: default
`,
      ].join('---\n'),
    );
  const generated = async (path: string) => {
    const run = await regatta('generate', '-f', path, '-o', 'json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout).map((a: any) => [a.metadata.name, a.spec.source.targetRevision, a.spec.source.helm.parameters[0].value]);
  };

  it('generates an Application per open pull request with every wanted label', async () => {
    const path = await inputs('pr-labels.yaml', `        labels:\n        - preview\n      requeueAfterSeconds: 1800`);
    expect(await generated(path)).toEqual([
      ['myapp-add-login-1', sha('1'), `pull-alice-${sha('1')}`],
      ['myapp-hotfix-1-3', sha('3'), `pull-carol-${sha('3')}`],
    ]);
    expect(scm.requests.every((r) => r.authorization === `token ${TOKEN}`)).toBe(true);
  });

  it('keeps the pull requests any filter matches', async () => {
    const path = await inputs('pr-filters.yaml', `      filters:\n      - branchMatch: ".*-argocd"\n      - titleMatch: "^feat:"`);
    expect((await generated(path)).map(([name]: string[]) => name)).toEqual(['myapp-add-login-1', 'myapp-refactor-argocd-2']);
  });
});
