import { afterEach, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../src/api/application.js';
import type { ApplicationSet } from '../../src/api/application-set.js';
import type { KubeObject } from '../../src/api/meta.js';
import { ROLLOUT_BUDGET_API_VERSION } from '../../src/api/rollout-budget.js';
import { DEMO_APPSET, DemoEnvironment, fleetApplicationSet } from '../../src/demo/demo-environment.js';
import { envStep, maxConcurrent, syncHistory, waitFor } from '../support/rollout-fixture.js';

/**
 * RolloutBudget end to end: two ApplicationSets roll out at once onto the same clusters, a budget
 * caps the syncs on the `region=eu` ones, and the clusters' own write logs are the count.
 */
let env: DemoEnvironment | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

const EU = ['eu-1', 'eu-2', 'eu-3', 'eu-4'];
const CLUSTERS = [...EU.map((name) => ({ name, labels: { env: 'production', region: 'eu' } })), { name: 'us-1', labels: { env: 'production', region: 'us' } }];
const STEPS = [envStep('production')];
const SECOND_APPSET = 'web-fleet';

/** The demo's ApplicationSet again under another name: its own Applications (web-<cluster>) in namespace `web` of the same clusters. */
function secondApplicationSet(repoURL: string): ApplicationSet {
  const appSet = structuredClone(fleetApplicationSet(repoURL, STEPS));
  appSet.metadata.name = SECOND_APPSET;
  appSet.spec.template.metadata.name = 'web-{{.name}}';
  appSet.spec.template.spec.destination = { server: '{{.server}}', namespace: 'web' };
  return appSet;
}

const appSetNamed = (name: string) => env!.client.get<KubeObject>(API_VERSION, 'ApplicationSet', 'argocd', name) as Promise<ApplicationSet | undefined>;

describe('RolloutBudget on the simulated fleet', () => {
  it('two ApplicationSets rolling out onto the same eu clusters together never have more than its 2 syncs there; both complete, each cluster synced once per ApplicationSet', async () => {
    env = await DemoEnvironment.start({ clusters: CLUSTERS, steps: STEPS, readyDelayMs: 300, refreshIntervalMs: 150 });
    await waitFor(() => env!.rolledOut(env!.revision), 'the first rollout');
    await env.client.create({
      apiVersion: ROLLOUT_BUDGET_API_VERSION,
      kind: 'RolloutBudget',
      metadata: { name: 'eu' },
      spec: { selector: { matchLabels: { region: 'eu' } }, maxConcurrentSyncs: 2 },
    });

    const since = process.hrtime.bigint();
    const revision = await env.release();
    await env.client.apply(secondApplicationSet(env.repository.url) as unknown as KubeObject, 'demo-admin');

    const messages = new Set<string>();
    const done = async () => {
      const appSets = await Promise.all([appSetNamed(DEMO_APPSET), appSetNamed(SECOND_APPSET)]);
      for (const appSet of appSets) {
        const message = appSet?.status?.conditions?.find((c) => c.type === 'RolloutProgressing')?.message;
        if (message) messages.add(message);
      }
      const history = await syncHistory(env!);
      const names = CLUSTERS.flatMap((c) => [`guestbook-${c.name}`, `web-${c.name}`]);
      return names.every((name) => history.get(name)?.at(-1) === revision) && appSets.every((a) => a?.status?.rollout?.phase === 'Completed');
    };
    await waitFor(done, 'both rollouts to complete', 40_000);

    expect(maxConcurrent(env, EU, since)).toBeLessThanOrEqual(2);
    expect(maxConcurrent(env, EU, since)).toBeGreaterThan(0);
    const history = await syncHistory(env);
    for (const { name } of CLUSTERS) {
      expect(
        history.get(`guestbook-${name}`)!.filter((r) => r === revision),
        name,
      ).toHaveLength(1);
      expect(history.get(`web-${name}`), name).toEqual([revision]);
    }
    // Counted by the clusters: one sync per Application, none repeated.
    expect(env.auditSyncs(since)).toMatchObject({ syncs: 2 * CLUSTERS.length, repeatedSyncs: 0 });
    expect(
      [...messages].some((m) => /^step 1: \d Applications? waiting for RolloutBudget "eu" \(2\/2 syncs in flight\)$/.test(m)),
      [...messages].join('\n'),
    ).toBe(true);
  });

  it('invalid RolloutBudgets hold nothing: each is a Warning Event on the ApplicationSet and listed in its rollout status', async () => {
    env = await DemoEnvironment.start({ clusters: CLUSTERS, steps: STEPS, readyDelayMs: 150, refreshIntervalMs: 150 });
    await waitFor(() => env!.rolledOut(env!.revision), 'the first rollout');
    // Applied, either would hold every sync on every cluster. (A real API server refuses the negative limit by the CRD's minimum.)
    for (const [name, spec] of [
      ['broken', { selector: { matchExpressions: [{ key: 'region', operator: 'Near', values: ['eu'] }] }, maxConcurrentSyncs: 0 }],
      ['negative', { selector: {}, maxConcurrentSyncs: -1 }],
    ] as const)
      await env.client.create({ apiVersion: ROLLOUT_BUDGET_API_VERSION, kind: 'RolloutBudget', metadata: { name }, spec });

    const since = process.hrtime.bigint();
    const revision = await env.release();
    await waitFor(() => env!.rolledOut(revision), 'the rollout past the invalid budgets', 30_000);
    expect(env.auditSyncs(since)).toMatchObject({ syncs: CLUSTERS.length, repeatedSyncs: 0 });
    const problems = [
      'RolloutBudget "broken" is not applied: spec.selector: "Near" is not a valid pod selector operator',
      'RolloutBudget "negative" is not applied: spec.maxConcurrentSyncs: Invalid value: -1: must be a non-negative integer',
    ];
    expect((await env.appSet())?.status?.rollout?.invalidBudgets).toEqual(problems);
    type Event = KubeObject & { reason?: string; type?: string; message?: string; involvedObject?: { name?: string } };
    const events = (await env.client.list<Event>('v1', 'Event', 'argocd')).filter((e) => e.reason === 'InvalidRolloutBudget');
    expect(events.map((e) => [e.type, e.involvedObject?.name, e.message]).sort()).toEqual(problems.map((p) => ['Warning', DEMO_APPSET, p]));
  });
});
