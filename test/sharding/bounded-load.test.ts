import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assign, type Key, type Member, type PreviousAssignment } from '../../src/sharding/bounded-load.js';
import { seededRandom } from '../support/random.js';

function randomFleet(random: () => number): { members: Member[]; keys: Key[] } {
  const memberCount = 1 + Math.floor(random() * 12);
  const members = Array.from({ length: memberCount }, (_, i) => ({ id: `replica-${i}`, weight: random() < 0.3 ? 1 + Math.floor(random() * 3) : 1 }));
  const keyCount = Math.floor(random() * 300);
  const keys = Array.from({ length: keyCount }, (_, i) => ({
    id: `https://cluster-${Math.floor(random() * 1e9)}-${i}.example.com`,
    ...(random() < 0.05 ? { pinnedTo: members[Math.floor(random() * memberCount)].id } : {}),
  }));
  return { members, keys };
}

/** A previous generation as the leader may hold one: other members, some keys gone, some new, some owners not among its members. */
function randomPrevious(random: () => number, members: Member[], keys: Key[]): PreviousAssignment {
  const earlier = members.filter(() => random() < 0.8);
  if (random() < 0.5) earlier.push({ id: `replica-gone-${Math.floor(random() * 3)}` });
  const from = earlier.length ? earlier : members;
  const owners = assign(
    from,
    keys.filter(() => random() < 0.9),
  ).owners;
  for (const key of keys) if (random() < 0.02) owners.set(key.id, members[Math.floor(random() * members.length)].id);
  return { members: from.map((m) => m.id), owners };
}

const generation = (members: Member[], owners: Map<string, string>): PreviousAssignment => ({ members: members.map((m) => m.id), owners });

/** A random fleet before and after one of its members leaves, the second computed from the first. */
function oneLeaves(random: () => number) {
  const { members, keys } = randomFleet(random);
  if (members.length < 2) return undefined;
  const before = assign(members, keys).owners;
  const gone = members[Math.floor(random() * members.length)].id;
  const staying = members.filter((m) => m.id !== gone);
  const during = assign(staying, keys, { previous: generation(members, before) }).owners;
  return { members, keys, before, gone, staying, during };
}

const movedBetween = (keys: Key[], before: Map<string, string>, after: Map<string, string>) => keys.filter((k) => before.get(k.id) !== after.get(k.id));

/** The fleets `npm run bench -- sharding` headlines: 10 members, 1,000 keys, one fleet per salt. */
function benchFleet(salt: number): { members: Member[]; keys: Key[] } {
  return {
    members: Array.from({ length: 10 }, (_, i) => ({ id: `regatta-${i}-${salt}` })),
    keys: Array.from({ length: 1000 }, (_, i) => ({ id: `https://cluster-${i}.fleet-${salt}.example.com` })),
  };
}

