import type { Application } from '../api/application.js';
import type { ControllerContext } from '../appset/controller-context.js';
import { IN_CLUSTER_NAME, IN_CLUSTER_SERVER, type ClusterRecord } from '../clusters/cluster-secret.js';
import { kubeConfigForCluster } from '../kube/cluster-kubeconfig.js';
import type { KubeConfig } from '../kube/kube-config.js';
import type { Logger } from '../observability/logger.js';
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
  lockDurationMs?: number;
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
 * of this replica and its worker. With one replica every cluster is owned here; the sharding
 * issue routes each destination to its owner's queue.
 */
export class SyncRuntime {
  readonly controller: ApplicationController;
  readonly queue: SyncQueue;

  constructor(managementConfig: KubeConfig, context: ControllerContext, options: SyncRuntimeOptions, logger: Logger) {
    const clusterFor = (application: Application): KubeConfig => {
      const cluster = destinationCluster(application, context.clusters.records());
      if (cluster === 'in-cluster') return managementConfig;
      if (!cluster) throw new Error(`application destination spec is invalid: there are no clusters with this ${application.spec.destination.server ? `URL: ${application.spec.destination.server}` : `name: ${application.spec.destination.name}`}`);
      return kubeConfigForCluster(cluster);
    };
    this.queue = new SyncQueue({ redisUrl: options.redisUrl, name: `sync-${options.replica}`, concurrency: options.concurrency, lockDurationMs: options.lockDurationMs });
    const driver = new DirectSyncDriver({ repositories: context.repositories, clusterFor });
    this.controller = new ApplicationController(
      managementConfig,
      driver,
      {
        namespaces: options.namespaces,
        refreshIntervalMs: options.refreshIntervalMs,
        sourcePollMs: options.sourcePollMs,
        refreshConcurrency: options.refreshConcurrency ?? 32,
        queueFor: () => this.queue,
        clusterName: (application) => {
          const cluster = destinationCluster(application, context.clusters.records());
          return cluster === 'in-cluster' ? IN_CLUSTER_NAME : (cluster?.name ?? application.spec.destination.server ?? '');
        },
      },
      logger,
    );
    this.queue.process((job, jobId) => this.controller.runSync(job, jobId));
  }

  async start(): Promise<void> {
    await this.controller.start();
  }

  async stop(): Promise<void> {
    await this.controller.stop();
    await this.queue.close();
  }
}
