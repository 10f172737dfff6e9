import { afterEach, describe, expect, it } from 'vitest';
import type { SyncWindow } from '../../src/api/app-project.js';
import type { Application } from '../../src/api/application.js';
import type { KubeObject } from '../../src/api/meta.js';
import { DemoEnvironment } from '../../src/demo/demo-environment.js';
import { SYNC_WINDOW_BLOCKED_MESSAGE } from '../../src/sync/sync-window-gate.js';
import { envStep, waitFor } from '../support/rollout-fixture.js';
import { writeMark, writesSince } from '../support/write-log.js';

/**
 * AppProject sync windows on the direct driver: the simulated fleet, real redis-server, real Git,
 * the ApplicationSet controller and the application controller, with a clock the test moves past
 * the windows. A held sync writes nothing to its cluster until its window allows it.
 */
let env: DemoEnvironment | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

/** Runs at the speed of time, from a moment the test chooses; `moveTo` jumps. */
class MovableClock {
  private offset = 0;
  constructor(start: string) {
    this.moveTo(start);
  }
  moveTo(moment: string): void {
    this.offset = Date.parse(moment) - Date.now();
  }
  readonly now = () => new Date(Date.now() + this.offset);
}

type Status = { history?: { revision?: string; revisions?: string[] }[]; operationState?: { phase?: string; message?: string }; sync?: { status?: string } };
const statusOf = (application: Application | undefined) => (application?.status ?? {}) as Status;

async function application(name: string): Promise<Application | undefined> {
  return (await env!.applications()).find((a) => a.metadata.name === name);
}

async function syncedTo(name: string, revision: string): Promise<boolean> {
  return statusOf(await application(name)).history?.some((h) => (h.revision ?? h.revisions?.[0]) === revision) ?? false;
}

/** What reached a cluster since `since`, beyond the objects the simulator bootstraps every cluster with. */
const writesTo = (cluster: string, since: bigint) => writesSince(env!.fleet.cluster(cluster), since).filter((w) => w.identity !== 'sim');

