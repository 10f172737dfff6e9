import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

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
      // Then the end-to-end files one at a time: they run replica processes, Redis and leases with
      // heartbeats of seconds, and must not compete with each other for the cores.
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
