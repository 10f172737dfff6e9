import type { Secret } from '../api/meta.js';
import { secretValue } from '../clusters/cluster-secret.js';

export interface RepositoryCredentials {
  username?: string;
  password?: string;
  sshPrivateKey?: string;
}

/** Argo CD's URL comparison: case-insensitive, without a trailing `/` or `.git`. */
export function normalizeRepoURL(url: string): string {
  return url.trim().toLowerCase().replace(/\/+$/, '').replace(/\.git$/, '');
}

/**
 * Credentials for a repository from Argo CD-format Secrets: a `repository` Secret whose url is the
 * repository's wins; otherwise the `repo-creds` template with the longest url prefix.
 */
export function credentialsFor(repoURL: string, secrets: Secret[]): RepositoryCredentials | undefined {
  const wanted = normalizeRepoURL(repoURL);
  const typed = (type: string) => secrets.filter((s) => s.metadata?.labels?.['argocd.argoproj.io/secret-type'] === type);
  const read = (secret: Secret): RepositoryCredentials => ({
    username: secretValue(secret, 'username'),
    password: secretValue(secret, 'password'),
    sshPrivateKey: secretValue(secret, 'sshPrivateKey'),
  });
  const exact = typed('repository').find((s) => normalizeRepoURL(secretValue(s, 'url') ?? '') === wanted);
  if (exact) return read(exact);
  const templates = typed('repo-creds')
    .map((s) => ({ s, prefix: (secretValue(s, 'url') ?? '').trim().toLowerCase() }))
    .filter(({ prefix }) => prefix && repoURL.toLowerCase().startsWith(prefix))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  return templates.length ? read(templates[0].s) : undefined;
}
