import type { Application } from '../api/application.js';
import type { ControllerContext } from '../appset/controller-context.js';
import { IN_CLUSTER_NAME, IN_CLUSTER_SERVER, type ClusterRecord } from '../clusters/cluster-secret.js';
import type { ClusterFence } from '../sharding/cluster-fence.js';
import type { ShardView } from '../sharding/shard-view.js';
import { kubeConfigForCluster } from '../kube/cluster-kubeconfig.js';
import type { KubeConfig } from '../kube/kube-config.js';
import type { Logger } from '../observability/logger.js';
import { applicationWindows } from '../projects/sync-window-selection.js';
import { syncWindowVerdict } from '../projects/sync-windows.js';
import { ApplicationController } from './application-controller.js';
import { DirectSyncDriver } from './direct-driver.js';
import { SyncQueue } from './sync-queue.js';

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
}

/** The destination an Application names, as a registered cluster; the local cluster is the management cluster. */
export function destinationCluster(application: Application, clusters: ClusterRecord[]): ClusterRecord | 'in-cluster' | undefined {
  const { server, name } = application.spec.destination;
  if ((server && server === IN_CLUSTER_SERVER) || (!server && name === IN_CLUSTER_NAME)) {
    return clusters.find((c) => c.server === IN_CLUSTER_SERVER) ?? 'in-cluster';
  }
  return clusters.find((c) => (server ? c.server === server : c.name === name));
}

/**
 * The `direct` sync driver running in this process: the application controller, the BullMQ queue
 * of this replica and its worker. Only Applications whose destination this replica owns are
 * refreshed and synced here; a sync is queued on the owner's queue (`sync-<replica>`).
 */
export class SyncRuntime {
  readonly controller: ApplicationController;
  readonly queue: SyncQueue;
  private readonly queues = new Map<string, SyncQueue>();

  constructor(managementConfig: KubeConfig, context: ControllerContext, private readonly options: SyncRuntimeOptions, logger: Logger) {
    // Indexed once per change of the cluster Secrets: every refresh and sync looks its destination up.
    let records: ClusterRecord[] | undefined;
    context.onClustersChanged(() => (records = undefined));
    const destination = (application: Application) => destinationCluster(application, (records ??= context.clusters.records()));
    // One connection per version of a cluster Secret: reused across its Applications, replaced when the credentials change.
    const connections = new WeakMap<ClusterRecord, KubeConfig>();
    const clusterFor = (application: Application): KubeConfig => {
      const cluster = destination(application);
      if (cluster === 'in-cluster') return managementConfig;
      if (!cluster) throw new Error(`application destination spec is invalid: there are no clusters with this ${application.spec.destination.server ? `URL: ${application.spec.destination.server}` : `name: ${application.spec.destination.name}`}`);
      let config = connections.get(cluster);
      if (!config) {
        config = kubeConfigForCluster(cluster);
        connections.set(cluster, config);
      }
      return config;
    };
    const serverOf = (application: Application) => {
      const cluster = destination(application);
      return cluster === 'in-cluster' ? IN_CLUSTER_SERVER : (cluster?.server ?? application.spec.destination.server ?? '');
    };
    this.queue = this.queueOf(options.replica);
    const fence = options.fence;
    const driver = new DirectSyncDriver({
      repositories: context.repositories,
      clusterFor,
      ...(fence ? { guard: (application: Application, write: () => Promise<unknown>) => fence.guard(serverOf(application), write) } : {}),
    });
    const shards = options.shards;
    this.controller = new ApplicationController(
      managementConfig,
      driver,
      {
        namespaces: options.namespaces,
        replica: options.replica,
        ...(options.clock ? { clock: options.clock } : {}),
        syncWindows: (application, request) => syncWindowVerdict(applicationWindows(application, (name) => context.project(name)), request),
        ...(options.windowRecheckMs !== undefined ? { windowRecheckMs: options.windowRecheckMs } : {}),
        refreshIntervalMs: options.refreshIntervalMs,
        sourcePollMs: options.sourcePollMs,
        refreshConcurrency: options.refreshConcurrency ?? 32,
        ...(shards ? { owns: (application: Application) => shards.ownsCluster(serverOf(application)) } : {}),
        queueFor: (application) => this.queueOf((shards && shards.ownerOfCluster(serverOf(application))) || options.replica),
        clusterName: (application) => {
          const cluster = destination(application);
          return cluster === 'in-cluster' ? IN_CLUSTER_NAME : (cluster?.name ?? application.spec.destination.server ?? '');
        },
      },
      logger,
    );
    shards?.onChange(() => this.controller.ownershipChanged());
    this.queue.process((job) => this.controller.runSync(job));
  }

  /** The queue of a replica (created on first use; only this replica's has a worker here). */
  private queueOf(replica: string): SyncQueue {
    let queue = this.queues.get(replica);
    if (!queue) {
      queue = new SyncQueue({ redisUrl: this.options.redisUrl, name: `sync-${replica}`, concurrency: this.options.concurrency, lockDurationMs: this.options.lockDurationMs });
      this.queues.set(replica, queue);
    }
    return queue;
  }

  async start(): Promise<void> {
    await this.controller.start();
  }

  async stop(): Promise<void> {
    await this.controller.stop();
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
