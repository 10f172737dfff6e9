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
 * The Argo CD-format Secret holding a repository's credentials: a `repository` Secret whose url is
 * the repository's wins; otherwise the `repo-creds` template with the longest url prefix.
 */
export function credentialSecretFor(repoURL: string, secrets: Secret[]): Secret | undefined {
  const wanted = normalizeRepoURL(repoURL);
  const typed = (type: string) => secrets.filter((s) => s.metadata?.labels?.['argocd.argoproj.io/secret-type'] === type);
  const exact = typed('repository').find((s) => normalizeRepoURL(secretValue(s, 'url') ?? '') === wanted);
  if (exact) return exact;
  const templates = typed('repo-creds')
    .map((s) => ({ s, prefix: (secretValue(s, 'url') ?? '').trim().toLowerCase() }))
    .filter(({ prefix }) => prefix && repoURL.toLowerCase().startsWith(prefix))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  return templates[0]?.s;
}

/** Credentials for a repository from the Secret credentialSecretFor picks. */
export function credentialsFor(repoURL: string, secrets: Secret[]): RepositoryCredentials | undefined {
  const secret = credentialSecretFor(repoURL, secrets);
  return secret && { username: secretValue(secret, 'username'), password: secretValue(secret, 'password'), sshPrivateKey: secretValue(secret, 'sshPrivateKey') };
}
