/**
 * Argo CD's application-controller sharding algorithms, for operators who compare or migrate
 * (ARGOCD_CONTROLLER_SHARDING_ALGORITHM). Both map a cluster to a shard number 0..replicas-1;
 * a cluster Secret's `shard` field wins. The local cluster (no Secret, empty id) is shard 0 in
 * `legacy`.
 */
export interface ShardedCluster {
  /** The cluster Secret's uid (Argo CD's cluster ID). */
  id: string;
  shard?: number;
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
  if (cluster.shard !== undefined && cluster.shard >= 0 && cluster.shard < replicas) return cluster.shard;
  if (!cluster.id) return 0;
  return fnv32a(cluster.id) % replicas;
}

/** `round-robin`: clusters ordered by id, the i-th on shard i mod replicas. */
export function roundRobinShards(clusters: ShardedCluster[], replicas: number): Map<string, number> {
  const ordered = [...clusters].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const shards = new Map<string, number>();
  ordered.forEach((cluster, index) => {
    shards.set(cluster.id, cluster.shard !== undefined && cluster.shard >= 0 && cluster.shard < replicas ? cluster.shard : index % replicas);
  });
  return shards;
}
