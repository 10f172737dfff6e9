import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Secret } from '../../src/api/meta.js';
import { GitRepositoryCache } from '../../src/git/repository-cache.js';
import { credentialsFor } from '../../src/git/repository-credentials.js';
import { TestRepository } from '../support/git-fixtures.js';
import { GitHttpServer } from '../support/git-http-server.js';

const PASSWORD = 'p4ss-w0rd-s3cret';
let repo: TestRepository;
let server: GitHttpServer;
let cacheDir: string;

const repoSecret = (type: 'repository' | 'repo-creds', url: string, password = PASSWORD): Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: `${type}-${url.length}`, namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': type } },
  stringData: { url, username: 'robot', password },
});

beforeAll(async () => {
  repo = new TestRepository('private');
  repo.commit({ 'apps/a/x.yaml': 'kind: A\n' });
  server = await GitHttpServer.start(dirname(repo.bare), 'robot', PASSWORD);
  cacheDir = mkdtempSync(join(tmpdir(), 'regatta-cache-'));
});
afterAll(async () => {
  await server.stop();
  repo.dispose();
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('repository credentials from Argo CD repository Secrets', () => {
  const url = () => `${server.base}/${basename(repo.bare)}`;

  it('reads a private repository with a repository Secret, keeping the password out of argv and errors', async () => {
    const cache = new GitRepositoryCache({ directory: cacheDir, credentials: (u) => credentialsFor(u, [repoSecret('repository', url())]) });
    expect(await cache.getDirectories(url(), 'main')).toEqual(['apps', 'apps/a']);
    expect(server.requests.some((r) => r.authorized)).toBe(true);
  });

  it('falls back to the repo-creds template with the longest matching prefix', async () => {
    const secrets = [repoSecret('repo-creds', 'http://127.0.0.1', 'wrong'), repoSecret('repo-creds', `${server.base}/`)];
    expect(credentialsFor(url(), secrets)?.password).toBe(PASSWORD);
    const cache = new GitRepositoryCache({ directory: join(cacheDir, 'creds'), credentials: (u) => credentialsFor(u, secrets) });
    expect(await cache.getDirectories(url(), 'main')).toEqual(['apps', 'apps/a']);
  });

  it('fails clearly without credentials, and never shows the password of wrong ones', async () => {
    const none = new GitRepositoryCache({ directory: join(cacheDir, 'none') });
    await expect(none.getDirectories(url(), 'main')).rejects.toThrow(/failed to list refs of http:\/\/127\.0\.0\.1:\d+\/private\.git/);
    const wrong = new GitRepositoryCache({ directory: join(cacheDir, 'wrong'), credentials: () => ({ username: 'robot', password: 'not-it-s3cret' }) });
    const error = await wrong.getDirectories(url(), 'main').catch((e: Error) => e);
    expect((error as Error).message).toMatch(/failed to list refs/);
    expect((error as Error).message).not.toContain('not-it-s3cret');
  });
});
