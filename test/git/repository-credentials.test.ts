import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Secret } from '../../src/api/meta.js';
import { GitRepositoryCache } from '../../src/git/repository-cache.js';
import { normalizeRepoURL, repoCredsCover, repositoryAccess, sameRepoURL } from '../../src/git/repository-credentials.js';
import { TestRepository } from '../support/git-fixtures.js';
import { GitHttpServer } from '../support/git-http-server.js';

const PASSWORD = 'p4ss-w0rd-s3cret';
let repo: TestRepository;
let server: GitHttpServer;
let cacheDir: string;

const repoSecret = (type: 'repository' | 'repo-creds', url: string, password = PASSWORD, extra: Record<string, string> = {}): Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: `${type}-${url.length}-${extra.project ?? ''}`, namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': type } },
  stringData: { url, username: 'robot', password, ...extra },
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

describe('repository URLs compared as Argo CD compares them', () => {
  it('ignores case, surrounding blanks, a trailing slash and .git', () => {
    expect(normalizeRepoURL(' HTTPS://Git.Example.com/Org/Repo.git/ ')).toBe('https://git.example.com/org/repo');
    expect(sameRepoURL('https://git.example.com/org/repo', 'https://GIT.example.com/org/repo.git')).toBe(true);
    expect(sameRepoURL('https://git.example.com/org/repo', 'https://git.example.com/org/repo/')).toBe(true);
    expect(sameRepoURL('https://git.example.com/org/repo', 'https://git.example.com/org/repo2')).toBe(false);
    expect(sameRepoURL('https://git.example.com/org/repo', 'http://git.example.com/org/repo')).toBe(false);
  });

  it('treats scp-like SSH and ssh:// URLs of the same repository as one', () => {
    expect(sameRepoURL('git@github.com:argoproj/argo-cd.git', 'ssh://git@github.com/argoproj/argo-cd')).toBe(true);
    expect(normalizeRepoURL('git@github.com:argoproj/argo-cd.git')).toBe('git@github.com/argoproj/argo-cd');
    // A port is not a path: ssh://…:2222/x and scp-like host:2222/x are different repositories.
    expect(sameRepoURL('ssh://git@github.com:2222/org/x', 'git@github.com:2222/org/x')).toBe(false);
  });

  it('matches nothing for text no git host could mean', () => {
    expect(normalizeRepoURL('https://git.example.com/org/x\n')).toBe('https://git.example.com/org/x');
    expect(normalizeRepoURL('https://git.example.com/org x')).toBeUndefined();
    expect(normalizeRepoURL('https://git.example.com\\@evil.io/x')).toBeUndefined();
    expect(normalizeRepoURL('https://git.example.com/\u0000x')).toBeUndefined();
    expect(sameRepoURL('', '')).toBe(false);
  });
});

describe('repo-creds templates cover repositories below their URL at a path boundary only', () => {
  it.each([
    ['https://git.example.com', 'https://git.example.com/org/x', true],
    ['https://git.example.com/', 'https://git.example.com/org/x', true],
    ['https://git.example.com/org', 'https://git.example.com/org/x.git', true],
    ['https://git.example.com/org', 'https://git.example.com/org', true],
    ['https://Git.Example.com/Org', 'https://git.example.com/org/x', true],
    ['git@github.com:org', 'git@github.com:org/x.git', true],
    ['git@github.com:org', 'ssh://git@github.com/org/x', true],
    ['https://git.example.com', 'https://git.example.com.evil.io/x', false],
    ['https://git.example.com', 'https://git.example.com:8443/x', false],
    ['https://git.example.com', 'https://git.example.com-evil/x', false],
    ['https://git.example.com', 'https://git.example.com@evil.io/x', false],
    ['https://git.example.com/org', 'https://git.example.com/org-evil/x', false],
    ['https://git.example.com/org', 'https://git.example.com/organisation/x', false],
    ['https://git.example.com/org', 'https://git.example.com/org/../other/x', false],
    ['https://git.example.com/org', 'https://git.example.com/org/%2E%2e/other/x', false],
    ['https://git.example.com/org', 'https://git.example.com/org/.%2E/other/x', false],
    ['https://git.example.com/org', 'https://git.example.com/org/..%2fother/x', false],
    ['https://git.example.com/org', 'https://git.example.com/org/./x', false],
    ['git@github.com', 'git@github.com.evil.io:org/x', false],
    ['git@github.com:org', 'git@github.com:org-evil/x', false],
    ['https://', 'https://git.example.com/org/x', false],
    ['https:', 'https://git.example.com/org/x', false],
  ])('%s covers %s: %s', (creds, repoURL, covered) => {
    expect(repoCredsCover(creds, repoURL)).toBe(covered);
  });

  it('picks the template with the longest covering URL', () => {
    const secrets = [
      repoSecret('repo-creds', 'https://git.example.com', 'host'),
      repoSecret('repo-creds', 'https://git.example.com/org/', 'org'),
      repoSecret('repo-creds', 'https://git.example.com/org-evil', 'evil'),
    ];
    expect(repositoryAccess('https://git.example.com/org/x', '', secrets).credentials?.password).toBe('org');
    expect(repositoryAccess('https://git.example.com/other/x', '', secrets).credentials?.password).toBe('host');
    expect(repositoryAccess('https://git.example.com/org-evil/x', '', secrets).credentials?.password).toBe('evil');
    expect(repositoryAccess('https://git.example.com.evil.io/org/x', '', secrets)).toEqual({ insecure: false });
  });
});

