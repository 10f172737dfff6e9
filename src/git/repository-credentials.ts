import type { Secret } from '../api/meta.js';
import { SECRET_TYPE_LABEL, secretValue } from '../api/cluster-secret.js';

export const REPOSITORY_SECRET_TYPE = 'repository';
export const REPO_CREDS_SECRET_TYPE = 'repo-creds';

export interface RepositoryCredentials {
  username?: string;
  password?: string;
  sshPrivateKey?: string;
  /** A TLS client certificate and key (PEM) for HTTPS repositories and registries. */
  tlsClientCertData?: string;
  tlsClientCertKey?: string;
}

/** How a read reaches one repository: the credentials Argo CD would use for it, and whether verification is off. */
export interface RepositoryAccess {
  credentials?: RepositoryCredentials;
  /** Namespace/name of the Secret the credentials come from: reads under the same Secret share cached copies. */
  secret?: string;
  /** The repository Secret says `insecure` or `insecureIgnoreHostKey`: neither TLS certificates nor SSH host keys are verified. */
  insecure: boolean;
  /** `enableOCI`: a Helm repository that is an OCI registry (from the repo-creds template when its credentials are used, as Argo CD copies it). */
  enableOCI?: boolean;
  /** `insecureOCIForceHttp`: the OCI registry speaks plain HTTP. */
  insecureOCIForceHttp?: boolean;
}

/** A repository Secret Argo CD would refuse too: the read fails rather than guess. */
export class RepositorySecretError extends Error {}

/** Argo CD's keys whose presence makes a repository Secret carry its own credentials (no repo-creds fallback). */
const CREDENTIAL_KEYS = [
  'username',
  'password',
  'bearerToken',
  'sshPrivateKey',
  'tlsClientCertData',
  'githubAppPrivateKey',
  'azureServicePrincipalClientSecret',
];

/** Argo CD's `user@host:path` and `ssh://user@host/path` forms (one `@`, no `/` or `:` before it). */
const SSH_URL = /^(ssh:\/\/)?[^/:]*?@[^@]+$/;

/**
 * Argo CD's URL comparison form: lower case, scp-like SSH as `user@host/path` (as `ssh://` URLs
 * become), without `.git` or trailing slashes. Undefined for text no git host could mean (blanks,
 * control characters, backslashes), which then matches no Secret.
 */
/**
 * A repository on this machine's disk (`file://` or a path, as git reads URLs): it would let an
 * ApplicationSet read whatever git can open here, another project's cached clone included.
 */
export function isLocalRepository(url: string): boolean {
  if (/^file:/i.test(url)) return true;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return false;
  const colon = url.indexOf(':');
  return colon < 0 || url.slice(0, colon).includes('/');
}

export function normalizeRepoURL(url: string): string | undefined {
  let normalized = url.trim().toLowerCase();
  // eslint-disable-next-line no-control-regex
  if (!normalized || /[\s\x00-\x1f\x7f\\]/.test(normalized)) return undefined;
  if (SSH_URL.test(normalized)) normalized = normalized.startsWith('ssh://') ? normalized.slice('ssh://'.length) : normalized.replace(':', '/');
  else if (normalized.startsWith('ssh://')) normalized = normalized.slice('ssh://'.length);
  return normalized.replace(/\/+$/, '').replace(/\.git$/, '');
}

/** Both URLs name the same repository, as Argo CD's SameURL decides. */
export function sameRepoURL(left: string, right: string): boolean {
  const a = normalizeRepoURL(left);
  return a !== undefined && a === normalizeRepoURL(right);
}

/**
 * A repo-creds URL covers a repository below it at a path boundary only: `https://git.example.com`
 * covers `https://git.example.com/org/x`, never `https://git.example.com.evil.io/x`,
 * `https://git.example.com:8443/x` or `https://git.example.com@evil.io/x`. A path that can climb
 * out of the prefix once a server decodes it (`..`, `%2e%2e`, encoded slashes) is covered by nothing.
 */
