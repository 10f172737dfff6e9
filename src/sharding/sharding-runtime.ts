import { clusterServerKey, IN_CLUSTER_SERVER, type ClusterRecord } from '../api/cluster-secret.js';
import type { SchedulerRegistry } from '@nestjs/schedule';
import type { Logger } from '../observability/logger.js';
import type { ControllerMetrics } from '../observability/metrics.js';
import { ClusterFence } from './cluster-fence.js';
import { RedisShardMembership } from './redis-membership.js';
import type { ClusterKey, Ownership, ShardingAlgorithm } from './shard-assignment.js';
import { movedClusters, type ShardView } from './shard-view.js';
import { StaticShards } from './static-shards.js';

/** The destination clusters sharding assigns: every registered cluster, and the local one. */
export function clusterKeys(records: ClusterRecord[]): ClusterKey[] {
  const keys = records.map((c) => ({ server: clusterServerKey(c.server), uid: c.secret.uid, ...(c.shard === undefined ? {} : { shard: c.shard }) }));
  if (!keys.some((k) => k.server === IN_CLUSTER_SERVER)) keys.push({ server: IN_CLUSTER_SERVER, uid: '' });
  return keys;
}

export interface ShardingOptions {
  /** This replica's name among the replicas. */
  identity: string;
  algorithm: ShardingAlgorithm;
  /** Static membership: how many replicas share the fleet. */
  replicas: number;
  /** Dynamic membership: replicas heartbeat in Redis, and cluster leases fence every write. */
  dynamic?: { redisUrl: string; heartbeatTtlMs: number };
}

/** The ApplicationSets sharding spreads: what the ApplicationSet controller offers it. */
export interface ShardedApplicationSets {
  appSetKeys(): string[];
  /** From now on, reconcile only the ApplicationSets `owns` accepts. */
  shardBy(owns: (key: string) => boolean): void;
  /** Reconcile these ApplicationSets (`namespace/name`) now: they became this replica's. */
  reconcileKeys(keys: string[]): void;
  onAppSetsChanged(listener: () => void): void;
}

/**
 * This replica's part in sharding: the ownership view (static, or dynamic in Redis with cluster
 * leases fencing every write), the ApplicationSets it reconciles, and the shard metrics.
 */
export class ShardingRuntime {
  readonly view: ShardView;
  /** Present with dynamic membership, where ownership can move while replicas run. */
  readonly fence?: ClusterFence;
  private appSets?: ShardedApplicationSets;

  constructor(
    options: ShardingOptions,
    clusters: () => ClusterRecord[],
    private readonly logger: Logger,
    private readonly metrics?: ControllerMetrics,
    registry?: SchedulerRegistry,
  ) {
    const keys = () => ({ clusters: clusterKeys(clusters()), appSets: this.appSets?.appSetKeys() ?? [] });
    if (options.dynamic) {
      const { redisUrl, heartbeatTtlMs } = options.dynamic;
      this.view = new RedisShardMembership({ redisUrl, replica: options.identity, algorithm: options.algorithm, heartbeatTtlMs, keys, logger, registry });
      this.fence = new ClusterFence(this.view, { redisUrl, leaseTtlMs: heartbeatTtlMs, logger, registry });
    } else {
      this.view = new StaticShards(options.identity, options.replicas, options.algorithm, keys);
    }
    this.view.onChange((next, previous) => {
      const moved = movedClusters(previous, next);
      const clusterLoads = loads(next.clusters);
      logger.info('shard ownership adopted', {
        replica: options.identity,
        generation: next.generation,
        clusters: clusterLoads.get(options.identity) ?? 0,
        moved,
      });
      this.record(next, clusterLoads, moved);
      // Only what became ours needs a reconcile: what stayed ours is reconciled by its own events.
      const gained = Object.entries(next.appSets).filter(([key, owner]) => owner === options.identity && previous?.appSets[key] !== options.identity);
      if (gained.length) this.appSets?.reconcileKeys(gained.map(([key]) => key));
    });
  }

  /** The ApplicationSets to shard; given before the controller starts, so until an ownership is read it reconciles nothing. */
  serve(appSets: ShardedApplicationSets): void {
    this.appSets = appSets;
    appSets.shardBy((key) => this.view.ownsAppSet(key));
  }

  async start(): Promise<void> {
    this.appSets?.onAppSetsChanged(() => this.view.keysChanged());
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
