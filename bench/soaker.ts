// The chaos soak: a simulated fleet, a real redis-server and several real replica processes
// (`node dist/main.js`, dynamic cluster distribution) rolling out one new revision after another,
// while a bounded, seeded schedule kills (SIGKILL) and pauses (SIGSTOP/SIGCONT) replicas, restarts
// Redis with its data and empties it, makes the management API server answer 500/429 and drops its
// watches. The safety counters come from what the clusters saw (their write logs, with the lease in
// Redis as each write arrived) and from the Applications left at the end, never from Regatta's
// own status.
import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { DemoEnvironment } from '../src/demo/demo-environment.js';
import { LocalRedis } from '../src/demo/local-redis.js';
import { startReplicaProcess } from '../src/demo/replica-process.js';
import { MANAGEMENT_CLUSTER } from '../src/sim/sim-fleet.js';
import { seededRandom } from '../test/support/random.js';
import { STAGED_STEPS, stagedFleet } from './staged-fleet.js';

export interface SoakOptions {
  minutes: number;
  clusters?: number;
  replicas?: number;
  seed?: number;
  /** A chaos event every this many ms (default 15 s). */
  chaosEveryMs?: number;
  log?: (line: string) => void;
}

export interface SoakReport {
  minutes: number;
  clusters: number;
  replicas: number;
  rolloutsCompleted: number;
  /** A rollout that did not finish within its limit ends the soak early. */
  rolloutsStuck: number;
  syncs: number;
  doubleSyncs: number;
  nonOwnerWrites: number;
  unleasedWrites: number;
  applicationsLost: number;
  /** The longest time, while a rollout was under way, that no Application reached the new revision. */
  longestStallMs: number;
  chaos: Record<string, number>;
}

