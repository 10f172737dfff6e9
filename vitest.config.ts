import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const SOAK = 'test/e2e/soak.test.ts';
const E2E_ALONE = ['test/e2e/sharding.test.ts', 'test/e2e/process-lifetime.test.ts'];

/** The soak first in its group, so that its two minutes overlap the end-to-end files instead of following them. */
class SoakFirst extends BaseSequencer {
  async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const isSoak = (file: TestSpecification) => file.moduleId.endsWith(SOAK);
    return [...sorted.filter(isSoak), ...sorted.filter((file) => !isSoak(file))];
  }
}

export default defineConfig({
  // swc keeps legacy decorators and design:paramtypes, which Nest's DI needs.
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    environment: 'node',
    // Inlined, ioredis' named Redis export is undefined; loaded by Node it is the class.
    server: { deps: { external: ['ioredis'] } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
    sequence: { sequencer: SoakFirst },
    projects: [
      // Both cores for the files that run in one process.
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/e2e/**'], maxWorkers: 2, sequence: { groupOrder: 0 } } },
      // Then the end-to-end files in one process each, with the two-minute chaos soak among them from
      // the start: three at a time, since most of their time is waits (workloads turning ready, bake
      // times, refresh intervals) that can share the cores. Their waits stretch so: a wider timeout.
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          exclude: [SOAK, ...E2E_ALONE],
          maxWorkers: 3,
          testTimeout: 120_000,
          sequence: { groupOrder: 1 },
        },
      },
      // The soak's counters are safety counters, which load must not move; a project of its own to run it alone.
      { extends: true, test: { name: 'soak', include: [SOAK], maxWorkers: 3, sequence: { groupOrder: 1 } } },
      // Last, one at a time, the files whose replicas hold leases with heartbeats of seconds or are
      // killed and restarted on a schedule the test checks: they must not compete for the cores.
      { extends: true, test: { name: 'e2e-alone', include: E2E_ALONE, maxWorkers: 1, sequence: { groupOrder: 2 } } },
    ],
  },
});