describe('repository Secrets: exact URL, scoped to a project as Argo CD scopes them', () => {
  const scoped = repoSecret('repository', 'https://git.example.com/org/x', 'team-a', { project: 'team-a' });
  const shared = repoSecret('repository', 'https://git.example.com/org/x.git', 'shared');
  const template = repoSecret('repo-creds', 'https://git.example.com/org', 'template');

  it("prefers the project's own Secret, then an unscoped one; another project's Secret never applies", () => {
    expect(repositoryAccess('https://git.example.com/org/x', 'team-a', [shared, scoped]).credentials?.password).toBe('team-a');
    expect(repositoryAccess('https://git.example.com/org/x', 'team-b', [shared, scoped]).credentials?.password).toBe('shared');
    expect(repositoryAccess('https://git.example.com/org/x', '', [shared, scoped]).credentials?.password).toBe('shared');
    expect(repositoryAccess('https://git.example.com/org/x', 'team-b', [scoped])).toEqual({ insecure: false });
    // Templates are not project-scoped: a project without a repository Secret still gets one.
    expect(repositoryAccess('https://git.example.com/org/x', 'team-b', [scoped, template]).credentials?.password).toBe('template');
  });

  it('falls back to a template when the repository Secret carries no credentials of its own, keeping its insecure flag', () => {
    const bare: Secret = { ...shared, stringData: { url: 'https://git.example.com/org/x', insecure: 'true' } };
    expect(repositoryAccess('https://git.example.com/org/x', '', [bare, template])).toEqual({
      credentials: { username: 'robot', password: 'template', sshPrivateKey: undefined },
      secret: `argocd/${template.metadata!.name}`,
      insecure: true,
    });
    // insecure is the repository Secret's alone: it never spreads to the template's other repositories.
    expect(repositoryAccess('https://git.example.com/org/y', '', [bare, template]).insecure).toBe(false);
  });

  it("gives a Helm repository the Secret's OCI settings and TLS client certificate; a template used for credentials brings its own OCI settings", () => {
    const oci: Secret = {
      ...shared,
      stringData: {
        url: 'registry.example.com/charts',
        enableOCI: 'true',
        insecureOCIForceHttp: 'true',
        tlsClientCertData: 'CERT',
        tlsClientCertKey: 'KEY',
        username: 'u',
      },
    };
    expect(repositoryAccess('registry.example.com/charts', '', [oci])).toMatchObject({
      credentials: { username: 'u', tlsClientCertData: 'CERT', tlsClientCertKey: 'KEY' },
      enableOCI: true,
      insecureOCIForceHttp: true,
    });
    const bare: Secret = { ...shared, stringData: { url: 'https://git.example.com/org/x', enableOCI: 'true' } };
    expect(repositoryAccess('https://git.example.com/org/x', '', [bare]).enableOCI).toBe(true);
    // As Argo CD copies them from the repo-creds it takes credentials from, the template's OCI settings win.
    expect(repositoryAccess('https://git.example.com/org/x', '', [bare, template]).enableOCI).toBeUndefined();
    expect(() => repositoryAccess('registry.example.com/charts', '', [{ ...oci, stringData: { ...oci.stringData, enableOCI: 'yes' } }])).toThrow(
      `repository Secret argocd/${shared.metadata!.name}: enableOCI must be "true" or "false"`,
    );
  });

  it('reads base64 data as well as stringData', () => {
    const encoded: Secret = {
      ...shared,
      stringData: undefined,
      data: { url: Buffer.from('https://git.example.com/org/x').toString('base64'), password: Buffer.from('b64').toString('base64') },
    };
    expect(repositoryAccess('https://git.example.com/org/x', '', [encoded]).credentials?.password).toBe('b64');
  });
});

