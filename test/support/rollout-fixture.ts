import type { Application } from '../../src/api/application.js';
import type { ApplicationSetRolloutStep } from '../../src/api/application-set.js';
import type { DemoEnvironment } from '../../src/demo/demo-environment.js';

/** staging (1 cluster), canary (1), production (4): the three steps the e2e tests roll through. */
export const THREE_STEP_CLUSTERS = [
  { name: 'staging-1', labels: { env: 'staging', region: 'eu' } },
  { name: 'canary-1', labels: { env: 'canary', region: 'eu' } },
  ...[1, 2, 3, 4].map((n) => ({ name: `prod-${n}`, labels: { env: 'production', region: n % 2 ? 'eu' : 'us' } })),
];

export const envStep = (env: string, extra: Partial<ApplicationSetRolloutStep> = {}): ApplicationSetRolloutStep => ({
  matchExpressions: [{ key: 'env', operator: 'In', values: [env] }],
  ...extra,
});

export async function waitFor<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

type AppStatus = { history?: { revision?: string; revisions?: string[] }[] };
const statusOf = (app: Application) => (app.status ?? {}) as AppStatus;

/**
 * Application → the revisions of its successful syncs, oldest first. A chart's Application has two
 * sources on the demo repository's main, both at one commit: its first source's stands for both.
 */
export async function syncHistory(env: DemoEnvironment): Promise<Map<string, string[]>> {
  return new Map((await env.applications()).map((a) => [a.metadata.name, (statusOf(a).history ?? []).map((h) => h.revision ?? h.revisions?.[0] ?? '')]));
}

/** Applications synced to `revision` so far, and any synced to it more than once. */
export async function syncsTo(environment: DemoEnvironment, revision: string): Promise<{ synced: string[]; repeated: string[] }> {
  const history = await syncHistory(environment);
  const synced = [...history].filter(([, revisions]) => revisions.includes(revision)).map(([name]) => name);
  const repeated = [...history].filter(([, revisions]) => revisions.filter((r) => r === revision).length > 1).map(([name]) => name);
  return { synced, repeated };
}

/**
 * From a cluster's write log: when each sync of a Deployment started (Regatta's apply) and when
 * that cluster reported it ready or failed (the simulated kubelet's status write), each Deployment
 * (namespace/name) on its own, so that two Applications' Deployments on one cluster may overlap.
 */
export function deploymentIntervals(env: DemoEnvironment, cluster: string, sinceNs: bigint): { start: bigint; end?: bigint }[] {
  const intervals: { start: bigint; end?: bigint }[] = [];
  const open = new Map<string, { start: bigint; end?: bigint }>();
  for (const write of env.fleet.cluster(cluster).writes) {
    if (write.kind !== 'Deployment' || write.at < sinceNs) continue;
    const key = `${write.namespace}/${write.name}`;
    if (write.identity !== 'sim-kubelet') {
      const interval = { start: write.at };
      intervals.push(interval);
      open.set(key, interval);
    } else if (open.get(key)?.end === undefined && open.has(key)) open.get(key)!.end = write.at;
  }
  return intervals;
}

/**
 * When each cluster's Deployment was first written by a syncer since `sinceNs`, and when the
 * simulated kubelet last reported it: a step's syncs must start after the step before is ready.
 */
export function stepTimes(env: DemoEnvironment, sinceNs: bigint) {
  const deploymentWrites = (cluster: string) => env.fleet.cluster(cluster).writes.filter((w) => w.kind === 'Deployment' && w.at >= sinceNs);
  return {
    firstSync: (cluster: string) => deploymentWrites(cluster).find((w) => w.identity !== 'sim-kubelet')!.at,
    lastReady: (cluster: string) =>
      deploymentWrites(cluster)
        .filter((w) => w.identity === 'sim-kubelet')
        .at(-1)!.at,
  };
}

/** The most clusters of `clusters` that were mid-rollout at the same instant. */
export function maxConcurrent(env: DemoEnvironment, clusters: string[], sinceNs: bigint): number {
  const events: [bigint, number][] = [];
  for (const cluster of clusters) {
    for (const { start, end } of deploymentIntervals(env, cluster, sinceNs)) {
      events.push([start, 1]);
      events.push([end ?? BigInt(Number.MAX_SAFE_INTEGER) * 1_000_000n, -1]);
    }
  }
  events.sort((a, b) => (a[0] === b[0] ? a[1] - b[1] : a[0] < b[0] ? -1 : 1));
  let current = 0;
  let max = 0;
  for (const [, delta] of events) {
    current += delta;
    max = Math.max(max, current);
  }
  return max;
}
