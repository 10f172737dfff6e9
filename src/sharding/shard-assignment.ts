import { legacyShard, roundRobinShards } from './argo-algorithms.js';
import { assign } from './bounded-load.js';
import { consistentHashingShards } from './consistent-hashing.js';

export const SHARDING_ALGORITHMS = ['bounded-load', 'legacy', 'round-robin', 'consistent-hashing'] as const;
export type ShardingAlgorithm = (typeof SHARDING_ALGORITHMS)[number];

/** A destination cluster as sharding sees it. */
export interface ClusterKey {
  /** The cluster's server URL: what Applications name and what ownership is keyed by. */
  server: string;
  /** The cluster Secret's uid (Argo CD's cluster id, which its algorithms hash); "" for the local cluster without a Secret. */
  uid: string;
  /** The Secret's `shard`: the index of the replica (in member order) the cluster is pinned to. */
  shard?: number;
  /** Applications with this destination (consistent-hashing's load unit). */
  apps?: number;
}

/** Who owns what in one generation of the assignment. */
export interface Ownership {
  generation: number;
  /** The algorithm that placed the clusters. */
  algorithm: ShardingAlgorithm;
  /** Replicas, in shard order (a `shard: N` pin names the N-th). */
  members: string[];
  /** cluster server → replica. */
  clusters: Record<string, string>;
  /** `namespace/name` of an ApplicationSet → replica. */
  appSets: Record<string, string>;
}

export interface OwnershipOptions {
  /** Load slack ε of bounded-load (default 0.10). */
  epsilon?: number;
  /**
   * The generation this one replaces. Bounded-load then keeps keys where they were unless a
   * joining replica or the caps move them. Only a single author of generations (the elected
   * leader) may pass it: replicas computing on their own would each follow their own history.
   * Clusters another algorithm placed are placed from scratch: choosing an algorithm gives its layout.
   */
  previous?: Omit<Ownership, 'generation'>;
}

/**
 * Clusters and ApplicationSets over replicas. Clusters by the chosen algorithm (bounded-load by
 * default; Argo CD's three map to the member at the shard index they compute); ApplicationSets by
 * bounded-load always. A pure function of its input, so every replica computes the same.
 */
export function assignOwnership(
  algorithm: ShardingAlgorithm,
  members: string[],
  clusters: ClusterKey[],
  appSets: string[],
  options: OwnershipOptions = {},
): Omit<Ownership, 'generation'> {
  const { epsilon, previous } = options;
  const sorted = [...new Set(members)].sort(shardOrder);
  const ownership = { algorithm, members: sorted, clusters: {} as Record<string, string>, appSets: {} as Record<string, string> };
  if (!sorted.length) return ownership;
  const pinned = (shard: number | undefined) => (shard === undefined ? undefined : sorted[shard < sorted.length ? shard : 0]);
  const ordered = [...clusters].sort((a, b) => (a.server < b.server ? -1 : a.server > b.server ? 1 : 0));
  if (algorithm === 'bounded-load') {
    const { owners } = assign(
      sorted.map((id) => ({ id })),
      ordered.map((c) => ({ id: c.server, pinnedTo: pinned(c.shard) })),
      { epsilon, previous: previous?.algorithm === algorithm ? { members: previous.members, owners: new Map(Object.entries(previous.clusters)) } : undefined },
    );
    for (const [server, owner] of owners) ownership.clusters[server] = owner;
  } else {
    const argoClusters = ordered.map((c) => ({ id: c.uid, shard: c.shard, apps: c.apps }));
    const shards =
      algorithm === 'legacy'
        ? new Map(argoClusters.map((c) => [c.id, legacyShard(c, sorted.length)]))
        : algorithm === 'round-robin'
          ? roundRobinShards(argoClusters, sorted.length)
          : consistentHashingShards(argoClusters, sorted.length);
    for (const cluster of ordered) ownership.clusters[cluster.server] = sorted[shards.get(cluster.uid) ?? 0];
  }
  const { owners } = assign(
    sorted.map((id) => ({ id })),
    [...new Set(appSets)].map((id) => ({ id })),
    { epsilon, previous: previous && { members: previous.members, owners: new Map(Object.entries(previous.appSets)) } },
  );
  for (const [key, owner] of owners) ownership.appSets[key] = owner;
  return ownership;
}

/** StatefulSet pods in ordinal order (`regatta-2` before `regatta-10`), anything else by name. */
export function shardOrder(a: string, b: string): number {
  const ordinal = (id: string) => /^(.*)-(\d+)$/.exec(id);
  const [x, y] = [ordinal(a), ordinal(b)];
  if (x && y && x[1] === y[1]) return Number(x[2]) - Number(y[2]);
  return a < b ? -1 : a > b ? 1 : 0;
}
