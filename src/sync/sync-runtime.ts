import type { SchedulerRegistry } from '@nestjs/schedule';
import type { Application } from '../api/application.js';
import type { ControlNamespace } from '../control-namespace/control-namespace.js';
import { IN_CLUSTER_NAME, IN_CLUSTER_SERVER, type ClusterRecord } from '../api/cluster-secret.js';
import type { ClusterFence } from '../sharding/cluster-fence.js';
import type { SharedInformers } from '../kube/shared-informers.js';
import type { ShardView } from '../sharding/shard-view.js';
import { kubeConfigForCluster } from '../kube/cluster-kubeconfig.js';
import { impersonating, type KubeConfig } from '../kube/kube-config.js';
import { throttledWarnings, type Logger } from '../observability/logger.js';
import type { ControllerMetrics } from '../observability/metrics.js';
import { resolveDestination } from '../projects/destination-cluster.js';
import { applicationWindows } from '../projects/sync-window-selection.js';
import { syncWindowVerdict } from '../projects/sync-windows.js';
import { ApplicationSyncController } from './application-sync-controller.js';
import { DirectSyncDriver } from './direct-driver.js';
import { ProjectGuard } from './project-guard.js';
import { SyncQueue } from './sync-queue.js';
import { WorkloadWatches } from './workload-watches.js';

export interface SyncRuntimeOptions {
  redisUrl: string;
  namespaces: string[];
  /** This replica's name: its queue is `sync-<replica>`. */
  replica: string;
  refreshIntervalMs: number;
  sourcePollMs: number;
  /** Syncs at once (default 8). */
  concurrency?: number;
  /** Refreshes at once (default 32). */
  refreshConcurrency?: number;
  /** Which destination clusters this replica owns; without it, all of them. */
  shards?: ShardView;
  /** Guards every write to a destination cluster (dynamic membership). */
  fence?: ClusterFence;
  lockDurationMs?: number;
  clock?: () => Date;
  /** The longest a sync held by a sync window waits before the project's windows are read again (default 30 s). */
  windowRecheckMs?: number;
  /** Where the application controller's timers live (default: a registry of its own). */
  registry?: SchedulerRegistry;
  /** Counts the sync queue's errors (default: not counted). */
  metrics?: ControllerMetrics;
  /** The process's shared caches (default: caches of its own). */
  informers?: SharedInformers;
}

/** Connections per cluster acting as one ServiceAccount or another, kept for reuse. */
const IMPERSONATED_CONNECTIONS_LIMIT = 1000;

/**
 * The destination an Application names, as a registered cluster; the local cluster is the
 * management cluster. Whether argocd-cm disables it is the project check's to say, not the connection's.
 */
export function destinationCluster(application: Application, clusters: ClusterRecord[]): ClusterRecord | 'in-cluster' | undefined {
  const resolved = resolveDestination(application.spec.destination, clusters, { name: IN_CLUSTER_NAME, server: IN_CLUSTER_SERVER, enabled: true });
  if ('error' in resolved) return undefined;
  return resolved.cluster ?? 'in-cluster';
}

/**
 * The `direct` sync driver running in this process: the application controller, the BullMQ queue
 * of this replica and its worker. Only Applications whose destination this replica owns are
 * refreshed and synced here; a sync is queued on the owner's queue (`sync-<replica>`).
 */
export class SyncRuntime {
  readonly controller: ApplicationSyncController;
  readonly queue: SyncQueue;
  /** The live watch of the clusters this replica owns. */
  readonly watches: WorkloadWatches;
  private readonly queues = new Map<string, SyncQueue>();
  /** Redis clients report every failed retry while Redis is away: logged once per 30 s, counted every time. */
  private readonly queueErrors: (message: string, fields: Record<string, unknown>) => void;

