import { expect, it } from 'vitest';
import { runFuzz } from '../../bench/fuzzer.js';

it('1,000 mutated ApplicationSets: no crash, no unhandled rejection, every rejection says where, nothing deleted while in error, no key reaching a prototype', async () => {
  const report = await runFuzz({ cases: 1000, seed: 7, batch: 100 });
  expect(report.problems).toEqual([]);
  expect(report).toMatchObject({ cases: 1000, crashes: 0, unhandled: 0, unnamed: 0, deleted: 0, polluted: 0 });
}, 300_000);
