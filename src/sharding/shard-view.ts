import { clusterServerKey } from '../api/cluster-secret.js';
import type { ClusterKey, Ownership } from './shard-assignment.js';

/** What is sharded: the destination clusters and the ApplicationSets (`namespace/name`). */
export interface ShardKeys {
  clusters: ClusterKey[];
  appSets: string[];
}

/**
 * This replica's view of who owns what. Every replica acts only on the latest generation it has
 * read: it syncs and health-checks the clusters, and reconciles the ApplicationSets, it owns there.
 */
export interface ShardView {
  readonly replica: string;
  /** The ownership acted on; undefined until one has been read (then nothing is owned). */
  current(): Ownership | undefined;
  ownsCluster(server: string): boolean;
  ownsAppSet(key: string): boolean;
  ownerOfCluster(server: string): string | undefined;
  onChange(listener: (next: Ownership, previous: Ownership | undefined) => void): void;
  /** Clusters or ApplicationSets were added or removed: assign again. */
  keysChanged(): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Shared by the views: ownership lookups and change listeners over the adopted generation. */
export abstract class OwnershipHolder {
  private ownership?: Ownership;
  private readonly listeners: ((next: Ownership, previous: Ownership | undefined) => void)[] = [];

  constructor(readonly replica: string) {}

  current(): Ownership | undefined {
    return this.ownership;
  }

  ownsCluster(server: string): boolean {
    return this.ownership?.clusters[clusterServerKey(server)] === this.replica;
  }

  ownsAppSet(key: string): boolean {
    return this.ownership?.appSets[key] === this.replica;
  }

  ownerOfCluster(server: string): string | undefined {
    return this.ownership?.clusters[clusterServerKey(server)];
  }

  onChange(listener: (next: Ownership, previous: Ownership | undefined) => void): void {
    this.listeners.push(listener);
  }

  /** Adopts a newer generation; older or equal ones are ignored. */
  protected adopt(next: Ownership): void {
    const previous = this.ownership;
    if (previous && next.generation <= previous.generation) return;
    this.ownership = next;
    for (const listener of this.listeners) listener(next, previous);
  }
}

/** Clusters whose owner differs between two generations. */
export function movedClusters(previous: Ownership | undefined, next: Ownership): number {
  if (!previous) return 0;
  return Object.keys(next.clusters).filter((server) => previous.clusters[server] !== undefined && previous.clusters[server] !== next.clusters[server]).length;
}
