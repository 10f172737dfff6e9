import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const SOAK = 'test/e2e/soak.test.ts';
const E2E_ALONE = [SOAK, 'test/e2e/sharding.test.ts', 'test/e2e/process-lifetime.test.ts'];

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
    projects: [
      // Both cores for the files that run in one process.
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/e2e/**'], maxWorkers: 2, sequence: { groupOrder: 0 } } },
      // Then the end-to-end files in one process each, two at a time: most of their time is waits
      // (workloads turning ready, bake times, refresh intervals) that two files can share.
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          exclude: E2E_ALONE,
          maxWorkers: 2,
          testTimeout: 120_000,
          sequence: { groupOrder: 1 },
        },
      },
      // Last, one at a time, the chaos soak and the files whose replicas hold leases with heartbeats of
      // seconds or are killed and restarted on a schedule: they must not compete for the cores.
      { extends: true, test: { name: 'e2e-alone', include: E2E_ALONE, maxWorkers: 1, sequence: { groupOrder: 2 } } },
    ],
  },
});
