import type { ApplicationsSyncPolicy } from '../api/application-set.js';
import { parseFlags, type FlagSpec } from '../lib/argv.js';
import type { ScmPolicy } from '../scm/scm-policy.js';
import { SHARDING_ALGORITHMS, type ShardingAlgorithm } from '../sharding/shard-assignment.js';

/**
 * The controller's configuration, from flags and environment variables. Where Argo CD's
 * ApplicationSet controller has a setting, Regatta accepts the same flag and variable.
 */
export interface AppConfig {
  kubeconfig?: string;
  context?: string;
  /** Argo CD's own namespace: cluster Secrets and argocd-cm live here. */
  namespace: string;
  applicationSetNamespaces: string[];
  /** Labels of ApplicationSets exported on argocd_appset_labels (--metrics-applicationset-labels). */
  metricsApplicationSetLabels: string[];
  /** Argo CD's argocd_github_api_* series are recorded (--enable-github-api-metrics; off by default, as in Argo CD). */
  githubApiMetrics: boolean;
  /** The longest a replica takes to stop after SIGTERM, whatever state Redis and the API servers are in (--shutdown-timeout). */
  shutdownTimeoutSeconds: number;
  /**
   * How far above the live heap V8 lets the heap grow before collecting it in full, in percent
   * (--heap-growing-percent; 0 leaves V8's own rule, up to 300 %).
   */
  heapGrowingPercent: number;
  policy: ApplicationsSyncPolicy;
  allowPolicyOverride: boolean;
  concurrency: number;
  maxDeleteRatio?: number;
  preservedAnnotations: string[];
  preservedLabels: string[];
  port: number;
  /** RollingSync strategies take effect (Argo CD's --enable-progressive-syncs). */
  enableProgressiveSyncs: boolean;
  /** Lease-based leader election, so only one replica reconciles (Argo CD's --enable-leader-election). */
  leaderElection: boolean;
  /** This replica's identity in elections and shard membership: the pod name when set. */
  identity: string;
  webhookSecrets: { github?: string; gitlab?: string; gitea?: string; bitbucket?: string; azuredevops?: string };
  /** `file://` URLs and paths on the controller's disk may be read as repositories (demos and tests only). */
  allowLocalRepositories: boolean;
  /** Which SCM APIs the SCM Provider and PullRequest generators may call, and with which Secrets. */
  scm: ScmPolicy;
  /** Larger webhook bodies are refused with 413 before any is verified (Argo CD's webhook.maxPayloadSizeMB). */
  webhookMaxPayloadBytes: number;
  /** Trust `X-Forwarded-Proto: https` from a TLS-terminating proxy in front, for the dashboard's Secure cookies. */
  trustForwardedProto: boolean;
  /** Who syncs Applications: Regatta itself (`direct`) or Argo CD's application controller (`argocd`). */
  syncDriver: 'direct' | 'argocd';
  /** Redis for the sync queue; the direct driver runs only when it is set. */
  redisUrl?: string;
  /** How often the direct driver compares every Application with its cluster (Argo CD's --app-resync). */
  appResyncSeconds: number;
  /** Syncs run at once by this replica's worker (Argo CD's --operation-processors). */
  operationProcessors: number;
  /** Applications compared with their clusters at once (Argo CD's --status-processors). */
  statusProcessors: number;
  /** Replicas sharing the fleet, with static membership (Argo CD's ARGOCD_CONTROLLER_REPLICAS). */
  replicas: number;
  /** How clusters are assigned to replicas (Argo CD's ARGOCD_CONTROLLER_SHARDING_ALGORITHM, plus Regatta's bounded-load). */
  shardingAlgorithm: ShardingAlgorithm;
  /** Dynamic membership: replicas heartbeat in Redis and the assignment follows who is alive. */
  dynamicClusterDistribution: boolean;
  /** Heartbeat TTL of dynamic membership, and of cluster leases (Argo CD's ARGOCD_CONTROLLER_HEARTBEAT_TIME). */
  heartbeatSeconds: number;
  /** How often the direct driver resolves the commits the Applications' sources name (one ls-remote per source); 0 turns it off. */
  sourcePollSeconds: number;
  /** A sync whose worker stopped renewing its lock this long ago runs again on another worker. */
  syncLockSeconds: number;
  bindAddress: string;
  /** Time the template engine may spend rendering one Application (Regatta's; Argo CD has no limit). */
  templateTimeoutSeconds: number;
}

export class ConfigError extends Error {}

interface Setting {
  flag: string;
  env?: string;
  kind: FlagSpec['kind'];
}

