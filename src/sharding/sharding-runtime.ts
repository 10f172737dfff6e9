import type { AppConfig } from '../app-config.js';
import type { ApplicationSetController } from '../appset/applicationset-controller.js';
import { clusterServerKey, IN_CLUSTER_SERVER, type ClusterRecord } from '../clusters/cluster-secret.js';
import type { Logger } from '../observability/logger.js';
import type { ControllerMetrics } from '../observability/metrics.js';
import { ClusterFence } from './cluster-fence.js';
import { RedisShardMembership } from './redis-membership.js';
import type { ClusterKey, Ownership } from './shard-assignment.js';
import { movedClusters, type ShardView } from './shard-view.js';
import { StaticShards } from './static-shards.js';

/** The destination clusters sharding assigns: every registered cluster, and the local one. */
export function clusterKeys(records: ClusterRecord[]): ClusterKey[] {
  const keys = records.map((c) => ({ server: clusterServerKey(c.server), uid: c.secret.uid, ...(c.shard === undefined ? {} : { shard: c.shard }) }));
  if (!keys.some((k) => k.server === IN_CLUSTER_SERVER)) keys.push({ server: IN_CLUSTER_SERVER, uid: '' });
  return keys;
}

/**
 * This replica's part in sharding: the ownership view (static, or dynamic in Redis with cluster
 * leases fencing every write), the ApplicationSets it reconciles, and the shard metrics.
 */
export class ShardingRuntime {
  readonly view: ShardView;
  /** Present with dynamic membership, where ownership can move while replicas run. */
  readonly fence?: ClusterFence;

  constructor(
    config: AppConfig,
    clusters: () => ClusterRecord[],
    private readonly appSets: ApplicationSetController,
    private readonly logger: Logger,
    private readonly metrics?: ControllerMetrics,
  ) {
    const keys = () => ({ clusters: clusterKeys(clusters()), appSets: appSets.appSetKeys() });
    const heartbeatTtlMs = config.heartbeatSeconds * 1000;
    if (config.dynamicClusterDistribution && config.redisUrl) {
      this.view = new RedisShardMembership({ redisUrl: config.redisUrl, replica: config.identity, algorithm: config.shardingAlgorithm, heartbeatTtlMs, keys, logger });
      this.fence = new ClusterFence(this.view, { redisUrl: config.redisUrl, leaseTtlMs: heartbeatTtlMs, logger });
    } else {
      this.view = new StaticShards(config.identity, config.replicas, config.shardingAlgorithm, keys);
    }
    // Before the controller starts: until an ownership is read, this replica reconciles nothing.
    appSets.shardBy((key) => this.view.ownsAppSet(key));
    this.view.onChange((next, previous) => {
      const moved = movedClusters(previous, next);
      const clusterLoads = loads(next.clusters);
      logger.info('shard ownership adopted', { replica: config.identity, generation: next.generation, clusters: clusterLoads.get(config.identity) ?? 0, moved });
      this.record(next, clusterLoads, moved);
      appSets.reconcileAll();
    });
  }

  async start(): Promise<void> {
    this.appSets.onAppSetsChanged(() => this.view.keysChanged());
    await this.view.start();
    await this.fence?.start();
  }

  /** Cluster Secrets were added, changed or removed. */
  clustersChanged(): void {
    this.view.keysChanged();
  }

  async stop(): Promise<void> {
    await this.fence?.stop();
    await this.view.stop();
  }

  private record(ownership: Ownership, clusterLoads: Map<string, number>, moved: number): void {
    if (!this.metrics) return;
    const appSetLoads = loads(ownership.appSets);
    this.metrics.shardClusters.reset();
    this.metrics.shardAppSets.reset();
    for (const member of ownership.members) {
      this.metrics.shardClusters.set({ shard: member }, clusterLoads.get(member) ?? 0);
      this.metrics.shardAppSets.set({ shard: member }, appSetLoads.get(member) ?? 0);
    }
    this.metrics.shardGeneration.set(ownership.generation);
    this.metrics.shardMoves.inc(moved);
  }
}

/** How many keys each replica owns. */
function loads(owners: Record<string, string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const owner of Object.values(owners)) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  return counts;
}