const HEARTBEAT_SECONDS = 3;
const ROLLOUT_LIMIT_MS = 240_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const clusterCount = options.clusters ?? 200;
  const replicaNames = Array.from({ length: options.replicas ?? 3 }, (_, i) => `soak-${i}`);
  const random = seededRandom(options.seed ?? 1);
  const startedMs = Number(process.hrtime.bigint() / 1_000_000n);
  // Stamped on the clock the clusters' write logs use, so a repeated sync can be matched with the fault before it.
  const log = (line: string) => options.log?.(`${((Number(process.hrtime.bigint() / 1_000_000n) - startedMs) / 1000).toFixed(1)} s ${line}`);
  const report: SoakReport = {
    minutes: options.minutes,
    clusters: clusterCount,
    replicas: replicaNames.length,
    rolloutsCompleted: 0,
    rolloutsStuck: 0,
    syncs: 0,
    doubleSyncs: 0,
    nonOwnerWrites: 0,
    unleasedWrites: 0,
    applicationsLost: 0,
    longestStallMs: 0,
    chaos: {},
  };

  const redis = await LocalRedis.start({ persistent: true });
  const admin = new Redis(redis.url, { maxRetriesPerRequest: 1, lazyConnect: true });
  admin.on('error', () => undefined);
  const env = await DemoEnvironment.start({
    clusters: stagedFleet(clusterCount),
    steps: STAGED_STEPS,
    readyDelayMs: 100,
    redisUrl: redis.url,
    controller: false,
    auditLeases: true,
    watchHistory: 50_000,
    // A port per cluster, so that one workload cluster can refuse connections while the others answer.
    separatePorts: true,
    // The soak is about faults, not rendering: plain manifests, one source per Application.
    layout: 'manifests',
  });
  const replicas = new Map<string, ChildProcess>();
  const paused = new Set<string>();
  const start = (name: string) =>
    replicas.set(
      name,
      startReplicaProcess({
        kubeconfig: env.managementKubeconfig(),
        redisUrl: redis.url,
        replica: name,
        args: [
          '--enable-progressive-syncs=true',
          '--dynamic-cluster-distribution-enabled=true',
          `--heartbeat-time=${HEARTBEAT_SECONDS}`,
          '--app-resync=3',
          '--source-poll-seconds=0.5',
          '--sync-lock-seconds=3',
          '--operation-processors=16',
        ],
        stderr: 'ignore',
      }),
    );

  const workloadClusters = stagedFleet(clusterCount).map(({ name }) => name);
  let chaosOn = true;
  const chaos = async () => {
    const events = ['kill', 'pause', 'redis-restart', 'redis-flush', 'api-errors', 'drop-watches', 'cluster-refuses'] as const;
    // Bounded: one event per period while the soak runs.
    for (let n = 0; n < 10_000 && chaosOn; n++) {
      await sleep(options.chaosEveryMs ?? 15_000);
      if (!chaosOn) break;
      const event = events[Math.floor(random() * events.length)];
      report.chaos[event] = (report.chaos[event] ?? 0) + 1;
      const victim = replicaNames[Math.floor(random() * replicaNames.length)];
      const cluster = workloadClusters[Math.floor(random() * workloadClusters.length)];
      log(`chaos: ${event}${event === 'kill' || event === 'pause' ? ` ${victim}` : event.startsWith('cluster-') ? ` ${cluster}` : ''}`);
      try {
        if (event === 'kill') {
          replicas.get(victim)?.kill('SIGKILL');
          await sleep(2000);
          start(victim);
        } else if (event === 'pause' && !paused.has(victim)) {
          paused.add(victim);
          replicas.get(victim)?.kill('SIGSTOP');
          await sleep(4000 + random() * 4000);
          replicas.get(victim)?.kill('SIGCONT');
          paused.delete(victim);
        } else if (event === 'redis-restart') {
          await redis.restart();
        } else if (event === 'redis-flush') {
          await admin.flushall();
        } else if (event === 'api-errors') {
          env.fleet.fault(MANAGEMENT_CLUSTER, { errorRate: 0.3, errorStatus: random() < 0.5 ? 500 : 429 });
          await sleep(8000);
          env.fleet.clearFaults(MANAGEMENT_CLUSTER);
        } else if (event === 'drop-watches') {
          env.fleet.fault(MANAGEMENT_CLUSTER, { closeWatchesAfterMs: 500 });
          await sleep(8000);
          env.fleet.clearFaults(MANAGEMENT_CLUSTER);
        } else if (event === 'cluster-refuses') {
          // A workload cluster gone for a spell: its syncs and refreshes fail, then it is caught up.
          await env.fleet.fault(cluster, { refuseConnections: true });
          await sleep(8000);
          await env.fleet.clearFaults(cluster);
        }
      } catch (error) {
        log(`chaos: ${event} failed: ${(error as Error).message}`);
      }
    }
  };
  let chaosDone: Promise<void> = Promise.resolve();

  /** Waits for the rollout of `revision`, keeping the longest time no Application reached it. */
  const rolledOut = async (revision: string, limitMs: number): Promise<boolean> => {
    const until = Date.now() + limitMs;
    let synced = -1;
    let lastProgress = Date.now();
    while (Date.now() < until) {
      // The management API server may be answering 500s right now: that is "not yet", not an end.
      if (await env.rolledOut(revision).catch(() => false)) return true;
      const applications = await env.applications();
      const now = applications.filter((a) => (a.status as { history?: { revision?: string }[] })?.history?.at(-1)?.revision === revision).length;
      if (now !== synced) {
        synced = now;
        lastProgress = Date.now();
        log(`soak: ${now} of ${applications.length} Applications at ${revision.slice(0, 7)}`);
      }
      report.longestStallMs = Math.max(report.longestStallMs, Date.now() - lastProgress);
      await sleep(250);
    }
    return false;
  };

  try {
    await admin.connect();
    for (const name of replicaNames) start(name);
    if (!(await rolledOut(env.revision, ROLLOUT_LIMIT_MS))) throw new Error('the first rollout did not finish');
    report.longestStallMs = 0;
    // Chaos from the second rollout on: the first deploys the fleet from nothing.
    chaosDone = chaos();
    const deadline = Date.now() + options.minutes * 60_000;
    while (Date.now() < deadline) {
      const revision = await env.release();
      if (!(await rolledOut(revision, ROLLOUT_LIMIT_MS))) {
        report.rolloutsStuck++;
        log(`soak: the rollout of ${revision.slice(0, 7)} did not finish in ${ROLLOUT_LIMIT_MS / 1000} s`);
        break;
      }
      report.rolloutsCompleted++;
      log(`soak: ${report.rolloutsCompleted} rollouts completed`);
    }
  } finally {
    chaosOn = false;
    await chaosDone;
    const audit = env.auditSyncs();
    report.syncs = audit.syncs;
    report.doubleSyncs = audit.repeatedSyncs;
    report.nonOwnerWrites = audit.nonOwnerWrites;
    report.unleasedWrites = audit.unleasedWrites;
    for (const repeat of audit.repeats)
      log(
        `repeated sync: ${repeat.application} on ${repeat.cluster}, synced at ${repeat.syncs.map((sync) => `${((sync.atMs - startedMs) / 1000).toFixed(1)} s by ${sync.writers.join(' and ')}`).join(', ')}`,
      );
    report.applicationsLost = clusterCount - (await env.applications()).length;
    for (const child of replicas.values()) child.kill('SIGKILL');
    admin.disconnect();
    await env.stop();
    await redis.stop();
  }
  return report;
}
