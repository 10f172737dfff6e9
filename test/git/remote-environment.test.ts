import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigMap, Secret } from '../../src/api/meta.js';
import { GitRepositoryCache } from '../../src/git/repository-cache.js';
import { repositoryAccess } from '../../src/git/repository-credentials.js';
import { SSH_KNOWN_HOSTS_CONFIGMAP, sshKnownHosts, TLS_CERTS_CONFIGMAP, tlsCertificatesFor } from '../../src/git/repository-trust.js';
import { generateSimTls, type SimTls } from '../../src/sim/sim-tls.js';
import { TestRepository } from '../support/git-fixtures.js';
import { GitHttpServer } from '../support/git-http-server.js';
import { GitSshServer, sshKeyPair, type SshKeyPair } from '../support/git-ssh-server.js';

const PASSWORD = 'tls-p4ss-s3cret';
let repo: TestRepository;
let client: SshKeyPair;
let sshd: GitSshServer;
let tls: SimTls;
let https: GitHttpServer;
let scratch: string;

const repositorySecret = (url: string, data: Record<string, string>): Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'repo', namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': 'repository' } },
  stringData: { url, ...data },
});
const configMap = (name: string, data: Record<string, string>): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'argocd' },
  data,
});

/** A cache wired as the controller wires it: access from Secrets, trust from Argo CD's ConfigMaps. */
function cacheWith(secrets: Secret[], trust: { knownHosts?: string; tlsCerts?: Record<string, string> } = {}): GitRepositoryCache {
  const knownHosts = configMap(SSH_KNOWN_HOSTS_CONFIGMAP, { ssh_known_hosts: trust.knownHosts ?? '' });
  const tlsCerts = configMap(TLS_CERTS_CONFIGMAP, trust.tlsCerts ?? {});
  return new GitRepositoryCache({
    directory: mkdtempSync(join(scratch, 'cache-')),
    access: (url, project) => repositoryAccess(url, project, secrets),
    sshKnownHosts: () => sshKnownHosts(knownHosts),
    tlsCertificates: (serverName) => tlsCertificatesFor(tlsCerts, serverName),
  });
}