export function repoCredsCover(credsURL: string, repoURL: string): boolean {
  const prefix = normalizeRepoURL(credsURL);
  const repo = normalizeRepoURL(repoURL);
  if (!prefix || !repo || !hasHost(prefix) || !repo.startsWith(prefix)) return false;
  const rest = repo.slice(prefix.length);
  if (rest && !rest.startsWith('/')) return false;
  return !/%2f|%5c/.test(rest) && !rest.split('/').some((segment) => ['.', '..'].includes(segment.replace(/%2e/g, '.')));
}

/** A prefix that names a server: `scheme://host…` or SSH's `user@host…`, never a bare scheme that would cover every host. */
function hasHost(normalized: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/]+/.test(normalized) || /^[^/:@]*@[^/]+/.test(normalized);
}

/**
 * The access Argo CD gives a read of `repoURL` for `project` ('' when the project is not known):
 * the `repository` Secret for that URL scoped to the project, else an unscoped one; its own
 * credentials, or else those of the `repo-creds` template with the longest covering URL (templates
 * are not project-scoped). `insecure` comes from the repository Secret only.
 */
export function repositoryAccess(repoURL: string, project: string, secrets: Secret[]): RepositoryAccess {
  const typed = (type: string) => secrets.filter((s) => s.metadata?.labels?.[SECRET_TYPE_LABEL] === type);
  const candidates = typed(REPOSITORY_SECRET_TYPE).filter((s) => sameRepoURL(secretValue(s, 'url') ?? '', repoURL));
  const projectOf = (s: Secret) => secretValue(s, 'project') ?? '';
  const repository = candidates.find((s) => projectOf(s) === project) ?? candidates.find((s) => projectOf(s) === '');
  const insecure = repository ? secretBool(repository, 'insecure') || secretBool(repository, 'insecureIgnoreHostKey') : false;
  if (repository && CREDENTIAL_KEYS.some((key) => secretValue(repository, key)))
    return { credentials: credentialsOf(repository), secret: secretName(repository), insecure, ...ociSettings(repository) };
  // The longest covering URL wins; between equals, the first listed (a stable sort), as in Argo CD.
  const template = typed(REPO_CREDS_SECRET_TYPE)
    .filter((s) => repoCredsCover(secretValue(s, 'url') ?? '', repoURL))
    .map((s) => ({ s, length: normalizeRepoURL(secretValue(s, 'url')!)!.length }))
    .sort((a, b) => b.length - a.length)[0]?.s;
  if (template) return { credentials: credentialsOf(template), secret: secretName(template), insecure, ...ociSettings(template) };
  return repository ? { insecure, ...ociSettings(repository) } : { insecure };
}

/** The Secret's OCI settings, only those it turns on. */
function ociSettings(secret: Secret): Pick<RepositoryAccess, 'enableOCI' | 'insecureOCIForceHttp'> {
  return {
    ...(secretBool(secret, 'enableOCI') ? { enableOCI: true } : {}),
    ...(secretBool(secret, 'insecureOCIForceHttp') ? { insecureOCIForceHttp: true } : {}),
  };
}

const secretName = (secret: Secret) => `${secret.metadata?.namespace ?? ''}/${secret.metadata?.name ?? ''}`;

function credentialsOf(secret: Secret): RepositoryCredentials {
  const credentials: RepositoryCredentials = {
    username: secretValue(secret, 'username'),
    password: secretValue(secret, 'password'),
    sshPrivateKey: secretValue(secret, 'sshPrivateKey'),
  };
  const tlsClientCertData = secretValue(secret, 'tlsClientCertData');
  const tlsClientCertKey = secretValue(secret, 'tlsClientCertKey');
  return tlsClientCertData && tlsClientCertKey ? { ...credentials, tlsClientCertData, tlsClientCertKey } : credentials;
}

/** A boolean field as Go's strconv.ParseBool reads it; anything else is an error naming the Secret and field. */
function secretBool(secret: Secret, key: string): boolean {
  const value = secretValue(secret, key);
  if (value === undefined || value === '') return false;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  throw new RepositorySecretError(`repository Secret ${secretName(secret)}: ${key} must be "true" or "false"`);
}
