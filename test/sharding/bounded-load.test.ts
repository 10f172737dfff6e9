import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { assign, type Key, type Member } from '../../src/sharding/bounded-load.js';
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

describe('bounded-load assignment (properties over 2,000 random fleets)', () => {
  it('gives every key exactly one owner, keeps loads under caps of at most ⌈1.1·keys·weight/totalWeight⌉ and pinned keys where they are pinned', () => {
    const random = seededRandom(42);
    for (let run = 0; run < 2000; run++) {
      const { members, keys } = randomFleet(random);
      const { owners, caps } = assign(members, keys);
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

  it('does not depend on the order members and keys are given in', () => {
    const random = seededRandom(7);
    for (let run = 0; run < 200; run++) {
      const { members, keys } = randomFleet(random);
      const a = assign(members, keys);
      const b = assign([...members].reverse(), [...keys].sort(() => random() - 0.5));
      expect([...b.owners.entries()]).toEqual([...a.owners.entries()]);
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
    const shrunk = assign(members.filter((m) => m.id !== 'replica-5'), keys).owners;
    const movedOnRemove = keys.filter((k) => before.get(k.id) !== shrunk.get(k.id));
    expect(movedOnRemove.length).toBeLessThanOrEqual(Math.ceil((1000 / 10) * 1.1));
  });

  it('moves on average at most one other key when one key is added or removed (10 members × 1,000 keys, 30 fleets)', () => {
    let movedOnAdd = 0;
    let movedOnRemove = 0;
    for (let salt = 0; salt < 30; salt++) {
      const members = Array.from({ length: 10 }, (_, i) => ({ id: `regatta-${i}-${salt}` }));
      const keys = Array.from({ length: 1000 }, (_, i) => ({ id: `https://cluster-${i}.fleet-${salt}.example.com` }));
      const before = assign(members, keys).owners;
      const added = assign(members, [...keys, { id: `https://new.fleet-${salt}.example.com` }]).owners;
      movedOnAdd += keys.filter((k) => added.get(k.id) !== before.get(k.id)).length;
      const gone = keys[(salt * 37) % keys.length];
      const removed = assign(members, keys.filter((k) => k !== gone)).owners;
      movedOnRemove += keys.filter((k) => k !== gone && removed.get(k.id) !== before.get(k.id)).length;
    }
    expect(movedOnAdd / 30).toBeLessThanOrEqual(1);
    expect(movedOnRemove / 30).toBeLessThanOrEqual(1);
  });

  it('gives byte-identical assignments in a separate process', () => {
    const members = Array.from({ length: 7 }, (_, i) => ({ id: `replica-${i}`, weight: 1 + (i % 2) }));
    const keys = Array.from({ length: 500 }, (_, i) => ({ id: `cluster-${i * 7919}` }));
    const here = JSON.stringify([...assign(members, keys).owners]);
    // The module has no imports, so its transpiled text runs on its own in a fresh Node process.
    const source = readFileSync(new URL('../../src/sharding/bounded-load.ts', import.meta.url), 'utf8');
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    const dir = mkdtempSync(join(tmpdir(), 'regatta-sharding-'));
    try {
      writeFileSync(join(dir, 'bounded-load.mjs'), js);
      writeFileSync(join(dir, 'run.mjs'), `import { assign } from './bounded-load.mjs';\nprocess.stdout.write(JSON.stringify([...assign(${JSON.stringify(members)}, ${JSON.stringify(keys)}).owners]));\n`);
      const there = execFileSync(process.execPath, [join(dir, 'run.mjs')], { encoding: 'utf8' });
      expect(there).toBe(here);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