beforeAll(async () => {
  repo = new TestRepository('infra');
  repo.commit({ 'clusters/a/app.yaml': 'kind: A\n' });
  client = sshKeyPair();
  sshd = await GitSshServer.start(client.publicKey);
  tls = generateSimTls();
  https = await GitHttpServer.start(dirname(repo.bare), 'robot', PASSWORD, { tls });
  scratch = mkdtempSync(join(tmpdir(), 'regatta-remote-test-'));
});
afterAll(async () => {
  await sshd.stop();
  await https.stop();
  repo.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

const withEnv = async <T>(vars: Record<string, string>, run: () => Promise<T>): Promise<T> => {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await run();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
};

describe('SSH repositories: host keys come from argocd-ssh-known-hosts-cm only', () => {
  const url = () => sshd.url(repo.bare);
  const withKey = (extra: Record<string, string> = {}) => [repositorySecret(url(), { sshPrivateKey: client.privateKey, ...extra })];

  it('refuses a server whose host key is not registered, with a clear error holding no key material', async () => {
    const mark = sshd.mark();
    const error = (await cacheWith(withKey())
      .getDirectories(url(), 'main')
      .catch((e: Error) => e)) as Error;
    // The URL is named without its user, as every repository URL in an error is.
    expect(error.message).toContain(
      `failed to list refs of ${url().replace(/\/\/[^@]+@/, '//***@')}: host key verification failed: the server's host key is not in argocd-ssh-known-hosts-cm`,
    );
    for (const material of [
      client.privateKey.split('\n')[1],
      client.publicKey.split(' ')[1],
      sshd.hostKey.publicKey.split(' ')[1],
      sshd.hostKey.fingerprint,
      'PRIVATE KEY',
    ]) {
      expect(error.message).not.toContain(material);
    }
    // The connection stopped at the host key: the client key was never shown to the unverified server.
    expect(sshd.sawKey(client.fingerprint, mark)).toBe(false);
  });

  it('reads the repository once the host key is in the ConfigMap', async () => {
    const mark = sshd.mark();
    const cache = cacheWith(withKey(), { knownHosts: `# platform hosts\n${sshd.knownHostsLine()}\n` });
    expect(await cache.getDirectories(url(), 'main')).toEqual(['clusters', 'clusters/a']);
    expect(sshd.text().slice(mark)).toContain(`Accepted publickey for`);
    expect(sshd.sawKey(client.fingerprint, mark)).toBe(true);
  });

  it('refuses a server presenting another key than the registered one', async () => {
    const impostor = sshKeyPair();
    const error = (await cacheWith(withKey(), { knownHosts: sshd.knownHostsLine(impostor.publicKey) })
      .getDirectories(url(), 'main')
      .catch((e: Error) => e)) as Error;
    expect(error.message).toContain("host key verification failed: the server's host key does not match the one in argocd-ssh-known-hosts-cm");
    expect(error.message).not.toContain(sshd.hostKey.fingerprint);
  });

  it('skips host key checking only for a repository Secret saying insecure (or insecureIgnoreHostKey)', async () => {
    expect(await cacheWith(withKey({ insecure: 'true' })).getDirectories(url(), 'main')).toEqual(['clusters', 'clusters/a']);
    expect(await cacheWith(withKey({ insecureIgnoreHostKey: 'true' })).getDirectories(url(), 'main')).toEqual(['clusters', 'clusters/a']);
    await expect(cacheWith(withKey({ insecure: 'false' })).getDirectories(url(), 'main')).rejects.toThrow(/host key verification failed/);
    await expect(cacheWith(withKey({ insecure: 'yes' })).getDirectories(url(), 'main')).rejects.toThrow(
      'repository Secret argocd/repo: insecure must be "true" or "false"',
    );
  });

  it("never lets the user's git settings decide how SSH is trusted or which key it offers", async () => {
    const home = mkdtempSync(join(scratch, 'home-'));
    writeFileSync(join(home, 'client_key'), client.privateKey, { mode: 0o600 });
    // What a user's ~/.gitconfig may say: trust any host and offer the user's own key.
    writeFileSync(
      join(home, '.gitconfig'),
      `[core]\n\tsshCommand = ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -i ${join(home, 'client_key')}\n`,
    );
    const mark = sshd.mark();
    await withEnv({ HOME: home }, async () => {
      await expect(cacheWith(withKey()).getDirectories(url(), 'main')).rejects.toThrow(/host key verification failed: the server's host key is not in/);
      // Without a repository Secret no key is offered, though the user's own key would be accepted.
      await expect(cacheWith([], { knownHosts: sshd.knownHostsLine() }).getDirectories(url(), 'main')).rejects.toThrow(/Permission denied \(publickey\)/);
    });
    expect(sshd.sawKey(client.fingerprint, mark)).toBe(false);
  });
});

describe('HTTPS repositories: certificates are verified, against argocd-tls-certs-cm when it names the server', () => {
  const url = () => `${https.base}/${basename(repo.bare)}`;
  const secrets = (extra: Record<string, string> = {}) => [repositorySecret(url(), { username: 'robot', password: PASSWORD, ...extra })];
  afterEach(() => {
    https.requests.length = 0;
  });

  it('refuses a server whose CA is unknown, before any credentials are sent', async () => {
    const error = (await cacheWith(secrets())
      .getDirectories(url(), 'main')
      .catch((e: Error) => e)) as Error;
    expect(error.message).toContain(`failed to list refs of ${url()}: TLS certificate verification failed`);
    expect(error.message).not.toContain(PASSWORD);
    expect(https.requests).toEqual([]);
    // Another CA registered for the server is no better than none.
    const otherCa = generateSimTls().caPem;
    await expect(cacheWith(secrets(), { tlsCerts: { '127.0.0.1': otherCa } }).getDirectories(url(), 'main')).rejects.toThrow(
      /TLS certificate verification failed/,
    );
    expect(https.requests).toEqual([]);
  });

  it('reads the repository with the CA registered for the server name', async () => {
    expect(await cacheWith(secrets(), { tlsCerts: { '127.0.0.1': tls.caPem } }).getDirectories(url(), 'main')).toEqual(['clusters', 'clusters/a']);
    expect(https.credentialedRequests('robot', PASSWORD).length).toBeGreaterThan(0);
  });

  it('skips verification only for a repository Secret saying insecure, whatever the environment says', async () => {
    expect(await cacheWith(secrets({ insecure: 'true' })).getDirectories(url(), 'main')).toEqual(['clusters', 'clusters/a']);
    const home = mkdtempSync(join(scratch, 'home-'));
    writeFileSync(join(home, '.gitconfig'), `[http]\n\tsslVerify = false\n[http "${https.base}/"]\n\tsslVerify = false\n`);
    await withEnv({ GIT_SSL_NO_VERIFY: 'true', HOME: home }, async () => {
      await expect(cacheWith(secrets()).getDirectories(url(), 'main')).rejects.toThrow(/TLS certificate verification failed/);
    });
  });
});