describe('repository credentials from Argo CD repository Secrets, over HTTP', () => {
  const url = () => `${server.base}/${basename(repo.bare)}`;

  it('reads a private repository with a repository Secret, keeping the password out of argv and errors', async () => {
    const cache = new GitRepositoryCache({
      allowLocalRepositories: true,
      directory: cacheDir,
      access: (u, project) => repositoryAccess(u, project, [repoSecret('repository', url())]),
    });
    expect(await cache.getDirectories(url(), 'main')).toEqual(['apps', 'apps/a']);
    expect(server.credentialedRequests('robot', PASSWORD).length).toBeGreaterThan(0);
  });

  it('falls back to the repo-creds template with the longest matching prefix', async () => {
    const secrets = [repoSecret('repo-creds', 'http://127.0.0.1', 'wrong'), repoSecret('repo-creds', `${server.base}/`)];
    expect(repositoryAccess(url(), '', secrets).credentials?.password).toBe(PASSWORD);
    const cache = new GitRepositoryCache({
      allowLocalRepositories: true,
      directory: join(cacheDir, 'creds'),
      access: (u, project) => repositoryAccess(u, project, secrets),
    });
    expect(await cache.getDirectories(url(), 'main')).toEqual(['apps', 'apps/a']);
  });

  it('fails clearly without credentials, and never shows the password of wrong ones', async () => {
    const mark = server.requests.length;
    const none = new GitRepositoryCache({ allowLocalRepositories: true, directory: join(cacheDir, 'none') });
    await expect(none.getDirectories(url(), 'main')).rejects.toThrow(
      /failed to list refs of http:\/\/127\.0\.0\.1:\d+\/private\.git: failed to authenticate to git repository: no credentials matched this URL/,
    );
    // No made-up credentials either: without a Secret the server never sees an Authorization header.
    expect(server.requests.slice(mark).filter((r) => r.authorization)).toEqual([]);
    const wrong = new GitRepositoryCache({
      allowLocalRepositories: true,
      directory: join(cacheDir, 'wrong'),
      access: () => ({ credentials: { username: 'robot', password: 'not-it-s3cret' }, insecure: false }),
    });
    const error = await wrong.getDirectories(url(), 'main').catch((e: Error) => e);
    expect((error as Error).message).toMatch(/failed to list refs .*: failed to authenticate to git repository: the server refused the repository credentials/);
    expect((error as Error).message).not.toContain('not-it-s3cret');
  });

  it("keeps one project's copy from another project that has no credentials for it", async () => {
    const secrets = [repoSecret('repository', url(), PASSWORD, { project: 'team-a' })];
    const cache = new GitRepositoryCache({
      allowLocalRepositories: true,
      directory: join(cacheDir, 'projects'),
      access: (u, project) => repositoryAccess(u, project, secrets),
    });
    const sha = await cache.resolveRevision(url(), 'main', 60_000, 'team-a');
    expect(await cache.getDirectories(url(), sha, 'team-a')).toEqual(['apps', 'apps/a']);
    // The commit is on disk already, but team-b must prove it can read it: by SHA, by branch, or a fresh listing.
    await expect(cache.getDirectories(url(), sha, 'team-b')).rejects.toThrow(/failed to fetch .*no credentials matched this URL/);
    await expect(cache.resolveRevision(url(), sha, 60_000, 'team-b')).rejects.toThrow(/no credentials matched this URL/);
    await expect(cache.resolveRevision(url(), 'main', 60_000, 'team-b')).rejects.toThrow(/no credentials matched this URL/);
  });
});
