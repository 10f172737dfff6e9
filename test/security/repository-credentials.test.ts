import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSimTls } from '../../src/sim/sim-tls.js';
import { ControllerHarness } from '../support/controller-harness.js';
import { TestRepository } from '../support/git-fixtures.js';
import { GitHttpServer, type GitHttpServerOptions } from '../support/git-http-server.js';
import { GitSshServer, sshKeyPair, type SshKeyPair } from '../support/git-ssh-server.js';
import { writeMark, writesSince } from '../support/write-log.js';

/**
 * Tenants name repository URLs; the platform registers credentials for some of them. Each attempt
 * below names a URL that a careless match would hand those credentials to (or read without
 * verifying the server): it must be refused with a condition saying why, write no Application,
 * and the server it names must never see the credentials. The legitimate repository next to
 * each attempt works, so the refusals are not an outage.
 */

const USER = 'robot';
const PASSWORD = 'pl4tform-s3cret';
const LEGIT_APPS = ['a', 'b'];

let h: ControllerHarness;
let repo: TestRepository;
let root: string;
let client: SshKeyPair;
/** Registered host-wide at its port P. */
let hostServer: GitHttpServer;
/** An unregistered server whose port starts with P's digits. */
let neighbour: GitHttpServer;
/** Registered for /org and, per project, /private. */
let orgServer: GitHttpServer;
/** HTTPS with a CA nobody registered; one repository on it is insecure. */
let tlsServer: GitHttpServer;
/** Its host key is in argocd-ssh-known-hosts-cm; a key is registered for /org below the root. */
let sshd: GitSshServer;
/** Credentials are registered for it, but not its host key (an impostor key is listed instead). */
let strangerSshd: GitSshServer;

/** A server on a port P whose neighbour listens on a port starting with P's digits (P0…P9). */
async function portPrefixedPair(options: GitHttpServerOptions = {}): Promise<[GitHttpServer, GitHttpServer]> {
  for (let attempt = 0; attempt < 40; attempt++) {
    const port = 1100 + Math.floor(Math.random() * 5400);
    const first = await GitHttpServer.start(root, USER, PASSWORD, { ...options, port }).catch(() => undefined);
    if (!first) continue;
    for (let digit = 0; digit < 10; digit++) {
      const second = await GitHttpServer.start(root, USER, PASSWORD, { ...options, port: port * 10 + digit }).catch(() => undefined);
      if (second) return [first, second];
    }
    await first.stop();
  }
  throw new Error('no free pair of ports P and P0…P9 on 127.0.0.1');
}

const secret = (name: string, type: 'repository' | 'repo-creds', data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': type } },
  stringData: data,
});

const appSet = (name: string, repoURL: string, project = 'default') => ({
  metadata: { name },
  spec: {
    goTemplate: true,
    generators: [{ git: { repoURL, revision: 'main', directories: [{ path: 'apps/*' }] } }],
    template: {
      metadata: { name: `{{.path.basename}}-${name}` },
      spec: {
        project,
        source: { repoURL, path: '{{.path.path}}', targetRevision: 'main' },
        destination: { server: 'https://kubernetes.default.svc', namespace: name },
      },
    },
  },
});

async function generates(name: string, repoURL: string, project?: string): Promise<void> {
  await h.applyAppSet(appSet(name, repoURL, project));
  await h.eventually(async () => {
    const owned = (await h.applications()).filter((a) => a.metadata.ownerReferences?.[0]?.name === name).map((a) => a.metadata.name);
    return owned.sort().join() === LEGIT_APPS.map((app) => `${app}-${name}`).join();
  }, `${name} to generate its Applications`);
  // Its Applications' events wake it once more after a batching window (≥ 500 ms): let that read
  // finish, so what a server receives next is the attempt's alone.
  await new Promise((r) => setTimeout(r, 1200));
  await h.settle();
}

/** Applies a tenant ApplicationSet that must fail: returns its ErrorOccurred message once no Application was written. */
async function refused(name: string, repoURL: string, project?: string): Promise<string> {
  const mark = writeMark();
  await h.applyAppSet(appSet(name, repoURL, project));
  const condition = await h.eventually(
    async () => (await h.appSet(name)).status?.conditions?.find((c: any) => c.type === 'ErrorOccurred' && c.status === 'True'),
    `${name} to be refused`,
  );
  await h.settle();
  expect(writesSince(h.fleet.cluster(), mark, { kind: 'Application' })).toEqual([]);
  expect(condition.message).toContain(`error getting directories from repo ${repoURL} at revision "main"`);
  for (const secretText of [PASSWORD, client.privateKey.split('\n')[1], Buffer.from(`${USER}:${PASSWORD}`).toString('base64')])
    expect(condition.message).not.toContain(secretText);
  return condition.message;
}

