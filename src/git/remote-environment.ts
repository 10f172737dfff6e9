import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitError } from './git-cli.js';
import type { RepositoryAccess } from './repository-credentials.js';
import { SSH_KNOWN_HOSTS_CONFIGMAP, TLS_CERTS_CONFIGMAP } from './repository-trust.js';

/** What the platform registered as trustworthy servers: Argo CD's known hosts and TLS certificates. */
export interface RemoteTrust {
  /** known_hosts lines; SSH accepts no other host key unless the repository is insecure. */
  sshKnownHosts: string;
  /** The PEM bundle for a TLS server name, if one is registered. */
  tlsCertificates?: (serverName: string) => string | undefined;
  /** Whether git may read repositories on this machine (the `file` transport). */
  allowLocal: boolean;
}

/** git's environment for one command that talks to a remote, and the files it needs until disposed. */
export interface RemoteEnvironment {
  env: NodeJS.ProcessEnv;
  /** The command's failure, said plainly when it is about trust or authentication. */
  explain(error: Error): Error;
  dispose(): Promise<void>;
}

/** A word for the shell git runs GIT_SSH_COMMAND through. */
const shellWord = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * The environment git talks to `repoURL` with. Every setting that decides trust is explicit, so
 * neither the user's ~/.ssh (keys, agent, config, known_hosts) nor a global `http.sslVerify` or
 * GIT_SSL_NO_VERIFY decides for a tenant: SSH checks host keys strictly against `trust` and offers
 * only the repository's key; HTTPS verifies certificates (against the registered CA bundle for the
 * server when there is one). Only `access.insecure` turns either check off. Credentials travel in
 * files and GIT_CONFIG_* variables, never in argv.
 */
export async function remoteEnvironment(repoURL: string, access: RepositoryAccess, trust: RemoteTrust): Promise<RemoteEnvironment> {
  const dir = await mkdtemp(join(tmpdir(), 'regatta-remote-'));
  try {
    const file = async (name: string, content: string) => {
      const path = join(dir, name);
      await writeFile(path, content.endsWith('\n') || !content ? content : `${content}\n`, { mode: 0o600 });
      return path;
    };
    const env: NodeJS.ProcessEnv = {
      GIT_SSL_NO_VERIFY: undefined,
      GIT_SSH: undefined,
      GIT_SSH_VARIANT: 'ssh',
      SSH_AUTH_SOCK: undefined,
      // No `ext::` commands, no local files unless allowed, whatever a URL, submodule or redirect asks for.
      GIT_ALLOW_PROTOCOL: ['https', 'http', 'ssh', 'git', ...(trust.allowLocal ? ['file'] : [])].join(':'),
      // Neither the system's nor the user's git configuration (credential helpers, insteadOf, sslVerify) answers for a tenant.
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
    };
    const key = access.credentials?.sshPrivateKey;
    const ssh = [
      'ssh',
      '-F',
      '/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'IdentityAgent=none',
      '-o',
      'LogLevel=ERROR',
      '-o',
      'GlobalKnownHostsFile=/dev/null',
    ];
    ssh.push(...(key ? ['-i', shellWord(await file('key', key))] : ['-o', 'IdentityFile=none']));
    ssh.push(
      ...(access.insecure
        ? ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null']
        : ['-o', 'StrictHostKeyChecking=yes', '-o', shellWord(`UserKnownHostsFile="${await file('known_hosts', trust.sshKnownHosts)}"`)]),
    );
    env.GIT_SSH_COMMAND = ssh.join(' ');

    if (/^https?:\/\//i.test(repoURL)) {
      // Keyed by the repository's URL: more specific than any http.<url> setting a user's config may hold.
      const config: [string, string][] = [[`http.${repoURL}.sslVerify`, String(!access.insecure)]];
      const pem = access.insecure ? undefined : trust.tlsCertificates?.(serverName(repoURL));
      if (pem) env.GIT_SSL_CAINFO = await file('ca.pem', pem);
      const { username, password } = access.credentials ?? {};
      if (username !== undefined || password !== undefined) {
        config.push([`http.${repoURL}.extraHeader`, `Authorization: Basic ${Buffer.from(`${username ?? ''}:${password ?? ''}`).toString('base64')}`]);
      }
      // Appended to whatever git configuration the environment already carries.
      const count = Number(process.env.GIT_CONFIG_COUNT ?? '0') || 0;
      config.forEach(([name, value], i) => {
        env[`GIT_CONFIG_KEY_${count + i}`] = name;
        env[`GIT_CONFIG_VALUE_${count + i}`] = value;
      });
      env.GIT_CONFIG_COUNT = String(count + config.length);
    }
    return { env, explain: (error) => explainRemoteFailure(error, access), dispose: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function serverName(repoURL: string): string {
  try {
    return new URL(repoURL).hostname;
  } catch {
    return '';
  }
}

/** ssh and curl explain trust failures at length (fingerprints, file paths); one sentence says what to fix. */
function explainRemoteFailure(error: Error, access: RepositoryAccess): Error {
  const stderr = error instanceof GitError ? error.stderr : '';
  if (stderr.includes('Host key verification failed')) {
    return new GitError(
      /REMOTE HOST IDENTIFICATION HAS CHANGED|has changed and you have requested strict checking/.test(stderr)
        ? `host key verification failed: the server's host key does not match the one in ${SSH_KNOWN_HOSTS_CONFIGMAP}`
        : `host key verification failed: the server's host key is not in ${SSH_KNOWN_HOSTS_CONFIGMAP}`,
    );
  }
  if (/SSL certificate problem|server certificate verification failed|certificate verify failed/i.test(stderr)) {
    return new GitError(`TLS certificate verification failed: the server's certificate is not signed by a CA the system or ${TLS_CERTS_CONFIGMAP} trusts`);
  }
  if (stderr.includes('terminal prompts disabled')) {
    return new GitError(
      access.credentials
        ? 'failed to authenticate to git repository: the server refused the repository credentials'
        : 'failed to authenticate to git repository: no credentials matched this URL',
    );
  }
  return error;
}
