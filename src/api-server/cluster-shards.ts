/** Which replica (shard) owns a cluster, as the fleet endpoints and pages show it. */
export interface ClusterShards {
  shardOf(server: string): string | undefined;
}
