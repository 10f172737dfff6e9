import type { AppSetModuleOptions } from '../appset/appset.module.js';
import type { ReconcilerOptions } from '../appset/reconciler.js';
import type { ControlNamespaceOptions } from '../control-namespace/control-namespace.js';
import type { ShardingOptions } from '../sharding/sharding-runtime.js';
import type { SyncModuleOptions } from '../sync/sync.module.js';
import type { AppConfig } from '../config/app-config.js';
import { RedisBudgetReservations } from '../appset/budget-reservations.js';

/** What the demo and tests steer or watch in a running process; production leaves them unset. */
export interface ProcessHooks {
  /** The time reconciles and syncs see (tests move it past sync windows). */
  clock?: () => Date;
  /** Told every rollout plan the ApplicationSet controller makes, with its input. */
  onRolloutPlanned?: ReconcilerOptions['onRolloutPlanned'];
  /** The longest a sync held by a sync window waits before its windows are read again (default 30 s). */
  windowRecheckMs?: number;
}

export function controlNamespaceOptions(config: AppConfig): ControlNamespaceOptions {
  return {
    namespace: config.namespace,
    allowLocalRepositories: config.allowLocalRepositories,
    scm: config.scm,
    templateTimeoutSeconds: config.templateTimeoutSeconds,
    githubApiMetrics: config.githubApiMetrics,
  };
}

export function shardingOptions(config: AppConfig): ShardingOptions {
  const dynamic =
    config.dynamicClusterDistribution && config.redisUrl ? { redisUrl: config.redisUrl, heartbeatTtlMs: config.heartbeatSeconds * 1000 } : undefined;
  return { identity: config.identity, algorithm: config.shardingAlgorithm, replicas: config.replicas, dynamic };
}

export function appSetOptions(config: AppConfig, hooks: ProcessHooks = {}): AppSetModuleOptions {
  return {
    settings: {
      namespaces: config.applicationSetNamespaces,
      argocdNamespace: config.namespace,
      concurrency: config.concurrency,
      policy: config.policy,
      allowPolicyOverride: config.allowPolicyOverride,
      maxDeleteRatio: config.maxDeleteRatio,
      preservedAnnotations: config.preservedAnnotations,
      preservedLabels: config.preservedLabels,
      errorRequeueSeconds: 180,
      enableProgressiveSyncs: config.enableProgressiveSyncs,
      clock: hooks.clock,
      onRolloutPlanned: hooks.onRolloutPlanned,
      budgetReservations: budgetReservations(config),
      // As the direct driver's source poll; with that off, as often as Applications are refreshed.
      releasePollMs: (config.sourcePollSeconds || config.appResyncSeconds) * 1000,
    },
    leaderElection: config.leaderElection ? { namespace: config.namespace, identity: config.identity } : undefined,
    webhookSecrets: config.webhookSecrets,
  };
}

/**
 * RolloutBudget reservations in the Redis the replicas share, when ApplicationSets are sharded over
 * several replicas: one replica's serialized reconciles already count each other's releases.
 */
function budgetReservations(config: AppConfig): RedisBudgetReservations | undefined {
  const sharded = config.replicas > 1 || config.dynamicClusterDistribution;
  return sharded && config.redisUrl ? new RedisBudgetReservations({ redisUrl: config.redisUrl }) : undefined;
}

export function syncOptions(config: AppConfig, hooks: ProcessHooks = {}): SyncModuleOptions {
  if (config.syncDriver !== 'direct') return {};
  if (!config.redisUrl) return { offWarning: 'direct sync driver off: REDIS_URL is not set, so Applications are left to Argo CD' };
  return {
    runtime: {
      redisUrl: config.redisUrl,
      namespaces: config.applicationSetNamespaces,
      replica: config.identity,
      refreshIntervalMs: config.appResyncSeconds * 1000,
      sourcePollMs: config.sourcePollSeconds * 1000,
      concurrency: config.operationProcessors,
      refreshConcurrency: config.statusProcessors,
      lockDurationMs: config.syncLockSeconds * 1000,
      clock: hooks.clock,
      windowRecheckMs: hooks.windowRecheckMs,
    },
  };
}