describe('sync windows hold syncs on the direct driver', () => {
  it('RollingSync: a step held by a deny window and by an allow window not yet open applies nothing until each window allows it; the rollout says why', async () => {
    const clock = new MovableClock('2030-01-07T01:30:00Z');
    const syncWindows: SyncWindow[] = [
      { kind: 'deny', schedule: '0 1 * * *', duration: '1h', applications: ['*-frozen-1'], description: 'change freeze' },
      { kind: 'allow', schedule: '0 3 * * *', duration: '1h', applications: ['*-night-1'] },
    ];
    const mark = writeMark();
    env = await DemoEnvironment.start({
      clusters: [
        { name: 'staging-1', labels: { env: 'staging', region: 'eu' } },
        { name: 'frozen-1', labels: { env: 'production', region: 'eu' } },
        { name: 'night-1', labels: { env: 'production', region: 'us' } },
      ],
      steps: [envStep('staging'), envStep('production', { progressDeadlineSeconds: 120 })],
      readyDelayMs: 150,
      refreshIntervalMs: 150,
      syncWindows,
      clock: clock.now,
      windowRecheckMs: 200,
    });
    const revision = env.revision;

    const summary =
      'step 2: 1 Application waiting for sync window "change freeze" (opens 02:00 UTC); 1 Application waiting for sync window #1 "0 3 * * *" (opens 03:00 UTC)';
    const held = await waitFor(async () => {
      const appSet = await env!.appSet();
      return appSet?.status?.conditions?.some((c) => c.type === 'RolloutProgressing' && c.message === summary) ? appSet : undefined;
    }, 'step 2 to be held by both windows');
    expect(held.status?.rollout).toMatchObject({ phase: 'Progressing', step: 2, message: summary });
    expect(held.status?.applicationStatus?.find((e) => e.application === 'guestbook-frozen-1')?.message).toBe(
      'Application sync held: waiting for sync window "change freeze" (opens 02:00 UTC)',
    );
    expect(await syncedTo('guestbook-staging-1', revision)).toBe(true);
    await waitFor(
      async () => statusOf(await application('guestbook-frozen-1')).operationState?.message === SYNC_WINDOW_BLOCKED_MESSAGE,
      'the frozen sync to be blocked',
    );
    expect(statusOf(await application('guestbook-frozen-1')).operationState?.phase).toBe('Running');
    // Several rechecks later, still nothing has reached either cluster.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(writesTo('frozen-1', mark)).toEqual([]);
    expect(writesTo('night-1', mark)).toEqual([]);

    clock.moveTo('2030-01-07T02:00:05Z');
    await waitFor(() => syncedTo('guestbook-frozen-1', revision), 'the freeze to end and frozen-1 to sync');
    expect(writesTo('frozen-1', mark).some((w) => w.kind === 'Deployment' && w.name === 'guestbook')).toBe(true);
    expect(writesTo('night-1', mark)).toEqual([]);

    clock.moveTo('2030-01-07T03:00:05Z');
    await waitFor(() => env!.rolledOut(revision), 'the allow window to open and the rollout to complete');
    const rollout = (await env.appSet())?.status?.rollout;
    // Ninety minutes held against a 120 s progress deadline: the wait did not count.
    expect(rollout?.failed).toBeUndefined();
    expect(rollout?.waiting).toBeUndefined();
    expect(rollout?.windowWait?.['2']?.seconds).toBeGreaterThan(85 * 60);
  });

  it('manual and automated syncs: held by a deny window without manualSync, let through by one with it', async () => {
    const clock = new MovableClock('2030-01-07T01:30:00Z');
    const syncWindows: SyncWindow[] = [
      { kind: 'deny', schedule: '0 1 * * *', duration: '1h', applications: ['manual-held', 'auto-held'] },
      { kind: 'deny', schedule: '0 1 * * *', duration: '1h', applications: ['manual-override'], manualSync: true },
    ];
    const mark = writeMark();
    env = await DemoEnvironment.start({
      clusters: [
        { name: 'staging-1', labels: { env: 'staging', region: 'eu' } },
        ...['manual-1', 'auto-1', 'override-1'].map((name) => ({ name, labels: {} })),
      ],
      steps: [envStep('staging')],
      readyDelayMs: 150,
      refreshIntervalMs: 150,
      syncWindows,
      clock: clock.now,
      windowRecheckMs: 200,
    });
    const standalone = (name: string, cluster: string, extra: Partial<Application>) => ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name, namespace: 'argocd' },
      spec: {
        project: 'default',
        source: { repoURL: env!.repository.url, targetRevision: 'main', path: 'apps/guestbook' },
        destination: { server: env!.fleet.server(cluster), namespace: 'guestbook' },
        syncPolicy: { syncOptions: ['CreateNamespace=true'], ...extra.spec?.syncPolicy },
      },
      ...(extra.operation ? { operation: extra.operation } : {}),
    });
    const manualSync = { operation: { initiatedBy: { username: 'admin' }, sync: {} } };
    await env.client.create(standalone('manual-held', 'manual-1', manualSync) as unknown as KubeObject);
    await env.client.create(standalone('manual-override', 'override-1', manualSync) as unknown as KubeObject);
    await env.client.create(
      standalone('auto-held', 'auto-1', { spec: { syncPolicy: { automated: { prune: true } } } } as Partial<Application>) as unknown as KubeObject,
    );

    await waitFor(() => syncedTo('manual-override', env!.revision), 'the manual sync a manualSync window lets through');
    await waitFor(
      async () => statusOf(await application('manual-held')).operationState?.message === SYNC_WINDOW_BLOCKED_MESSAGE,
      'the manual sync to be blocked',
    );
    await waitFor(async () => statusOf(await application('auto-held')).sync?.status === 'OutOfSync', 'the automated Application to be compared');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // As Argo CD: a held autosync is not even requested.
    expect((await application('auto-held'))?.operation).toBeUndefined();
    expect(writesTo('manual-1', mark)).toEqual([]);
    expect(writesTo('auto-1', mark)).toEqual([]);
    expect(writesTo('override-1', mark).some((w) => w.kind === 'Deployment')).toBe(true);

    clock.moveTo('2030-01-07T02:00:05Z');
    await waitFor(() => syncedTo('manual-held', env!.revision), 'the held manual sync to run once the window ends');
    await waitFor(() => syncedTo('auto-held', env!.revision), 'the autosync to run once the window ends');
    expect(writesTo('manual-1', mark).some((w) => w.kind === 'Deployment')).toBe(true);
    expect(writesTo('auto-1', mark).some((w) => w.kind === 'Deployment')).toBe(true);
  });
});