const SETTINGS = {
  kubeconfig: { flag: 'kubeconfig', env: 'KUBECONFIG', kind: 'string' },
  context: { flag: 'context', kind: 'string' },
  namespace: { flag: 'namespace', env: 'ARGOCD_NAMESPACE', kind: 'string' },
  applicationSetNamespaces: { flag: 'applicationset-namespaces', env: 'ARGOCD_APPLICATIONSET_CONTROLLER_NAMESPACES', kind: 'string' },
  policy: { flag: 'policy', env: 'ARGOCD_APPLICATIONSET_CONTROLLER_POLICY', kind: 'string' },
  allowPolicyOverride: { flag: 'enable-policy-override', env: 'ARGOCD_APPLICATIONSET_CONTROLLER_ENABLE_POLICY_OVERRIDE', kind: 'string' },
  concurrency: { flag: 'concurrent-reconciliations', env: 'ARGOCD_APPLICATIONSET_CONTROLLER_CONCURRENT_RECONCILIATIONS', kind: 'string' },
  maxDeleteRatio: { flag: 'max-delete-ratio', env: 'REGATTA_MAX_DELETE_RATIO', kind: 'string' },
  preservedAnnotations: { flag: 'preserved-annotations', env: 'ARGOCD_APPLICATIONSET_CONTROLLER_GLOBAL_PRESERVED_ANNOTATIONS', kind: 'string' },
  preservedLabels: { flag: 'preserved-labels', env: 'ARGOCD_APPLICATIONSET_CONTROLLER_GLOBAL_PRESERVED_LABELS', kind: 'string' },
  port: { flag: 'port', env: 'PORT', kind: 'string' },
  enableProgressiveSyncs: { flag: 'enable-progressive-syncs', env: 'ARGOCD_APPLICATIONSET_CONTROLLER_ENABLE_PROGRESSIVE_SYNCS', kind: 'string' },
  leaderElection: { flag: 'enable-leader-election', env: 'ARGOCD_APPLICATIONSET_CONTROLLER_ENABLE_LEADER_ELECTION', kind: 'string' },
  githubSecret: { flag: 'webhook-github-secret', env: 'REGATTA_WEBHOOK_GITHUB_SECRET', kind: 'string' },
  gitlabSecret: { flag: 'webhook-gitlab-secret', env: 'REGATTA_WEBHOOK_GITLAB_SECRET', kind: 'string' },
  giteaSecret: { flag: 'webhook-gitea-secret', env: 'REGATTA_WEBHOOK_GITEA_SECRET', kind: 'string' },
  bitbucketSecret: { flag: 'webhook-bitbucket-uuid', env: 'REGATTA_WEBHOOK_BITBUCKET_UUID', kind: 'string' },
  azureDevOpsUsername: { flag: 'webhook-azuredevops-username', env: 'REGATTA_WEBHOOK_AZUREDEVOPS_USERNAME', kind: 'string' },
  azureDevOpsPassword: { flag: 'webhook-azuredevops-password', env: 'REGATTA_WEBHOOK_AZUREDEVOPS_PASSWORD', kind: 'string' },
  enableScmProviders: { flag: 'enable-scm-providers', env: 'ARGOCD_APPLICATIONSET_CONTROLLER_ENABLE_SCM_PROVIDERS', kind: 'string' },
  allowedScmProviders: { flag: 'allowed-scm-providers', env: 'ARGOCD_APPLICATIONSET_CONTROLLER_ALLOWED_SCM_PROVIDERS', kind: 'string' },
  tokenRefStrictMode: { flag: 'token-ref-strict-mode', env: 'ARGOCD_APPLICATIONSET_CONTROLLER_TOKENREF_STRICT_MODE', kind: 'string' },
  allowLocalRepositories: { flag: 'allow-local-repositories', env: 'REGATTA_ALLOW_LOCAL_REPOSITORIES', kind: 'string' },
  webhookMaxPayload: { flag: 'webhook-max-payload-size-mb', env: 'REGATTA_WEBHOOK_MAX_PAYLOAD_SIZE_MB', kind: 'string' },
  trustForwardedProto: { flag: 'trust-forwarded-proto', env: 'REGATTA_TRUST_FORWARDED_PROTO', kind: 'string' },
  syncDriver: { flag: 'sync-driver', env: 'REGATTA_SYNC_DRIVER', kind: 'string' },
  redisUrl: { flag: 'redis-url', env: 'REDIS_URL', kind: 'string' },
  appResync: { flag: 'app-resync', env: 'REGATTA_APP_RESYNC_SECONDS', kind: 'string' },
  operationProcessors: { flag: 'operation-processors', env: 'ARGOCD_APPLICATION_CONTROLLER_OPERATION_PROCESSORS', kind: 'string' },
  statusProcessors: { flag: 'status-processors', env: 'ARGOCD_APPLICATION_CONTROLLER_STATUS_PROCESSORS', kind: 'string' },
  replicas: { flag: 'replicas', env: 'ARGOCD_CONTROLLER_REPLICAS', kind: 'string' },
  shardingAlgorithm: { flag: 'sharding-method', env: 'ARGOCD_CONTROLLER_SHARDING_ALGORITHM', kind: 'string' },
  dynamicClusterDistribution: { flag: 'dynamic-cluster-distribution-enabled', env: 'ARGOCD_ENABLE_DYNAMIC_CLUSTER_DISTRIBUTION', kind: 'string' },
  heartbeat: { flag: 'heartbeat-time', env: 'ARGOCD_CONTROLLER_HEARTBEAT_TIME', kind: 'string' },
  sourcePoll: { flag: 'source-poll-seconds', env: 'REGATTA_SOURCE_POLL_SECONDS', kind: 'string' },
  syncLock: { flag: 'sync-lock-seconds', env: 'REGATTA_SYNC_LOCK_SECONDS', kind: 'string' },
  bindAddress: { flag: 'bind-address', env: 'REGATTA_BIND_ADDRESS', kind: 'string' },
  templateTimeout: { flag: 'template-timeout', env: 'REGATTA_TEMPLATE_TIMEOUT_SECONDS', kind: 'string' },
  metricsApplicationSetLabels: { flag: 'metrics-applicationset-labels', kind: 'string' },
  githubApiMetrics: { flag: 'enable-github-api-metrics', env: 'ARGOCD_APPLICATIONSET_CONTROLLER_ENABLE_GITHUB_API_METRICS', kind: 'string' },
  shutdownTimeout: { flag: 'shutdown-timeout', env: 'REGATTA_SHUTDOWN_TIMEOUT_SECONDS', kind: 'string' },
  heapGrowingPercent: { flag: 'heap-growing-percent', env: 'REGATTA_HEAP_GROWING_PERCENT', kind: 'string' },
} satisfies Record<string, Setting>;

