/**
 * Argo CD's `consistent-hashing` sharding algorithm (controller/sharding, "consistent hashing with
 * bounded loads"), ported for operators who compare or migrate. What it does, quirks included:
 *
 * - The ring: each shard "0".."replicas-1" gets 1,000 virtual nodes at blake2b-512(shard + i)
 *   (i in decimal, no separator), read as a little-endian uint64 from the digest's first 8 bytes.
 *   Shards are added in order and a later node overwrites an earlier one at the same point, so
 *   from 12 replicas up keys collide ("1"+"10" = "11"+"0") and low shards lose nodes to high ones.
 * - Clusters are taken in cluster-ID order; each goes to the owner of the first node clockwise
 *   after blake2b(id) whose load is below ⌈max(1, ⌊(total+1)/replicas⌋)·1.25⌉, else the next node.
 * - Loads count Applications (by destination server), not clusters: with no Applications every
 *   load stays 0 and nothing is bounded; with them, the bound follows the running total.
 * - Pinned clusters (`shard`) still walk the ring and add their Applications to the shard the ring
 *   picks; only their own answer is the pin. The local cluster without a Secret has id "" and is
 *   placed like any other.
 */
import { createHash } from 'node:crypto';
import { byId, requestedShard, type ShardedCluster } from './argo-algorithms.js';

export interface ConsistentHashingCluster extends ShardedCluster {
  /** Applications whose `spec.destination.server` is this cluster's server (Argo CD's load unit; it does not count those naming the cluster); default 0. */
  apps?: number;
}

export const VIRTUAL_NODES = 1000;
const LOAD_FACTOR = 1.25;

/** blake2b-512 of the text, first 8 bytes little-endian, as Argo CD's ring hash. */
export function ringHash(text: string): bigint {
  return createHash('blake2b512').update(text, 'utf8').digest().readBigUInt64LE(0);
}

export interface Ring {
  /** Virtual node positions, ascending, unique. */
  points: BigUint64Array;
  /** The shard owning each point. */
  shards: Int32Array;
}

export function buildRing(replicas: number): Ring {
  const owner = new Map<bigint, number>();
  for (let shard = 0; shard < replicas; shard++) {
    for (let i = 0; i < VIRTUAL_NODES; i++) owner.set(ringHash(`${shard}${i}`), shard);
  }
  const points = BigUint64Array.from(owner.keys()).sort();
  return { points, shards: Int32Array.from(points, (point) => owner.get(point)!) };
}

// Rings depend only on the replica count; benchmarks and comparisons ask for the same few again.
const rings = new Map<number, Ring>();
function ringFor(replicas: number): Ring {
  let ring = rings.get(replicas);
  if (!ring) {
    if (rings.size >= 16) rings.clear();
    ring = buildRing(replicas);
    rings.set(replicas, ring);
  }
  return ring;
}

/** Index of the first point strictly after h, wrapping to 0. */
function firstAfter(points: BigUint64Array, h: bigint): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid] <= h) lo = mid + 1;
    else hi = mid;
  }
  return lo === points.length ? 0 : lo;
}

/** cluster id → shard, as Argo CD's cluster cache computes it with `consistent-hashing`. */
export function consistentHashingShards(clusters: ConsistentHashingCluster[], replicas: number): Map<string, number> {
  const shards = new Map<string, number>();
  if (replicas < 1) return shards;
  const { points, shards: owners } = ringFor(replicas);
  const loads = new Array<number>(replicas).fill(0);
  let total = 0;
  for (const cluster of [...clusters].sort(byId)) {
    const average = Math.max(1, Math.floor((total + 1) / replicas));
    const limit = Math.ceil(average * LOAD_FACTOR);
    let index = firstAfter(points, ringHash(cluster.id));
    // Some shard is always below the limit (it exceeds the mean), so one lap of the ring suffices.
    for (let step = 0; loads[owners[index]] >= limit; step++) {
      if (step >= points.length) throw new Error(`consistent-hashing: no shard below load ${limit} for cluster ${cluster.id}`);
      index = (index + 1) % points.length;
    }
    const shard = owners[index];
    loads[shard] += cluster.apps ?? 0;
    total += cluster.apps ?? 0;
    shards.set(cluster.id, requestedShard(cluster, replicas) ?? shard);
  }
  return shards;
}
