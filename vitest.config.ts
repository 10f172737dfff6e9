import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const FUZZ = 'test/fuzz/fuzzer.test.ts';
const SOAK = 'test/e2e/soak.test.ts';
const E2E_ALONE = ['test/e2e/sharding.test.ts'];

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
      // The files that run in one process, the fuzzer's thousand cases first (vitest orders a group's
      // projects by name) beside two workers that keep both cores busy: its two minutes are mostly waits.
      // The unit files share their workers' module graph (no file mocks or stubs a module): importing
      // Nest, client-node and the rest once per file took a third of this group's time.
      { extends: true, test: { name: 'fuzz', include: [FUZZ], maxWorkers: 3, sequence: { groupOrder: 0 } } },
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/e2e/**', FUZZ], isolate: false, maxWorkers: 3, sequence: { groupOrder: 0 } },
      },
      // Then the end-to-end files in one process each, beside the two-minute chaos soak (the suite's
      // longest file, started first: vitest orders a group's projects by name). Most of their time is
      // waits (workloads turning ready, bake times, refresh intervals) that the files can share, and a
      // soak under load is the better soak. Projects run together must have the same maxWorkers.
      {
        extends: true,
        test: { name: 'chaos-soak', include: [SOAK], maxWorkers: 3, sequence: { groupOrder: 1 } },
      },
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
      // Last, alone, the sharding file: its replicas hold leases with heartbeats of seconds, are killed
      // and paused, and it counts the handoff's time against the heartbeat's: it must not compete for the cores.
      { extends: true, test: { name: 'e2e-alone', include: E2E_ALONE, maxWorkers: 1, sequence: { groupOrder: 2 } } },
    ],
  },
});