const POLICIES = ['create-only', 'create-update', 'create-delete', 'sync'];

/**
 * V8 lets a busy process's heap grow to about four times what is live before a full collection;
 * a controller at fleet size then holds two to three times the memory it uses (bench/RESULTS.md).
 */
const DEFAULT_HEAP_GROWING_PERCENT = 30;

/** --template-timeout (REGATTA_TEMPLATE_TIMEOUT_SECONDS): seconds, 1 when unset; the CLI reads it too. */
export function parseTemplateTimeout(text: string | undefined): number {
  if (text === undefined || text === '') return 1;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600)
    throw new ConfigError(`--template-timeout: ${JSON.stringify(text)} is not a number of seconds above 0 (at most 3600)`);
  return seconds;
}

export function loadAppConfig(argv: string[], env: NodeJS.ProcessEnv, defaultNamespace = 'argocd'): AppConfig {
  let parsed;
  try {
    parsed = parseFlags(
      argv,
      Object.values(SETTINGS).map((s) => ({ name: s.flag, kind: s.kind })),
    );
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const { flags, positional } = parsed;
  if (positional.length) throw new ConfigError(`unexpected argument: ${positional[0]}`);
  const value = (key: keyof typeof SETTINGS): string | undefined => {
    const setting: Setting = SETTINGS[key];
    const fromFlag = flags[setting.flag];
    if (typeof fromFlag === 'string') return fromFlag;
    return setting.env ? env[setting.env] || undefined : undefined;
  };
  const list = (key: keyof typeof SETTINGS) =>
    (value(key) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const number = (key: keyof typeof SETTINGS, fallback: number, check: (n: number) => boolean, rule: string) => {
    const text = value(key);
    if (text === undefined) return fallback;
    const parsed = Number(text);
    if (!Number.isFinite(parsed) || !check(parsed)) throw new ConfigError(`--${SETTINGS[key].flag}: ${JSON.stringify(text)} is not ${rule}`);
    return parsed;
  };

  const shardingAlgorithm = value('shardingAlgorithm') ?? 'bounded-load';
  if (!(SHARDING_ALGORITHMS as readonly string[]).includes(shardingAlgorithm)) {
    throw new ConfigError(`--sharding-method: ${JSON.stringify(shardingAlgorithm)} is not one of ${SHARDING_ALGORITHMS.join(', ')}`);
  }
  const dynamicClusterDistribution = value('dynamicClusterDistribution') === 'true';
  if (dynamicClusterDistribution && !value('redisUrl'))
    throw new ConfigError('--dynamic-cluster-distribution-enabled: needs Redis (REDIS_URL or --redis-url) for heartbeats and cluster leases');

  const policyText = value('policy') ?? '';
  if (policyText && !POLICIES.includes(policyText)) {
    throw new ConfigError(`--policy: ${JSON.stringify(policyText)} is not one of ${POLICIES.join(', ')}`);
  }
  const overrideText = value('allowPolicyOverride');
  const syncDriver = value('syncDriver') ?? 'direct';
  if (syncDriver !== 'direct' && syncDriver !== 'argocd') throw new ConfigError(`--sync-driver: ${JSON.stringify(syncDriver)} is not direct or argocd`);
  const namespace = value('namespace') ?? defaultNamespace;
  const extraNamespaces = list('applicationSetNamespaces');
  const applicationSetNamespaces = [namespace, ...extraNamespaces.filter((ns) => ns !== namespace)];
  const scm: ScmPolicy = {
    enabled: value('enableScmProviders') !== 'false',
    allowedApiUrls: list('allowedScmProviders'),
    tokenRefStrictMode: value('tokenRefStrictMode') === 'true',
  };
  // Argo CD's start-up rule: a tenant's ApplicationSet must not send an SCM token to a host of its choosing.
  if (applicationSetNamespaces.length > 1 && scm.enabled && scm.allowedApiUrls.length === 0) {
    throw new ConfigError(
      'When enabling applicationset in any namespace using applicationset-namespaces, you must either set --enable-scm-providers=false or specify --allowed-scm-providers',
    );
  }
  const maxDeleteRatio = value('maxDeleteRatio') === undefined ? undefined : number('maxDeleteRatio', 1, (n) => n > 0 && n <= 1, 'a share between 0 and 1');

  return {
    kubeconfig: value('kubeconfig'),
    context: value('context'),
    namespace,
    applicationSetNamespaces,
    policy: (policyText || 'sync') as ApplicationsSyncPolicy,
    allowPolicyOverride: overrideText === undefined ? policyText === '' : overrideText === 'true',
    concurrency: number('concurrency', 10, (n) => Number.isInteger(n) && n >= 1, 'a whole number of at least 1'),
    maxDeleteRatio,
    preservedAnnotations: list('preservedAnnotations'),
    preservedLabels: list('preservedLabels'),
    metricsApplicationSetLabels: list('metricsApplicationSetLabels'),
    githubApiMetrics: value('githubApiMetrics') === 'true',
    shutdownTimeoutSeconds: number('shutdownTimeout', 10, (n) => n > 0 && n <= 3600, 'a number of seconds above 0 (at most 3600)'),
    heapGrowingPercent: number(
      'heapGrowingPercent',
      DEFAULT_HEAP_GROWING_PERCENT,
      (n) => Number.isInteger(n) && n >= 0 && n <= 1000,
      'a whole percentage from 0 to 1000',
    ),
    port: number('port', 8080, (n) => Number.isInteger(n) && n >= 0 && n < 65536, 'a TCP port'),
    enableProgressiveSyncs: value('enableProgressiveSyncs') === 'true',
    leaderElection: value('leaderElection') === 'true',
    identity: env.POD_NAME || env.HOSTNAME || `regatta-${process.pid}`,
    webhookSecrets: {
      github: value('githubSecret'),
      gitlab: value('gitlabSecret'),
      gitea: value('giteaSecret'),
      bitbucket: value('bitbucketSecret'),
      // Argo CD checks Azure DevOps' Basic auth when either half is set.
      azuredevops:
        value('azureDevOpsUsername') || value('azureDevOpsPassword')
          ? `${value('azureDevOpsUsername') ?? ''}:${value('azureDevOpsPassword') ?? ''}`
          : undefined,
    },
    scm,
    allowLocalRepositories: value('allowLocalRepositories') === 'true',
    // GitHub caps its payloads at 25 MB; Argo CD allows 50 by default.
    webhookMaxPayloadBytes: Math.floor(number('webhookMaxPayload', 25, (n) => n > 0 && n <= 50, 'a size in MB above 0 and at most 50') * 1024 * 1024),
    trustForwardedProto: value('trustForwardedProto') === 'true',
    syncDriver,
    redisUrl: value('redisUrl'),
    appResyncSeconds: number('appResync', 180, (n) => n > 0, 'a positive number of seconds'),
    operationProcessors: number('operationProcessors', 10, (n) => Number.isInteger(n) && n >= 1, 'a positive integer'),
    statusProcessors: number('statusProcessors', 20, (n) => Number.isInteger(n) && n >= 1, 'a positive integer'),
    replicas: number('replicas', 1, (n) => Number.isInteger(n) && n >= 1, 'a positive integer'),
    shardingAlgorithm: shardingAlgorithm as ShardingAlgorithm,
    dynamicClusterDistribution,
    heartbeatSeconds: number('heartbeat', 10, (n) => n > 0, 'a positive number of seconds'),
    sourcePollSeconds: number('sourcePoll', 10, (n) => n >= 0, 'a number of seconds (0 or more)'),
    syncLockSeconds: number('syncLock', 30, (n) => n >= 1, 'at least 1 second'),
    bindAddress: value('bindAddress') ?? '0.0.0.0',
    templateTimeoutSeconds: parseTemplateTimeout(value('templateTimeout')),
  };
}
