import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitRepositoryCache } from '../../src/git/repository-cache.js';
import { ManifestError, renderSource } from '../../src/sync/manifests.js';
import { TestRepository } from '../support/git-fixtures.js';

const CHART = {
  'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 1.2.3\nappVersion: "4.5"\n',
  'charts/web/values.yaml': 'replicas: 1\nimage: nginx\nport: 80\n',
  'charts/web/templates/_helpers.tpl': '{{- define "web.fullname" -}}{{ .Release.Name }}-{{ .Chart.Name }}{{- end -}}\n',
  'charts/web/templates/NOTES.txt': 'Installed {{ .Release.Name }}\n',
  'charts/web/templates/deployment.yaml': [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: {{ include "web.fullname" . }}',
    '  namespace: {{ .Release.Namespace }}',
    '  labels:',
    '    app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}',
    '    revision: {{ .Values.revision | default "none" | quote }}',
    'spec:',
    '  replicas: {{ .Values.replicas }}',
    '  template:',
    '    spec:',
    '      containers:',
    '        - name: web',
    '          image: {{ .Values.image }}',
    '          ports:',
    '            - containerPort: {{ .Values.port }}',
    '',
  ].join('\n'),
  'charts/web/templates/service.yaml':
    'apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ include "web.fullname" . }}\nspec:\n  ports:\n    - port: {{ .Values.port }}\n',
  'envs/prod.yaml': 'replicas: 3\nimage: nginx:1.27\n',
};

describe('renderSource renders a Git path holding a Chart.yaml as Argo CD renders it with helm template', () => {
  let repository: TestRepository;
  let cacheDir: string;
  let repositories: GitRepositoryCache;
  let sha: string;

  beforeAll(() => {
    repository = new TestRepository('charts');
    sha = repository.commit(CHART);
    cacheDir = mkdtempSync(join(tmpdir(), 'regatta-helm-cache-'));
    repositories = new GitRepositoryCache({ allowLocalRepositories: true, directory: cacheDir });
  });

  afterAll(() => {
    rmSync(cacheDir, { recursive: true, force: true });
    repository.dispose();
  });

  it('a chart with a value file outside it, parameters and the release named after the Application', async () => {
    const rendered = await renderSource(
      repositories,
      {
        repoURL: repository.url,
        path: 'charts/web',
        targetRevision: 'main',
        helm: {
          valueFiles: ['../../envs/prod.yaml'],
          parameters: [
            { name: 'port', value: '8080' },
            { name: 'revision', value: '$ARGOCD_APP_REVISION_SHORT' },
          ],
        },
      },
      'main',
      '',
      { applicationName: 'shop', namespace: 'prod' },
    );
    expect(rendered.sourceType).toBe('Helm');
    expect(rendered.revision).toBe(sha);
    // Install order: the Service before the Deployment; NOTES.txt and the helper are not manifests.
    expect(rendered.manifests.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual(['Service/shop-web', 'Deployment/shop-web']);
    const deployment = rendered.manifests[1];
    expect(deployment.metadata.namespace).toBe('prod');
    expect(deployment.metadata.labels).toEqual({ 'app.kubernetes.io/version': '4.5', revision: sha.slice(0, 7) });
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.template.spec.containers[0]).toEqual({ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] });
  });

  it('releaseName and namespace in the helm block win over the Application name and destination', async () => {
    const rendered = await renderSource(
      repositories,
      { repoURL: repository.url, path: 'charts/web', targetRevision: 'main', helm: { releaseName: 'storefront', namespace: 'web' } },
      'main',
      '',
      { applicationName: 'shop', namespace: 'prod' },
    );
    expect(rendered.manifests.map((m) => [m.metadata.name, m.metadata.namespace])).toEqual([
      ['storefront-web', undefined],
      ['storefront-web', 'web'],
    ]);
  });

  it('a value file that leaves the repository is refused, naming it', async () => {
    const source = { repoURL: repository.url, path: 'charts/web', targetRevision: 'main', helm: { valueFiles: ['../../../../etc/passwd'] } };
    await expect(renderSource(repositories, source, 'main', '', { applicationName: 'shop', namespace: 'prod' })).rejects.toThrow(
      new ManifestError("helm template charts/web: file '../../../../etc/passwd' resolved to outside repository root"),
    );
  });

  it('a missing value file fails unless ignoreMissingValueFiles', async () => {
    const helm = { valueFiles: ['missing.yaml'] };
    const source = { repoURL: repository.url, path: 'charts/web', targetRevision: 'main', helm };
    await expect(renderSource(repositories, source, 'main', '', { applicationName: 'shop', namespace: 'prod' })).rejects.toThrow(
      'helm template charts/web: open missing.yaml: no such file or directory',
    );
    const ignored = await renderSource(repositories, { ...source, helm: { ...helm, ignoreMissingValueFiles: true } }, 'main', '', {
      applicationName: 'shop',
      namespace: 'prod',
    });
    expect(ignored.manifests).toHaveLength(2);
  });
});

describe("renderSource reads a multi-source Application's `$ref` value files from the referenced source's repository", () => {
  let charts: TestRepository;
  let values: TestRepository;
  let cacheDir: string;
  let repositories: GitRepositoryCache;
  let valuesSha: string;
  const release = { applicationName: 'shop', namespace: 'prod' };

  beforeAll(() => {
    charts = new TestRepository('charts');
    charts.commit(CHART);
    values = new TestRepository('values');
    valuesSha = values.commit({ 'envs/prod.yaml': 'replicas: 5\nimage: nginx:from-values-repo\n' });
    values.commit({ 'envs/prod.yaml': 'replicas: 7\n' });
    cacheDir = mkdtempSync(join(tmpdir(), 'regatta-ref-cache-'));
    repositories = new GitRepositoryCache({ allowLocalRepositories: true, directory: cacheDir });
  });

  afterAll(() => {
    rmSync(cacheDir, { recursive: true, force: true });
    charts.dispose();
    values.dispose();
  });

  const chartSource = (valueFiles: string[]) => ({ repoURL: charts.url, path: 'charts/web', targetRevision: 'main', helm: { valueFiles } });

  it("reads `$values/envs/prod.yaml` from the values repository at the referenced source's commit, not the chart's repository", async () => {
    const refs = new Map([['$values', { repoURL: values.url, revision: valuesSha }]]);
    const rendered = await renderSource(repositories, chartSource(['$values/envs/prod.yaml']), 'main', '', release, refs);
    const deployment = rendered.manifests.find((m) => m.kind === 'Deployment')!;
    expect(deployment.spec.replicas).toBe(5);
    expect(deployment.spec.template.spec.containers[0].image).toBe('nginx:from-values-repo');
  });

  it('an unknown reference and a path leaving the referenced repository fail with Argo CD’s errors', async () => {
    const refs = new Map([['$values', { repoURL: values.url, revision: valuesSha }]]);
    await expect(renderSource(repositories, chartSource(['$other/envs/prod.yaml']), 'main', '', release, refs)).rejects.toThrow(
      new ManifestError('helm template charts/web: source referenced "$other", which is not one of the available sources ($values)'),
    );
    await expect(renderSource(repositories, chartSource(['$values/envs/prod.yaml']), 'main', '', release, new Map())).rejects.toThrow(
      new ManifestError(`helm template charts/web: source referenced "$values", but no source has a 'ref' field defined`),
    );
    await expect(renderSource(repositories, chartSource(['$values/../../etc/passwd']), 'main', '', release, refs)).rejects.toThrow(
      new ManifestError("helm template charts/web: file '/../../etc/passwd' resolved to outside repository root"),
    );
  });
});