/** What a server received after `mark`: the requests, and those that carried the platform's credentials. */
const since = (server: GitHttpServer, mark: number) => ({
  requests: server.requests.slice(mark),
  credentialed: server.requests.slice(mark).filter((r) => r.authorization === `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`),
});

beforeAll(async () => {
  repo = new TestRepository('app');
  repo.commit(Object.fromEntries(LEGIT_APPS.map((app) => [`apps/${app}/config.yaml`, `name: ${app}\n`])));
  root = mkdtempSync(join(tmpdir(), 'regatta-served-'));
  for (const path of ['org/app.git', 'org-evil/x.git', 'other/x.git', 'private/x.git'])
    execFileSync('git', ['clone', '--quiet', '--bare', repo.bare, join(root, path)]);
  client = sshKeyPair();
  [hostServer, neighbour] = await portPrefixedPair();
  orgServer = await GitHttpServer.start(root, USER, PASSWORD);
  tlsServer = await GitHttpServer.start(root, USER, PASSWORD, { tls: generateSimTls() });
  sshd = await GitSshServer.start(client.publicKey);
  strangerSshd = await GitSshServer.start(client.publicKey);
  h = await ControllerHarness.start();

  const creds = { username: USER, password: PASSWORD };
  const secrets = [
    secret('host-wide', 'repo-creds', { url: hostServer.base, ...creds }),
    secret('org', 'repo-creds', { url: `${orgServer.base}/org`, ...creds }),
    secret('team-a-private', 'repository', { url: `${orgServer.base}/private/x.git`, project: 'team-a', ...creds }),
    secret('tls-host', 'repo-creds', { url: tlsServer.base, ...creds }),
    secret('tls-insecure-app', 'repository', { url: `${tlsServer.base}/org/app.git`, insecure: 'true' }),
    secret('ssh-org', 'repo-creds', { url: sshd.url(`${root}/org`), sshPrivateKey: client.privateKey }),
    secret('ssh-stranger', 'repo-creds', { url: strangerSshd.url(''), sshPrivateKey: client.privateKey }),
    secret('ssh-stranger-by-name', 'repo-creds', { url: strangerSshd.url('').replace('127.0.0.1', 'localhost'), sshPrivateKey: client.privateKey }),
  ];
  for (const body of secrets) await h.core.createNamespacedSecret({ namespace: 'argocd', body });
  const knownHosts = [sshd.knownHostsLine(), strangerSshd.knownHostsLine(sshKeyPair().publicKey)].join('\n');
  await h.core.createNamespacedConfigMap({
    namespace: 'argocd',
    body: { metadata: { name: 'argocd-ssh-known-hosts-cm' }, data: { ssh_known_hosts: knownHosts } },
  });
  for (const name of ['team-a', 'team-b']) {
    await h.custom.createNamespacedCustomObject({
      group: 'argoproj.io',
      version: 'v1alpha1',
      namespace: 'argocd',
      plural: 'appprojects',
      body: {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AppProject',
        metadata: { name },
        spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }] },
      },
    });
  }
  // The controller sees the Secrets and the known hosts once it can read the SSH repository with them.
  await h.eventually(
    () => h.context.repositories.resolveRevision(sshd.url(`${root}/org/app.git`), 'main'),
    'the repository Secrets and known hosts to reach the controller',
  );
}, 60_000);

