// `npm run soak -- [MINUTES] [SEED]` (default 10 minutes, seed 1): rollouts of new revisions one
// after another over 200 simulated clusters and 3 replica processes while chaos strikes (see
// soaker.ts). Prints progress, then one JSON line; exits 1 when any safety counter is not 0 or a
// rollout did not finish.
import { runSoak } from './soaker.js';

const [minutesArg, seedArg] = process.argv.slice(process.argv.indexOf('soak') + 1);
const report = await runSoak({ minutes: Number(minutesArg ?? 10), seed: Number(seedArg ?? 1), log: (line) => process.stderr.write(`${line}\n`) });
console.log(JSON.stringify({ bench: 'soak', ...report }));
const unsafe = report.doubleSyncs || report.nonOwnerWrites || report.applicationsLost || report.rolloutsStuck || !report.rolloutsCompleted;
process.exit(unsafe ? 1 : 0);