describe('bounded-load assignment (properties over 2,000 random fleets)', () => {
  it('gives every key exactly one owner, keeps loads under caps of at most ⌈1.1·keys·weight/totalWeight⌉ and pinned keys where they are pinned', () => {
    const random = seededRandom(42);
    for (let run = 0; run < 2000; run++) {
      const { members, keys } = randomFleet(random);
      const { owners, caps } = assign(members, keys, run % 2 ? { previous: randomPrevious(random, members, keys) } : {});
      expect(owners.size).toBe(keys.length);
      const loads = new Map<string, number>();
      for (const key of keys) {
        const owner = owners.get(key.id)!;
        expect(members.some((m) => m.id === owner)).toBe(true);
        if (key.pinnedTo) expect(owner).toBe(key.pinnedTo);
        else loads.set(owner, (loads.get(owner) ?? 0) + 1);
      }
      const totalWeight = members.reduce((sum, m) => sum + (m.weight ?? 1), 0);
      for (const member of members) {
        expect(caps.get(member.id)).toBeLessThanOrEqual(Math.ceil((1.1 * keys.length * (member.weight ?? 1)) / totalWeight));
      }
      for (const [member, load] of loads) {
        const pinned = keys.filter((k) => k.pinnedTo === member).length;
        expect(load + pinned).toBeLessThanOrEqual(Math.max(caps.get(member)!, pinned));
      }
    }
  });

  it('does not depend on the order members, keys and the previous generation are given in', () => {
    const random = seededRandom(7);
    for (let run = 0; run < 200; run++) {
      const { members, keys } = randomFleet(random);
      const a = assign(members, keys);
      const b = assign(
        [...members].reverse(),
        [...keys].sort(() => random() - 0.5),
      );
      expect([...b.owners.entries()]).toEqual([...a.owners.entries()]);
      const previous = randomPrevious(random, members, keys);
      const c = assign(members, keys, { previous });
      const d = assign(
        [...members].reverse(),
        [...keys].sort(() => random() - 0.5),
        { previous: { members: [...previous.members].reverse(), owners: new Map([...previous.owners].sort(() => random() - 0.5)) } },
      );
      expect([...d.owners.entries()]).toEqual([...c.owners.entries()]);
    }
  });

  it('computed again from its own result, changes nothing', () => {
    const random = seededRandom(11);
    for (let run = 0; run < 500; run++) {
      const { members, keys } = randomFleet(random);
      const first = assign(members, keys, run % 2 ? { previous: randomPrevious(random, members, keys) } : {}).owners;
      expect([...assign(members, keys, { previous: generation(members, first) }).owners]).toEqual([...first]);
    }
  });

  it('given the previous generation, moves only the keys of a member that leaves', () => {
    const random = seededRandom(13);
    for (let run = 0; run < 1000; run++) {
      const departure = oneLeaves(random);
      if (!departure) continue;
      const { keys, before, gone, during } = departure;
      for (const key of movedBetween(keys, before, during)) expect(before.get(key.id)).toBe(gone);
    }
  });

  it('given the previous generation, a joining member takes the keys that rank it first and next to nothing moves between the others (10 members × 1,000 keys, 30 fleets)', () => {
    let moved = 0;
    for (let salt = 0; salt < 30; salt++) {
      const { members, keys } = benchFleet(salt);
      const joined = `regatta-10-${salt}`;
      const before = assign(members, keys).owners;
      const after = assign([...members, { id: joined }], keys, { previous: generation(members, before) }).owners;
      const movedKeys = movedBetween(keys, before, after);
      expect(movedKeys.filter((k) => after.get(k.id) !== joined).length).toBeLessThanOrEqual(10);
      moved += movedKeys.length;
    }
    expect(moved / 30).toBeLessThanOrEqual((1.1 * 1000) / 11);
  });

  it('gives a member that leaves and comes back the keys it had', () => {
    const random = seededRandom(17);
    for (let run = 0; run < 300; run++) {
      const departure = oneLeaves(random);
      if (!departure) continue;
      const { members, keys, before, gone, staying, during } = departure;
      const back = assign(members, keys, { previous: generation(staying, during) }).owners;
      for (const key of keys) if (before.get(key.id) === gone) expect(back.get(key.id)).toBe(gone);
    }
  });

  it('moves few keys when a member joins or leaves, and none that are pinned', () => {
    const members = Array.from({ length: 10 }, (_, i) => ({ id: `replica-${i}` }));
    const keys = Array.from({ length: 1000 }, (_, i) => ({ id: `cluster-${i}`, ...(i % 50 === 0 ? { pinnedTo: 'replica-3' } : {}) }));
    const before = assign(members, keys).owners;
    const grown = assign([...members, { id: 'replica-10' }], keys).owners;
    const moved = keys.filter((k) => before.get(k.id) !== grown.get(k.id));
    expect(moved.length).toBeLessThanOrEqual(Math.ceil((1000 / 11) * 1.1));
    expect(moved.every((k) => !k.pinnedTo)).toBe(true);
    const shrunk = assign(
      members.filter((m) => m.id !== 'replica-5'),
      keys,
    ).owners;
    const movedOnRemove = keys.filter((k) => before.get(k.id) !== shrunk.get(k.id));
    expect(movedOnRemove.length).toBeLessThanOrEqual(Math.ceil((1000 / 10) * 1.1));
  });

  it('moves on average at most one other key when one key is added or removed, from scratch and from the previous generation (10 members × 1,000 keys, 30 fleets)', () => {
    for (const withHistory of [false, true]) {
      let movedOnAdd = 0;
      let movedOnRemove = 0;
      for (let salt = 0; salt < 30; salt++) {
        const { members, keys } = benchFleet(salt);
        const before = assign(members, keys).owners;
        const options = withHistory ? { previous: generation(members, before) } : {};
        const added = assign(members, [...keys, { id: `https://new.fleet-${salt}.example.com` }], options).owners;
        movedOnAdd += movedBetween(keys, before, added).length;
        const gone = keys[(salt * 37) % keys.length];
        const rest = keys.filter((k) => k !== gone);
        movedOnRemove += movedBetween(rest, before, assign(members, rest, options).owners).length;
      }
      expect(movedOnAdd / 30).toBeLessThanOrEqual(1);
      expect(movedOnRemove / 30).toBeLessThanOrEqual(1);
    }
  });

  it('gives byte-identical assignments in a separate process, from scratch and from a previous generation', () => {
    const members = Array.from({ length: 7 }, (_, i) => ({ id: `replica-${i}`, weight: 1 + (i % 2) }));
    const keys = Array.from({ length: 500 }, (_, i) => ({ id: `cluster-${i * 7919}` }));
    const previous = { members: members.slice(1).map((m) => m.id), owners: assign(members.slice(1), keys.slice(50)).owners };
    const here = JSON.stringify([[...assign(members, keys).owners], [...assign(members, keys, { previous }).owners]]);
    // The built module (`npm test` builds dist/ first), run by a fresh Node process.
    const built = new URL('../../dist/sharding/bounded-load.js', import.meta.url).href;
    const dir = mkdtempSync(join(tmpdir(), 'regatta-sharding-'));
    try {
      writeFileSync(
        join(dir, 'run.mjs'),
        `import { assign } from '${built}';\nconst members = ${JSON.stringify(members)};\nconst keys = ${JSON.stringify(keys)};\nconst previous = { members: ${JSON.stringify(previous.members)}, owners: new Map(${JSON.stringify([...previous.owners])}) };\nprocess.stdout.write(JSON.stringify([[...assign(members, keys).owners], [...assign(members, keys, { previous }).owners]]));\n`,
      );
      const there = execFileSync(process.execPath, [join(dir, 'run.mjs')], { encoding: 'utf8' });
      expect(there).toBe(here);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
