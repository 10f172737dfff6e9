import { describe, expect, it } from 'vitest';
import { canonicalJson, deepEqual } from '../../src/lib/json-values.js';
import { seededRandom } from '../support/random.js';

/** JSON-like values with the shapes that trip equality: absent, undefined and null fields, key order, nesting, inherited names. */
function randomValue(random: () => number, depth: number): unknown {
  const pick = <T>(choices: T[]) => choices[Math.floor(random() * choices.length)];
  const kind = depth <= 0 ? pick(['scalar']) : pick(['scalar', 'array', 'object', 'object']);
  if (kind === 'scalar') return pick<unknown>([undefined, null, 0, 1, '1', 'a', true, false, '']);
  if (kind === 'array') return Array.from({ length: Math.floor(random() * 3) }, () => randomValue(random, depth - 1));
  const object: Record<string, unknown> = {};
  for (let i = Math.floor(random() * 4); i > 0; i--) object[pick(['a', 'b', 'c', 'constructor', 'toString'])] = randomValue(random, depth - 1);
  return object;
}

/** A copy with its keys in another order, some undefined fields dropped and some absent ones added as undefined: equal as JSON. */
function reshuffled(value: unknown, random: () => number): unknown {
  if (Array.isArray(value)) return value.map((item) => reshuffled(item, random));
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value).reverse()) if (item !== undefined || random() < 0.5) copy[key] = reshuffled(item, random);
  if (random() < 0.3) copy.extra = undefined;
  return copy;
}

describe('deepEqual', () => {
  it('says two values are equal exactly when their canonical JSON is, over 20,000 seeded pairs (key order, undefined fields, inherited names)', () => {
    const random = seededRandom(27);
    let equalPairs = 0;
    for (let i = 0; i < 20_000; i++) {
      const a = randomValue(random, 3);
      const b = random() < 0.5 ? reshuffled(a, random) : randomValue(random, 3);
      const expected = canonicalJson(a) === canonicalJson(b);
      if (expected) equalPairs++;
      expect(deepEqual(a, b), `${canonicalJson(a)} vs ${canonicalJson(b)}`).toBe(expected);
      expect(deepEqual(b, a)).toBe(expected);
    }
    // Both answers were exercised many times.
    expect(equalPairs).toBeGreaterThan(5_000);
    expect(equalPairs).toBeLessThan(15_000);
  });

  it('tells a field that is missing from one that is there, whichever side has it, and an empty object from an empty list', () => {
    expect(deepEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(deepEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(deepEqual({ a: 1, b: 2 }, { a: 1 })).toBe(false);
    expect(deepEqual({ toString: 'x' }, {})).toBe(false);
    expect(deepEqual({}, [])).toBe(false);
    expect(deepEqual({ a: null }, { a: undefined })).toBe(false);
  });
});
