import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitRepositoryCache } from '../../src/git/repository-cache.js';
import { pathspecMatcher } from '../../src/git/pathspec.js';
import { GitDaemon, TestRepository } from '../support/git-fixtures.js';
import { generate, offlineContext } from '../support/generation.js';

let repo: TestRepository;
let cacheDir: string;

beforeEach(() => {
  repo = new TestRepository();
  repo.commit({ 'apps/a/app.yaml': 'kind: A\n', 'apps/b/app.yaml': 'kind: B\n', 'README.md': 'hi\n' });
  cacheDir = mkdtempSync(join(tmpdir(), 'regatta-cache-'));
});

afterEach(() => {
  repo.dispose();
  rmSync(cacheDir, { recursive: true, force: true });
});

const dirsAppSet = (url: string, revision: string) => `
kind: ApplicationSet
metadata: {name: dirs}
spec:
  goTemplate: true
  generators:
  - git: {repoURL: '${url}', revision: '${revision}', directories: [{path: 'apps/*'}]}
  template:
    metadata: {name: '{{.path.basename}}'}
    spec: {project: default, destination: {server: https://kubernetes.default.svc}}
`;

describe('GitRepositoryCache', () => {
  it('resolves branches, tags, commit SHAs and HEAD', async () => {
    const cache = new GitRepositoryCache({ allowLocalRepositories: true, directory: cacheDir });
    const first = repo.commit({ 'apps/c/app.yaml': 'kind: C\n' }, 'main', 'add c');
    repo.tag('v1');
    repo.commit({ 'apps/c/app.yaml': null }, 'main', 'remove c');
    repo.commit({ 'apps/feature/app.yaml': 'kind: F\n' }, 'feature-x', 'feature');
    expect(await cache.getDirectories(repo.url, 'HEAD')).toEqual(['apps', 'apps/a', 'apps/b']);
    expect(await cache.getDirectories(repo.url, 'v1')).toEqual(['apps', 'apps/a', 'apps/b', 'apps/c']);
    expect(await cache.getDirectories(repo.url, first)).toEqual(['apps', 'apps/a', 'apps/b', 'apps/c']);
    expect(await cache.getDirectories(repo.url, 'feature-x')).toContain('apps/feature');
    const files = await cache.getFiles(repo.url, 'main', 'apps/*/app.yaml');
    expect([...files.keys()]).toEqual(['apps/a/app.yaml', 'apps/b/app.yaml']);
    expect(files.get('apps/b/app.yaml')?.toString()).toBe('kind: B\n');
  });

  it('asks the remote on every read but fetches only when the commit changed', async () => {
    const cache = new GitRepositoryCache({ allowLocalRepositories: true, directory: cacheDir });
    await cache.getDirectories(repo.url, 'main');
    expect(cache.counters).toEqual({ lsRemotes: 1, fetches: 1 });
    for (let i = 0; i < 5; i++) await cache.getDirectories(repo.url, 'main');
    expect(cache.counters).toEqual({ lsRemotes: 6, fetches: 1 });
    repo.commit({ 'apps/new/app.yaml': 'kind: N\n' });
    expect(await cache.getDirectories(repo.url, 'main')).toContain('apps/new');
    expect(cache.counters).toEqual({ lsRemotes: 7, fetches: 2 });
  });

  it('shares one fetch between concurrent readers of the same commit', async () => {
    const cache = new GitRepositoryCache({ allowLocalRepositories: true, directory: cacheDir });
    const results = await Promise.all(Array.from({ length: 8 }, () => cache.getDirectories(repo.url, 'main')));
    expect(new Set(results.map((r) => r.join()))).toEqual(new Set(['apps,apps/a,apps/b']));
    expect(cache.counters.fetches).toBe(1);
  });

  it('works over git daemon, and fails (never empty) when the remote is unreachable', async () => {
    const daemon = await GitDaemon.start(dirname(repo.bare));
    const url = daemon.url(basename(repo.bare));
    const cache = new GitRepositoryCache({ allowLocalRepositories: true, directory: cacheDir });
    try {
      const up = await generate(dirsAppSet(url, 'main'), offlineContext({ repositories: cache }));
      expect(up.generated.map((g) => g.application.metadata.name)).toEqual(['a', 'b']);
    } finally {
      daemon.stop();
    }
    await new Promise((r) => setTimeout(r, 100));
    const down = await generate(dirsAppSet(url, 'main'), offlineContext({ repositories: cache }));
    expect(down.generated).toEqual([]);
    expect(down.failure?.reason).toBe('ApplicationGenerationFromParamsError');
    expect(down.failure?.message).toContain(`error getting directories from repo ${url} at revision "main"`);
    expect(down.failure?.message).toContain('failed to list refs');
  });

  it('fails when the revision was deleted', async () => {
    repo.commit({ 'apps/x/app.yaml': 'kind: X\n' }, 'release-1');
    const cache = new GitRepositoryCache({ allowLocalRepositories: true, directory: cacheDir });
    expect((await generate(dirsAppSet(repo.url, 'release-1'), offlineContext({ repositories: cache }))).generated).toHaveLength(3);
    repo.deleteBranch('release-1');
    const result = await generate(dirsAppSet(repo.url, 'release-1'), offlineContext({ repositories: cache }));
    expect(result.generated).toEqual([]);
    expect(result.failure?.message).toContain(`unable to resolve 'release-1' to a commit SHA in ${repo.url}`);
  });

  it('keeps at most maxRepositories on disk, removing the least recently used', async () => {
    const other = new TestRepository('other');
    other.commit({ 'x/y.yaml': 'kind: Y\n' });
    try {
      const cache = new GitRepositoryCache({ allowLocalRepositories: true, directory: cacheDir, maxRepositories: 1 });
      await cache.getDirectories(repo.url, 'main');
      await cache.getDirectories(other.url, 'main');
      expect(readdirSync(cacheDir)).toHaveLength(1);
      expect(await cache.getDirectories(repo.url, 'main')).toEqual(['apps', 'apps/a', 'apps/b']);
      expect(cache.counters.fetches).toBe(3);
    } finally {
      other.dispose();
    }
  });

  it('keeps credentials in a URL out of its errors', async () => {
    const cache = new GitRepositoryCache({ allowLocalRepositories: true, directory: cacheDir });
    await expect(cache.getDirectories('https://user:s3cret@127.0.0.1:9/none.git', 'main')).rejects.toThrow(/https:\/\/\*\*\*@127\.0\.0\.1:9\/none\.git/);
    await expect(cache.getDirectories('https://user:s3cret@127.0.0.1:9/none.git', 'main')).rejects.not.toThrow(/s3cret/);
  });
});

describe('git pathspec matching (git ls-files, as Argo CD matches files by default)', () => {
  const cases: [string, string, boolean][] = [
    ['cluster-config/**/config.json', 'cluster-config/engineering/dev/config.json', true],
    ['cluster-config/*/config.json', 'cluster-config/engineering/dev/config.json', true],
    ['cluster-config/*/dev/config.json', 'cluster-config/engineering/dev/config.json', true],
    ['cluster-config/**/config.json', 'cluster-config/config.json', false],
    ['*.yaml', 'deep/dir/file.yaml', true],
    ['apps', 'apps/a/app.yaml', true],
    ['apps/a/app.yaml', 'apps/a/app.yaml', true],
    ['apps/?/app.yaml', 'apps/a/app.yaml', true],
    ['apps/[ab]/app.yaml', 'apps/c/app.yaml', false],
    ['config.json', 'other/config.json', false],
  ];
  for (const [pattern, path, expected] of cases)
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${path}`, () => expect(pathspecMatcher(pattern)(path)).toBe(expected));
});
