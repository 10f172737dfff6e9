import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import type { ApplicationSet } from '../../src/api/application-set.js';
import { DemoEnvironment } from '../../src/demo/demo-environment.js';
import type { RolloutPlan } from '../../src/rollout/planner.js';
import { regatta } from '../support/cli.js';
import { envStep, THREE_STEP_CLUSTERS, waitFor } from '../support/rollout-fixture.js';

/**
 * `regatta rollout plan` is the controller's planner as a dry run: every reconcile the controller
 * made during a 3-step rollout, replayed from the objects it read (written to files), gives the
 * plan the controller then acted on — the same Applications synced now, the same entries.
 */
interface Reconcile {
  appSet: ApplicationSet;
  current: Application[];
  plan: RolloutPlan;
}

let env: DemoEnvironment | undefined;

afterAll(async () => {
  await env?.stop();
});

const entries = (list: { application: string; status: string; step: string }[]) =>
  list.map(({ application, status, step }) => ({ application, status, step })).sort((a, b) => a.application.localeCompare(b.application));

describe('regatta rollout plan against the controller', () => {
  it('reproduces every reconcile of a 3-step rollout: the Applications synced now and the status entries', { timeout: 180_000 }, async () => {
    let recording = false;
    const reconciles: Reconcile[] = [];
    env = await DemoEnvironment.start({
      clusters: THREE_STEP_CLUSTERS,
      steps: [envStep('staging'), envStep('canary'), envStep('production', { maxUpdate: '50%' })],
      readyDelayMs: 150,
      refreshIntervalMs: 1000,
      onRolloutPlanned: (input, plan) => {
        if (recording) reconciles.push(structuredClone({ ...input, plan }));
      },
    });
    await waitFor(() => env!.rolledOut(env!.revision), 'the first rollout');
    recording = true;
    const revision = await env.release();
    await waitFor(() => env!.rolledOut(revision), 'the rollout');
    recording = false;

    const acting = reconciles.filter((r) => r.plan.syncNow.length > 0);
    expect(acting.length).toBeGreaterThanOrEqual(3);
    const secrets = env.fleet.names().map((name) => env!.fleet.clusterSecret(name));
    for (const [index, { appSet, current, plan }] of reconciles.entries()) {
      const dir = mkdtempSync(join(tmpdir(), 'regatta-replay-'));
      writeFileSync(join(dir, 'state.yaml'), [appSet, ...current, ...secrets].map((o) => YAML.stringify(o)).join('---\n'));
      const run = await regatta('rollout', 'plan', '-f', dir, '-o', 'json');
      expect(run.code, run.stderr).toBe(0);
      const [replayed] = JSON.parse(run.stdout) as {
        syncNow: string[];
        applicationStatus: { application: string; status: string; step: string }[];
        steps: string[][];
      }[];
      const what = `reconcile ${index + 1} of ${reconciles.length}`;
      expect(replayed.steps, what).toEqual(plan.steps);
      expect([...replayed.syncNow].sort(), what).toEqual([...plan.syncNow].sort());
      expect(entries(replayed.applicationStatus), what).toEqual(entries(plan.applicationStatus));
    }
  });
});
