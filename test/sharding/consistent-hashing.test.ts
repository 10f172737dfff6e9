import { describe, expect, it } from 'vitest';
import { legacyShard } from '../../src/sharding/argo-algorithms.js';
import { buildRing, consistentHashingShards, ringHash } from '../../src/sharding/consistent-hashing.js';

/** The plain ring's answer, by a linear scan: the owner of the smallest point above the key's hash, else of the smallest point. */
const rings = new Map<number, ReturnType<typeof buildRing>>();
function ringOwner(replicas: number, id: string): number {
  if (!rings.has(replicas)) rings.set(replicas, buildRing(replicas));
  const { points, shards } = rings.get(replicas)!;
  const h = ringHash(id);
  const after = points.findIndex((point) => point > h);
  return shards[after === -1 ? 0 : after];
}

describe("Argo CD's consistent-hashing algorithm", () => {
  it("hashes with blake2b-512, the digest's first 8 bytes read little-endian (RFC 7693 vectors)", () => {
    expect(ringHash('')).toBe(0x03590142f7026a78n); // 786a02f7 42015903 …
    expect(ringHash('abc')).toBe(0x0d4d1c983fa580ban); // ba80a53f 981c4d0d …
  });

  it('gives each shard 1,000 virtual nodes, and from 12 replicas up later shards take over colliding ones ("1"+"10" = "11"+"0")', () => {
    const perShard = (replicas: number) => {
      const counts = new Array<number>(replicas).fill(0);
      for (const shard of buildRing(replicas).shards) counts[shard]++;
      return counts;
    };
    expect(perShard(11)).toEqual(new Array(11).fill(1000));
    // Shard 1's "1"+"10".."1"+"19" and "1"+"110".."1"+"199" are shard 11's "11"+"0".."11"+"99".
    expect(perShard(12)).toEqual([1000, 900, ...new Array(10).fill(1000)]);
    expect(perShard(13)).toEqual([1000, 800, ...new Array(11).fill(1000)]);
  });

  it('without Applications bounds nothing: every cluster goes to the first virtual node after its hash, wrapping around', () => {
    const clusters = Array.from({ length: 300 }, (_, i) => ({ id: `6f1c${i}-uid` }));
    const shards = consistentHashingShards(clusters, 5);
    for (const cluster of clusters) expect(shards.get(cluster.id)).toBe(ringOwner(5, cluster.id));

    const { points, shards: owners } = buildRing(2);
    const last = points[points.length - 1];
    let wrapping: string | undefined;
    for (let i = 0; i < 50_000 && !wrapping; i++) if (ringHash(`wrap-${i}`) > last) wrapping = `wrap-${i}`;
    expect(wrapping).toBeDefined();
    expect(consistentHashingShards([{ id: wrapping! }], 2).get(wrapping!)).toBe(owners[0]);
  });

  it('counts Applications as load: a shard past ⌈⌊(total+1)/replicas⌋·1.25⌉ takes no more clusters', () => {
    // Clusters go in id order: the heavy one first, then 40 with one Application each. With 100 on
    // its shard the limit stays ≤ 63 < 100 until the total reaches 161, so all 40 go to the other.
    const heavy = { id: 'a-heavy', apps: 100 };
    const light = Array.from({ length: 40 }, (_, i) => ({ id: `b-light-${i}`, apps: 1 }));
    const full = ringOwner(2, heavy.id);
    const shards = consistentHashingShards([...light, heavy], 2);
    expect(shards.get(heavy.id)).toBe(full);
    expect(light.every((c) => shards.get(c.id) === 1 - full)).toBe(true);
    // The same light clusters without the heavy one follow the plain ring, on both shards.
    const alone = consistentHashingShards(light, 2);
    expect(new Set(alone.values()).size).toBe(2);
  });

  it("lets a cluster's shard field win (0 when it is not below replicas), while its Applications still load the ring's shard", () => {
    const ringShard = ringOwner(2, 'a-heavy');
    const light = Array.from({ length: 40 }, (_, i) => ({ id: `b-light-${i}`, apps: 1 }));
    const pinned = consistentHashingShards([{ id: 'a-heavy', apps: 100, shard: 1 - ringShard }, ...light], 2);
    expect(pinned.get('a-heavy')).toBe(1 - ringShard);
    expect(light.every((c) => pinned.get(c.id) === 1 - ringShard)).toBe(true);
    expect(consistentHashingShards([{ id: 'x', shard: 7 }], 2).get('x')).toBe(0);
  });

  it('places the local cluster (no Secret, id "") on the ring like any other, where legacy puts it on shard 0', () => {
    expect(legacyShard({ id: '' }, 3)).toBe(0);
    const shard = consistentHashingShards([{ id: '' }, { id: 'c-1' }], 3).get('');
    expect(shard).toBe(ringOwner(3, ''));
    expect(shard).not.toBe(0);
  });

  it('does not depend on the order clusters are given in', () => {
    const clusters = Array.from({ length: 500 }, (_, i) => ({ id: `uid-${(i * 7919) % 1000}`, apps: i % 4 }));
    const a = consistentHashingShards(clusters, 7);
    const b = consistentHashingShards([...clusters].reverse(), 7);
    expect([...b].sort()).toEqual([...a].sort());
  });
});
