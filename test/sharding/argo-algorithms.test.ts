import { describe, expect, it } from 'vitest';
import { fnv32a, legacyShard, roundRobinShards } from '../../src/sharding/argo-algorithms.js';

describe("Argo CD's sharding algorithms", () => {
  it('hashes with FNV-1a 32 as Go does', () => {
    expect(fnv32a('')).toBe(0x811c9dc5);
    expect(fnv32a('a')).toBe(0xe40c292c);
    expect(fnv32a('foobar')).toBe(0xbf9cf968);
  });

  it('legacy: fnv32a(id) mod replicas, shard 0 for the local cluster, pins win (shard 0 when out of range)', () => {
    expect(legacyShard({ id: 'foobar' }, 3)).toBe(0xbf9cf968 % 3);
    expect(legacyShard({ id: '' }, 3)).toBe(0);
    expect(legacyShard({ id: 'foobar', shard: 2 }, 3)).toBe(2);
    // Argo CD's cluster cache sends a shard at or above the replica count to shard 0.
    expect(legacyShard({ id: 'foobar', shard: 5 }, 3)).toBe(0);
  });

  it('round-robin: ordered by id, spread evenly', () => {
    const shards = roundRobinShards([{ id: 'c' }, { id: 'a' }, { id: 'b' }, { id: 'd', shard: 0 }], 2);
    expect([...shards.entries()].sort()).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 0],
      ['d', 0],
    ]);
  });
});
