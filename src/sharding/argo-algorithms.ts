/**
 * Argo CD's application-controller sharding algorithms, for operators who compare or migrate
 * (ARGOCD_CONTROLLER_SHARDING_ALGORITHM). Each maps a cluster to a shard number 0..replicas-1.
 * A cluster Secret's `shard` field wins as in Argo CD's cluster cache: below `replicas` it is the
 * shard, at or above it the cluster goes to shard 0. The local cluster (no Secret, empty id) is
 * shard 0 in `legacy` and `round-robin` (it sorts first).
 */
export interface ShardedCluster {
  /** The cluster Secret's uid (Argo CD's cluster ID). */
  id: string;
  shard?: number;
}

/** The shard a cluster's `shard` field asks for, as Argo CD's cluster cache resolves it; undefined when unset. */
export function requestedShard(cluster: ShardedCluster, replicas: number): number | undefined {
  if (cluster.shard === undefined) return undefined;
  return cluster.shard < replicas ? cluster.shard : 0;
}

/** Go's sort of cluster IDs (byte order; the ids are UIDs, so code-unit order is the same). */
export function byId(a: ShardedCluster, b: ShardedCluster): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** FNV-1a, 32 bits, as Go's hash/fnv New32a. */
export function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** `legacy`: fnv32a(cluster id) mod replicas. */
export function legacyShard(cluster: ShardedCluster, replicas: number): number {
  const requested = requestedShard(cluster, replicas);
  if (requested !== undefined) return requested;
  if (!cluster.id) return 0;
  return fnv32a(cluster.id) % replicas;
}

/** `round-robin`: clusters ordered by id, the i-th on shard i mod replicas. */
export function roundRobinShards(clusters: ShardedCluster[], replicas: number): Map<string, number> {
  const shards = new Map<string, number>();
  [...clusters].sort(byId).forEach((cluster, index) => shards.set(cluster.id, requestedShard(cluster, replicas) ?? index % replicas));
  return shards;
}
