import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplicationSource } from '../../src/api/application.js';
import { GitRepositoryCache } from '../../src/git/repository-cache.js';
import { renderSource } from '../../src/sync/manifests.js';
import { TestRepository } from '../support/git-fixtures.js';

const configMap = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

const FILES = {
  'app/config.yaml': configMap('config'),
  'app/web.json': JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' } }),
  'app/list.yml': `apiVersion: v1\nkind: List\nitems:\n- ${JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'listed' } })}\n`,
  'app/README.md': '# not a manifest\n',
  'app/nested/deep.yaml': configMap('deep'),
  'app/test/fixture.yaml': configMap('test-fixture'),
  'kustomized/kustomization.yaml': 'namePrefix: prod-\ncommonLabels:\n  tier: web\nresources:\n- config.yaml\n',
  'kustomized/config.yaml': configMap('settings'),
  'broken-kustomization/kustomization.yaml': 'resources:\n- missing.yaml\n',
  'broken-yaml/bad.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [\n',
  'kindless/thing.yaml': 'apiVersion: v1\nmetadata:\n  name: thing\n',
};

describe("renderSource reads a plain directory as Argo CD's repo-server does", () => {
  let repository: TestRepository;
  let cacheDir: string;
  let repositories: GitRepositoryCache;

  beforeAll(() => {
    repository = new TestRepository('directories');
    repository.commit(FILES);
    cacheDir = mkdtempSync(join(tmpdir(), 'regatta-directory-cache-'));
    repositories = new GitRepositoryCache({ allowLocalRepositories: true, directory: cacheDir });
  });

  afterAll(() => {
    rmSync(cacheDir, { recursive: true, force: true });
    repository.dispose();
  });

  const render = (path: string, directory?: ApplicationSource['directory']) =>
    renderSource(repositories, { repoURL: repository.url, path, targetRevision: 'main', ...(directory ? { directory } : {}) });
  const names = async (path: string, directory?: ApplicationSource['directory']) => (await render(path, directory)).manifests.map((m) => m.metadata.name);

  it('reads the YAML and JSON files at the top of the path, in path order, Lists expanded, other files and subdirectories left out', async () => {
    const rendered = await render('app');
    expect(rendered.sourceType).toBe('Directory');
    expect(rendered.manifests.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual(['ConfigMap/config', 'ConfigMap/listed', 'Service/web']);
  });

  it('reads subdirectories with recurse', async () => {
    expect(await names('app', { recurse: true })).toEqual(['config', 'listed', 'deep', 'test-fixture', 'web']);
  });

  it('include and exclude are globs over the path below the source path, `*` crossing directories, braces for alternatives', async () => {
    expect(await names('app', { recurse: true, include: '*.yaml' })).toEqual(['config', 'deep', 'test-fixture']);
    expect(await names('app', { recurse: true, include: '{config.yaml,web.json}' })).toEqual(['config', 'web']);
    expect(await names('app', { recurse: true, exclude: 'test/*' })).toEqual(['config', 'listed', 'deep', 'web']);
    // Exclude wins over include.
    expect(await names('app', { recurse: true, include: '*.yaml', exclude: '{nested/*,test/*}' })).toEqual(['config']);
    // Without recurse, an include cannot reach into subdirectories.
    expect(await names('app', { include: 'nested/*' })).toEqual([]);
  });

  it('names the file that does not parse, and the object without a kind', async () => {
    await expect(render('broken-yaml')).rejects.toThrow(/^failed to unmarshal broken-yaml\/bad\.yaml: /);
    await expect(render('kindless')).rejects.toThrow("thing: Object 'Kind' is missing");
  });
});

describe('renderSource builds a directory with a kustomization as `kustomize build` does', () => {
  let repository: TestRepository;
  let cacheDir: string;
  let repositories: GitRepositoryCache;

  beforeAll(() => {
    repository = new TestRepository('kustomizations');
    repository.commit(FILES);
    cacheDir = mkdtempSync(join(tmpdir(), 'regatta-kustomize-cache-'));
    repositories = new GitRepositoryCache({ allowLocalRepositories: true, directory: cacheDir });
  });

  afterAll(() => {
    rmSync(cacheDir, { recursive: true, force: true });
    repository.dispose();
  });

  it('applies its name prefix and labels to its resources', async () => {
    const rendered = await renderSource(repositories, { repoURL: repository.url, path: 'kustomized', targetRevision: 'main' });
    expect(rendered.sourceType).toBe('Kustomize');
    expect(rendered.manifests).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'prod-settings', labels: { tier: 'web' } } }]);
  });

  it('fails with kustomize’s reason when a resource is missing', async () => {
    await expect(renderSource(repositories, { repoURL: repository.url, path: 'broken-kustomization', targetRevision: 'main' })).rejects.toThrow(
      /^kustomize build failed: .*missing\.yaml/s,
    );
  });
});
