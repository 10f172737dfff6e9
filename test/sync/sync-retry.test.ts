import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import type { KubeObject } from '../../src/api/meta.js';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { silentLogger } from '../../src/observability/logger.js';
import { ApplicationClient } from '../../src/sync/application-client.js';
import { kitchenTime, nextRetryAt } from '../../src/sync/sync-retry.js';
import { SyncRunner } from '../../src/sync/sync-runner.js';
import { SyncWindowGate } from '../../src/sync/sync-window-gate.js';
import { configMap, DirectSyncFixture, permissiveProjects } from '../support/direct-sync-fixture.js';

describe('the wait before a retry, as Argo CD computes it', () => {
  const at = new Date('2026-01-01T00:00:00Z');
  const waitMs = (strategy: Parameters<typeof nextRetryAt>[0], retryCount: number) => nextRetryAt(strategy, at, retryCount).getTime() - at.getTime();

  it('is duration × factor^retries, capped at maxDuration; defaults 5s, 2, 3m; bare numbers are seconds', () => {
    expect([0, 1, 2, 3].map((n) => waitMs({ limit: 5 }, n))).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(waitMs({ limit: 5 }, 10)).toBe(180_000);
    expect([0, 1, 2].map((n) => waitMs({ backoff: { duration: '10', factor: 3, maxDuration: '1m' } }, n))).toEqual([10_000, 30_000, 60_000]);
    expect(waitMs({ backoff: { duration: '1m30s', maxDuration: '2m' } }, 1)).toBe(120_000);
    expect(() => nextRetryAt({ backoff: { duration: 'soon' } }, at, 0)).toThrow('unable to parse soon as a duration');
    expect(kitchenTime(new Date('2026-01-01T15:04:00Z'))).toBe('3:04PM');
    expect(kitchenTime(new Date('2026-01-01T00:09:00Z'))).toBe('12:09AM');
  });
});

describe('a failed sync is tried again as its operation.retry says', () => {
  let f: DirectSyncFixture;
  let applications: ApplicationClient;
  let runner: SyncRunner;

  beforeAll(async () => {
    f = await DirectSyncFixture.start();
    applications = new ApplicationClient(kubeConfigFromString(f.fleet.kubeconfig(undefined, { identity: 'regatta-sync' })));
    const projects = permissiveProjects();
    const clock = () => new Date();
    const gate = new SyncWindowGate(applications, { clock }, silentLogger, () => undefined);
    runner = new SyncRunner(f.driver, applications, gate, { replica: 'r-a', projects, clock }, silentLogger, {
      comparing: () => undefined,
      ended: () => undefined,
      cached: () => undefined,
    });
    // Another Application already tracks the ConfigMap: with FailOnSharedResource=true every attempt fails until it lets go.
    await f.driver.sync(f.application('owner', 'owner', { 'config.yaml': configMap('contested') }), { prune: false });
  });
  afterAll(async () => {
    await f.stop();
  });

  const start = async (name: string, retry: Record<string, unknown>): Promise<Application> => {
    const app = f.application(name, 'contender', { 'config.yaml': configMap('contested') }, { syncPolicy: { syncOptions: ['FailOnSharedResource=true'] } });
    await f.admin().create({ ...app, operation: { sync: { revision: app.spec.source!.targetRevision }, retry } } as KubeObject);
    return app;
  };
  const run = (app: Application) =>
    runner.run({
      namespace: 'argocd',
      application: app.metadata.name,
      revision: app.spec.source!.targetRevision,
      prune: false,
      identity: [app.metadata.name],
      key: app.metadata.name,
      cluster: 'in-cluster',
    });
  const state = async (name: string) => (await applications.get('argocd', name))?.status?.operationState;
  const shared = 'Shared resource found: ConfigMap/contested is part of applications';

  it('gives up after `limit` retries, waiting the backoff between attempts, and says how often it retried', async () => {
    const app = await start('gives-up', { limit: 2, backoff: { duration: '100ms', factor: 2 } });
    const began = Date.now();
    await run(app);
    // 100 ms, then 200 ms between the three attempts.
    expect(Date.now() - began).toBeGreaterThanOrEqual(300);
    expect(await state('gives-up')).toMatchObject({
      phase: 'Failed',
      message: `${shared} argocd/gives-up and owner (retried 2 times).`,
      retryCount: 2,
    });
  });

  it('shows Running with the next attempt between attempts, and succeeds once the cause is gone', async () => {
    const app = await start('recovers', { limit: 3, backoff: { duration: '1s' } });
    const running = run(app);
    let between: Awaited<ReturnType<typeof state>>;
    for (const deadline = Date.now() + 5_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 20))) {
      between = await state('recovers');
      if (between?.retryCount === 1) break;
    }
    expect(between).toMatchObject({ phase: 'Running', retryCount: 1 });
    expect(between?.message).toMatch(new RegExp(`^${shared} argocd/recovers and owner\\. Retrying attempt #1 at \\d{1,2}:\\d{2}[AP]M\\.$`));
    expect(between?.finishedAt).toBeDefined();
    // The other Application lets the ConfigMap go before the next attempt.
    await f.admin().mergePatch({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'contested', namespace: 'default', labels: { 'app.kubernetes.io/instance': null } },
    } as never);
    await running;
    expect(await state('recovers')).toMatchObject({ phase: 'Succeeded', message: 'successfully synced (all tasks run)', retryCount: 1 });
  });
});
