import { describe, expect, it } from 'vitest';
import { runSoak } from '../../bench/soaker.js';

describe('the chaos soak, two minutes', () => {
  it(
    'rolls out revision after revision while replicas are killed and paused, Redis restarts and empties, the API server fails and workload clusters refuse connections: no double sync, no write by a non-owner, nothing lost',
    { timeout: 480_000 },
    async () => {
      // The soak's log (faults and repeated syncs, on one clock) goes with any failure: a seeded schedule meets different timings each run.
      const lines: string[] = [];
      const report = await runSoak({ minutes: 2, clusters: 20, chaosEveryMs: 6000, seed: 3, log: (line) => lines.push(line) });
      expect(report, `${JSON.stringify(report)}\n${lines.join('\n')}`).toMatchObject({
        doubleSyncs: 0,
        nonOwnerWrites: 0,
        applicationsLost: 0,
        rolloutsStuck: 0,
      });
      expect(report.rolloutsCompleted, JSON.stringify(report)).toBeGreaterThan(0);
      // Every rollout, the first included, reached every cluster: counted by the clusters (a sync cut short by a kill and resumed elsewhere counts once or twice).
      expect(report.syncs, lines.join('\n')).toBeGreaterThanOrEqual(20 * (report.rolloutsCompleted + 1));
      expect(Object.values(report.chaos).reduce((sum, n) => sum + n, 0)).toBeGreaterThan(5);
    },
  );
});
