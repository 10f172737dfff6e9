import { afterEach, describe, expect, it } from 'vitest';
import type { ApplicationSetRolloutStep } from '../../src/api/application-set.js';
import { DemoEnvironment } from '../../src/demo/demo-environment.js';
import { ARGOCD_CONTROLLER, StandInApplicationController } from '../support/argocd-application-controller.js';
import { envStep, maxConcurrent, stepTimes, syncHistory, THREE_STEP_CLUSTERS, waitFor } from '../support/rollout-fixture.js';

/**
 * `--sync-driver=argocd`: Regatta writes the sync operations of a RollingSync and reads the status
 * Argo CD's application controller writes; the syncing is a stand-in for that controller's.
 */
let env: DemoEnvironment | undefined;
let argocd: StandInApplicationController | undefined;
afterEach(async () => {
  await argocd?.stop();
  await env?.stop();
  [env, argocd] = [undefined, undefined];
});

const PROD = ['prod-1', 'prod-2', 'prod-3', 'prod-4'];
const STEPS: ApplicationSetRolloutStep[] = [envStep('staging'), envStep('canary'), envStep('production', { maxUpdate: '50%' })];

describe('the argocd sync driver', () => {
  it("rolls a release out step by step through Argo CD's application controller, Regatta writing no workload object", async () => {
    env = await DemoEnvironment.start({
      clusters: THREE_STEP_CLUSTERS,
      steps: STEPS,
      readyDelayMs: 150,
      refreshIntervalMs: 150,
      syncDriver: 'argocd',
      layout: 'manifests',
    });
    argocd = new StandInApplicationController(env.fleet).start();
    await waitFor(() => env!.rolledOut(env!.revision), 'the first rollout');

    const since = process.hrtime.bigint();
    const revision = await env.release();
    await waitFor(() => env!.rolledOut(revision), 'the second rollout');

    // Each step's syncs start only once the step before is healthy.
    const { firstSync, lastReady } = stepTimes(env!, since);
    expect(lastReady('staging-1')).toBeLessThan(firstSync('canary-1'));
    for (const cluster of PROD) expect(lastReady('canary-1')).toBeLessThan(firstSync(cluster));
    expect(maxConcurrent(env, PROD, since)).toBe(2);

    // One operation, one sync per Application and release, each one Regatta asked for.
    const history = await syncHistory(env);
    for (const { name } of THREE_STEP_CLUSTERS) expect(history.get(`guestbook-${name}`)!.filter((r) => r === revision)).toHaveLength(1);
    const operations = argocd.operations.filter((o) => o.revision === revision);
    expect(operations.map((o) => o.application).sort()).toEqual(THREE_STEP_CLUSTERS.map(({ name }) => `guestbook-${name}`).sort());
    for (const application of await env.applications()) {
      expect(application.status?.operationState?.operation?.initiatedBy).toMatchObject({ username: 'applicationset-controller', automated: true });
    }

    // Every write to a workload cluster since it started was Argo CD's, bar the simulator's own (its bootstrap RBAC, the kubelet's status): Regatta synced nothing itself.
    for (const { name } of THREE_STEP_CLUSTERS) {
      const writers = new Set(
        env.fleet
          .cluster(name)
          .writes.filter((w) => w.identity !== 'sim' && w.identity !== 'sim-kubelet')
          .map((w) => w.identity),
      );
      expect([...writers]).toEqual([ARGOCD_CONTROLLER]);
    }
    expect(argocd.errors).toEqual([]);
    const appSet = await env.appSet();
    expect(appSet?.status?.conditions?.find((c) => c.type === 'RolloutProgressing')).toMatchObject({
      status: 'False',
      message: 'ApplicationSet Rollout has completed',
    });
  });
});
