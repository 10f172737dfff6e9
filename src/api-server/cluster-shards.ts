import { assign } from '../sharding/bounded-load.js';

/** Which replica (shard) owns a cluster. The sharding work supplies the live implementation. */
export interface ClusterShards {
  shardOf(server: string): string | undefined;
}

export interface ShardedCluster {
  server: string;
  /** The cluster Secret's `shard` field: pins the cluster to replica `regatta-<shard>`. */
  shard?: number;
}

/** The replica count the controller is deployed with: Regatta's variable, then Argo CD's, else 1. */
export function replicaCount(env: NodeJS.ProcessEnv): number {
  const count = Number(env.REGATTA_REPLICAS || env.ARGOCD_CONTROLLER_REPLICAS || 1);
  return Number.isInteger(count) && count >= 1 ? count : 1;
}

/**
 * The default: bounded-load hashing of cluster server URLs over members `regatta-0`…`regatta-<N-1>`,
 * pinned clusters placed first, recomputed when the fleet changes. Every replica given the same
 * fleet computes the same answer.
 */
export class BoundedLoadClusterShards implements ClusterShards {
  private computedFor = '';
  private owners = new Map<string, string>();

  constructor(
    private readonly fleet: () => ShardedCluster[],
    private readonly replicas: number,
  ) {}

  shardOf(server: string): string | undefined {
    const clusters = this.fleet();
    const key = JSON.stringify(clusters.map((c) => [c.server, c.shard]));
    if (key !== this.computedFor) {
      const members = Array.from({ length: this.replicas }, (_, i) => ({ id: `regatta-${i}` }));
      this.owners = assign(members, clusters.map((c) => ({ id: c.server, pinnedTo: c.shard === undefined ? undefined : `regatta-${c.shard}` }))).owners;
      this.computedFor = key;
    }
    return this.owners.get(server);
  }
}
