// `npm run fuzz -- [N] [SEED]` (default 10,000 cases, seed 1): mutated ApplicationSets through
// `regatta generate` and the ApplicationSet controller on the simulator (see fuzzer.ts). Prints
// progress, then one JSON line; exits 1 when any safety counter is not 0.
import { runFuzz } from './fuzzer.js';

const [casesArg, seedArg] = process.argv.slice(process.argv.indexOf('fuzz') + 1);
const cases = Number(casesArg ?? 10_000);
const seed = Number(seedArg ?? 1);
const started = Date.now();
const report = await runFuzz({ cases, seed, log: (line) => process.stderr.write(`${line}\n`) });
// Problems can quote huge fuzzed values: a line each, cut short.
for (const problem of report.problems) console.log(`  ${problem.split('\n').slice(0, 8).join(' | ').slice(0, 600)}`);
console.log(
  JSON.stringify({
    bench: 'fuzz',
    cases: report.cases,
    seed,
    crashes: report.crashes,
    unhandled: report.unhandled,
    unnamed: report.unnamed,
    deleted: report.deleted,
    polluted: report.polluted,
    seconds: Math.round((Date.now() - started) / 1000),
  }),
);
process.exit(report.crashes || report.unhandled || report.unnamed || report.deleted || report.polluted ? 1 : 0);
