import type { Secret } from './meta.js';

/** The label that makes a Secret an Argo CD cluster registration. */
export const SECRET_TYPE_LABEL = 'argocd.argoproj.io/secret-type';
export const CLUSTER_SECRET_TYPE = 'cluster';
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';
export const IN_CLUSTER_NAME = 'in-cluster';

/** A cluster's server URL as Argo CD compares them: without trailing slashes. */
export function clusterServerKey(server: string): string {
  return server.replace(/\/+$/, '');
}

export interface ClusterTLSConfig {
  insecure?: boolean;
  caData?: string;
  certData?: string;
  keyData?: string;
  serverName?: string;
}

/** The `config` JSON of a cluster Secret, as Argo CD defines it. */
export interface ClusterConfig {
  bearerToken?: string;
  username?: string;
  password?: string;
  tlsClientConfig?: ClusterTLSConfig;
  execProviderConfig?: { command?: string; args?: string[]; env?: Record<string, string>; apiVersion?: string; installHint?: string };
  awsAuthConfig?: Record<string, unknown>;
  disableCompression?: boolean;
  proxyUrl?: string;
}

/** A cluster registered by a Secret. Credentials live in `config`, which is never logged or shown. */
export interface ClusterRecord {
  name: string;
  server: string;
  project?: string;
  namespaces: string[];
  clusterResources: boolean;
  shard?: number;
  config: ClusterConfig;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The Secret; its uid is Argo CD's cluster id. */
  secret: { namespace: string; name: string; uid: string };
}

/** Why a cluster Secret was not usable; names the Secret and the field, never a value. */
export interface ClusterSecretProblem {
  secret: string;
  field: string;
  message: string;
}

export function isClusterSecret(secret: Secret): boolean {
  return secret.metadata?.labels?.[SECRET_TYPE_LABEL] === CLUSTER_SECRET_TYPE;
}

/** One decoded data value of a Secret (stringData wins, as the API server merges it). */
export function secretValue(secret: Secret, key: string): string | undefined {
  if (secret.stringData && Object.hasOwn(secret.stringData, key)) return secret.stringData[key];
  const raw = secret.data?.[key];
  return raw === undefined ? undefined : Buffer.from(raw, 'base64').toString('utf8');
}

/** The label value that marks a Secret as an SCM token a generator may read in strict mode. */
const SCM_CREDS_SECRET_TYPE = 'scm-creds';

/**
 * One key of a Secret that a generator's `tokenRef` names, with Argo CD's errors: the Secret
 * missing, not an SCM credential (strict mode), or without the key. Never the value.
 */
export function secretRefValue(secret: Secret | undefined, namespace: string, name: string, key: string, scmCredsOnly = false): string {
  if (!secret) throw new Error(`error fetching secret ${namespace}/${name}: secrets "${name}" not found`);
  if (scmCredsOnly && secret.metadata?.labels?.[SECRET_TYPE_LABEL] !== SCM_CREDS_SECRET_TYPE) {
    throw new Error(`secret ${namespace}/${name} is not a valid SCM creds secret: secret must have label "${SECRET_TYPE_LABEL}"="${SCM_CREDS_SECRET_TYPE}"`);
  }
  const value = secretValue(secret, key);
  if (value === undefined) throw new Error(`key ${JSON.stringify(key)} in secret ${namespace}/${name} not found`);
  return value;
}

/** Parses an Argo CD cluster Secret; problems name the Secret and field, never its contents. */
export function parseClusterSecret(secret: Secret): { cluster?: ClusterRecord; problems: ClusterSecretProblem[] } {
  const where = `${secret.metadata?.namespace ?? ''}/${secret.metadata?.name ?? ''}`;
  const problems: ClusterSecretProblem[] = [];
  const problem = (field: string, message: string) => problems.push({ secret: where, field, message });

  const server = secretValue(secret, 'server')?.trim();
  if (!server) problem('data.server', 'is required');
  else {
    try {
      new URL(server);
    } catch {
      problem('data.server', 'is not a URL');
    }
  }

  let config: ClusterConfig = {};
  const configText = secretValue(secret, 'config');
  if (configText !== undefined && configText.trim() !== '') {
    try {
      const parsed: unknown = JSON.parse(configText);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) problem('data.config', 'must be a JSON object');
      else config = parsed as ClusterConfig;
    } catch {
      problem('data.config', 'is not valid JSON');
    }
  }
  const tls = config.tlsClientConfig;
  if (tls !== undefined && (typeof tls !== 'object' || tls === null)) problem('data.config.tlsClientConfig', 'must be an object');
  for (const key of ['caData', 'certData', 'keyData'] as const) {
    const value = tls?.[key];
    if (value !== undefined && (typeof value !== 'string' || !/^[A-Za-z0-9+/=\s]*$/.test(value)))
      problem(`data.config.tlsClientConfig.${key}`, 'must be base64-encoded PEM');
  }
  if ((tls?.certData === undefined) !== (tls?.keyData === undefined)) problem('data.config.tlsClientConfig', 'certData and keyData must be given together');

  let shard: number | undefined;
  const shardText = secretValue(secret, 'shard');
  if (shardText !== undefined && shardText.trim() !== '') {
    shard = Number(shardText);
    if (!Number.isInteger(shard) || shard < 0) problem('data.shard', 'must be a non-negative integer');
  }

  if (problems.length) return { problems };
  return {
    problems,
    cluster: {
      name: secretValue(secret, 'name') ?? '',
      server: server!,
      project: secretValue(secret, 'project'),
      namespaces: (secretValue(secret, 'namespaces') ?? '')
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean),
      clusterResources: secretValue(secret, 'clusterResources') === 'true',
      shard,
      config,
      labels: { ...(secret.metadata?.labels ?? {}) },
      annotations: { ...(secret.metadata?.annotations ?? {}) },
      secret: { namespace: secret.metadata?.namespace ?? '', name: secret.metadata?.name ?? '', uid: secret.metadata?.uid ?? '' },
    },
  };
}