afterAll(async () => {
  await h?.stop();
  for (const server of [hostServer, neighbour, orgServer, tlsServer]) await server?.stop();
  for (const server of [sshd, strangerSshd]) await server?.stop();
  repo?.dispose();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('repository credentials go only where the platform registered them (HTTP)', () => {
  it('uses the credentials for the registered repositories', async () => {
    const mark = hostServer.requests.length;
    await generates('legit-host', `${hostServer.base}/other/x.git`);
    await generates('legit-org', `${orgServer.base}/org/app.git`);
    await generates('legit-team-a', `${orgServer.base}/private/x.git`, 'team-a');
    expect(since(hostServer, mark).credentialed.length).toBeGreaterThan(0);
  });

  it('refuses a sibling path that shares the registered prefix without a path boundary', async () => {
    const mark = orgServer.requests.length;
    expect(await refused('org-evil', `${orgServer.base}/org-evil/x.git`)).toContain(
      'failed to authenticate to git repository: no credentials matched this URL',
    );
    expect(since(orgServer, mark).requests.length).toBeGreaterThan(0);
    expect(since(orgServer, mark).requests.filter((r) => r.authorization)).toEqual([]);
  });

  it('refuses a path that climbs out of the registered prefix with ..', async () => {
    const mark = orgServer.requests.length;
    expect(await refused('dot-dot', `${orgServer.base}/org/../other/x.git`)).toContain('no credentials matched this URL');
    expect(since(orgServer, mark).requests.map((r) => r.path)).toContain('/other/x.git/info/refs');
    expect(since(orgServer, mark).requests.filter((r) => r.authorization)).toEqual([]);
  });

  it('refuses a path that climbs out with percent-encoded dots, which the server decodes', async () => {
    const mark = orgServer.requests.length;
    expect(await refused('encoded-dot-dot', `${orgServer.base}/org/%2e%2e/other/x.git`)).toContain('no credentials matched this URL');
    expect(since(orgServer, mark).requests.map((r) => r.path)).toContain('/other/x.git/info/refs');
    expect(since(orgServer, mark).requests.filter((r) => r.authorization)).toEqual([]);
  });

  it('refuses a server on a port whose digits start with the registered port', async () => {
    expect(String(neighbour.port).startsWith(String(hostServer.port))).toBe(true);
    const mark = neighbour.requests.length;
    expect(await refused('port-prefix', `${neighbour.base}/other/x.git`)).toContain('no credentials matched this URL');
    expect(since(neighbour, mark).requests.length).toBeGreaterThan(0);
    expect(since(neighbour, mark).requests.filter((r) => r.authorization)).toEqual([]);
  });

  it('refuses a URL whose text starts with the registered server but whose host is another (userinfo)', async () => {
    const mark = neighbour.requests.length;
    await refused('userinfo', `http://127.0.0.1:${hostServer.port}@127.0.0.1:${neighbour.port}/other/x.git`);
    // git sends what the URL itself says (user 127.0.0.1): never the platform's credentials.
    expect(since(neighbour, mark).requests.length).toBeGreaterThan(0);
    expect(since(neighbour, mark).credentialed).toEqual([]);
  });

  it("refuses another project's repository Secret", async () => {
    const mark = orgServer.requests.length;
    expect(await refused('team-b-private', `${orgServer.base}/private/x.git`, 'team-b')).toContain('no credentials matched this URL');
    expect(since(orgServer, mark).requests.length).toBeGreaterThan(0);
    expect(since(orgServer, mark).requests.filter((r) => r.authorization)).toEqual([]);
  });

  it('reads with no project when the project is templated, so project-scoped Secrets do not apply', async () => {
    const mark = orgServer.requests.length;
    expect(await refused('templated-project', `${orgServer.base}/private/x.git`, '{{.path.basename}}')).toContain('no credentials matched this URL');
    expect(since(orgServer, mark).requests.filter((r) => r.authorization)).toEqual([]);
  });
});

describe('TLS verification is off only for the repository whose Secret says insecure', () => {
  it('reads the insecure repository, and refuses its neighbour on the same server before sending anything', async () => {
    await generates('legit-insecure', `${tlsServer.base}/org/app.git`);
    const mark = tlsServer.requests.length;
    expect(await refused('insecure-neighbour', `${tlsServer.base}/other/x.git`)).toContain('TLS certificate verification failed');
    expect(since(tlsServer, mark).requests).toEqual([]);
  });
});

describe('SSH: host keys from argocd-ssh-known-hosts-cm, keys only where registered', () => {
  it('reads the registered repository on the known host', async () => {
    const mark = sshd.mark();
    await generates('legit-ssh', sshd.url(`${root}/org/app.git`));
    expect(sshd.sawKey(client.fingerprint, mark)).toBe(true);
  });

  it('offers no key to a sibling path of the registered prefix', async () => {
    const mark = sshd.mark();
    expect(await refused('ssh-org-evil', sshd.url(`${root}/org-evil/x.git`))).toContain('Permission denied (publickey)');
    expect(sshd.text().slice(mark)).toContain('Connection from 127.0.0.1');
    expect(sshd.sawKey(client.fingerprint, mark)).toBe(false);
  });

  it('refuses a server whose host key is not registered, before offering the key registered for it', async () => {
    const url = strangerSshd.url(`${root}/org/app.git`).replace('127.0.0.1', 'localhost');
    expect(await refused('ssh-unknown-host', url)).toContain("host key verification failed: the server's host key is not in argocd-ssh-known-hosts-cm");
    expect(strangerSshd.sawKey(client.fingerprint)).toBe(false);
  });

  it('refuses a server presenting another host key than the registered one', async () => {
    const message = await refused('ssh-impostor', strangerSshd.url(`${root}/org/app.git`));
    expect(message).toContain("host key verification failed: the server's host key does not match the one in argocd-ssh-known-hosts-cm");
    expect(message).not.toContain(strangerSshd.hostKey.fingerprint);
    expect(strangerSshd.sawKey(client.fingerprint)).toBe(false);
  });
});