  constructor(
    managementConfig: KubeConfig,
    private readonly context: ControlNamespace,
    private readonly options: SyncRuntimeOptions,
    logger: Logger,
  ) {
    this.queueErrors = throttledWarnings(logger, 30_000);
    // Indexed once per change of the cluster Secrets: every refresh and sync looks its destination up.
    let records: ClusterRecord[] | undefined;
    context.onClustersChanged(() => (records = undefined));
    const destination = (application: Application) => destinationCluster(application, (records ??= context.clusters.records()));
    // One connection per version of a cluster Secret and identity: reused across its Applications, replaced when the credentials change.
    const connections = new WeakMap<ClusterRecord, Map<string, KubeConfig>>();
    const local = new Map<string, KubeConfig>([['', managementConfig]]);
    const connectionsTo = (cluster: ClusterRecord | 'in-cluster'): Map<string, KubeConfig> => {
      if (cluster === 'in-cluster') return local;
      let configs = connections.get(cluster);
      if (!configs) {
        configs = new Map([['', kubeConfigForCluster(cluster)]]);
        connections.set(cluster, configs);
      }
      return configs;
    };
    const clusterFor = (application: Application, impersonate = ''): KubeConfig => {
      const cluster = destination(application);
      if (!cluster)
        throw new Error(
          `application destination spec is invalid: there are no clusters with this ${application.spec.destination.server ? `URL: ${application.spec.destination.server}` : `name: ${application.spec.destination.name}`}`,
        );
      const configs = connectionsTo(cluster);
      let config = configs.get(impersonate);
      if (!config) {
        // Accounts follow tenants' destination namespaces: past a bound, the impersonating connections start over.
        if (configs.size > IMPERSONATED_CONNECTIONS_LIMIT) for (const user of configs.keys()) if (user) configs.delete(user);
        config = impersonating(configs.get('')!, impersonate);
        configs.set(impersonate, config);
      }
      return config;
    };
    const projects = new ProjectGuard({
      controllerNamespace: context.namespace,
      project: (name) => context.project(name),
      clusters: () => (records ??= context.clusters.records()),
      repositories: () => context.projectRepositories(),
      settings: () => context.argocdSettings(),
    });
    const serverOf = (application: Application) => {
      const cluster = destination(application);
      return cluster === 'in-cluster' ? IN_CLUSTER_SERVER : (cluster?.server ?? application.spec.destination.server ?? '');
    };
    this.queue = this.queueOf(options.replica);
    // A cluster that is away breaks every watch on it: reported once per 30 s, not once per kind and retry.
    const watchErrors = throttledWarnings(logger, 30_000);
    this.watches = new WorkloadWatches({
      clusterOf: (application) => {
        const cluster = destination(application);
        return (
          cluster && { key: serverOf(application), config: connectionsTo(cluster).get('')!, namespaces: cluster === 'in-cluster' ? [] : cluster.namespaces }
        );
      },
      onError: (message) => watchErrors(message, {}),
    });
    const fence = options.fence;
    const driver = new DirectSyncDriver({
      repositories: context.repositories,
      charts: context.charts,
      clusterFor,
      projects,
      watches: this.watches,
      ...(fence ? { guard: <T>(application: Application, write: () => Promise<T>) => fence.guard(serverOf(application), write) } : {}),
    });
    const shards = options.shards;
    this.controller = new ApplicationSyncController(
      managementConfig,
      driver,
      {
        namespaces: options.namespaces,
        replica: options.replica,
        clock: options.clock,
        syncWindows: (application, request) =>
          syncWindowVerdict(
            applicationWindows(application, (name) => context.project(name)),
            request,
          ),
        windowRecheckMs: options.windowRecheckMs,
        registry: options.registry,
        refreshIntervalMs: options.refreshIntervalMs,
        sourcePollMs: options.sourcePollMs,
        refreshConcurrency: options.refreshConcurrency ?? 32,
        watches: this.watches,
        informers: options.informers,
        ...(shards ? { owns: (application: Application) => shards.ownsCluster(serverOf(application)) } : {}),
        queueFor: (application) => this.queueOf((shards && shards.ownerOfCluster(serverOf(application))) || options.replica),
        clusterName: (application) => {
          const cluster = destination(application);
          return cluster === 'in-cluster' ? IN_CLUSTER_NAME : (cluster?.name ?? application.spec.destination.server ?? '');
        },
        projects,
      },
      logger,
    );
    shards?.onChange(() => this.controller.ownershipChanged());
    context.onProjectChanged((name) => this.controller.projectChanged(name));
    context.onClustersChanged(() => this.controller.projectChanged());
    this.queue.process((job) => this.controller.runSync(job));
  }

  /** The queue of a replica (created on first use; only this replica's has a worker here). */
  private queueOf(replica: string): SyncQueue {
    let queue = this.queues.get(replica);
    if (!queue) {
      queue = new SyncQueue({
        redisUrl: this.options.redisUrl,
        name: `sync-${replica}`,
        concurrency: this.options.concurrency,
        lockDurationMs: this.options.lockDurationMs,
        onError: (source, error) => {
          this.options.metrics?.syncQueueErrors.inc({ source });
          this.queueErrors(`sync queue ${source} error`, { queue: `sync-${replica}`, error: error.message });
        },
      });
      this.queues.set(replica, queue);
    }
    return queue;
  }

  async start(): Promise<void> {
    // Projects, clusters and argocd-cm must be read before any Application is judged against them.
    await this.context.start();
    await this.controller.start();
  }

  async stop(): Promise<void> {
    await this.controller.stop();
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
