// `npm run bench -- rollout [CLUSTERS] [APPS_PER_CLUSTER] [ROLLOUTS] [SMALL_CLUSTERS]`: RollingSyncs of new
// revisions over a simulated fleet (default 1,000 clusters × 10 apps = 10,000 Applications) with workload
// health delays at zero, so the time is Regatta's own: reconciles, planning, BullMQ jobs, syncs (render,
// server-side apply), refreshes. The rollouts (default 4) take turns between the `default` project open to
// everything and a tenant's rules (repositories, destinations, kinds, sync windows): the cost of enforcing
// projects, in one run. A smaller fleet (default 30 % of the clusters: 3,000 Applications) runs first, with
// two rollouts, so the run also says how throughput holds as the fleet grows.
// Regatta runs as in production, `node dist/main.js` in a process of its own (run `nest build` first);
// this process holds the simulator and the Git repository, and reads the Applications straight from the
// simulator's store, so its CPU is the simulated API servers' (what little the bench's own checks cost is
// measured and taken out). REGATTA_NODE_ARGS passes flags to the replica's node (e.g. "--cpu-prof
// --cpu-prof-dir=/tmp/prof"); the CPU profile is the large fleet's.
// `healthToStepMs` is the time from a workload turning healthy (the simulated kubelet's write) to the release it
// let go (the next Application's sync operation landing on the management cluster); `healthToSyncMs` adds the time
// that sync then waited for a worker, and `healthToReportMs` is the part before the Application reported Healthy.
// From the replica's own /metrics over the large fleet's rollouts: `reconcileMs` (ApplicationSet reconciles, their
// count, mean and the histogram bucket their p95 falls in), `gcShare` (garbage collection's share of the wall time)
// and `eventLoopDelayMs` (how late callbacks ran; its floor is the 10 ms sampling interval).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { DemoEnvironment } from '../src/demo/demo-environment.js';
import { startReplicaProcess } from '../src/demo/replica-process.js';
import { cpuSeconds, setProjectRules, type ProjectRules } from './project-rules.js';
import { STAGED_STEPS, stagedFleet } from './staged-fleet.js';
import { gitCommit } from './rounds.js';
import { healthToReportSamples, healthToStepSamples, percentile, ReleaseLog } from './health-to-step.js';
import { watchMemory } from './watch-memory.js';
import { replicaCosts, scrapeReplica, type ReplicaCosts } from './replica-metrics.js';
import { freePort } from '../src/lib/free-port.js';

// Run through bench/run.js, the arguments after the bench name.
const [clustersArg, appsArg, rolloutsArg, smallArg] = process.argv.slice(process.argv.indexOf('rollout') + 1);
const CLUSTERS = Number(clustersArg ?? 1000);
const APPS_PER_CLUSTER = Number(appsArg ?? 10);
const ROLLOUTS = Number(rolloutsArg ?? 4);
const SMALL_CLUSTERS = Number(smallArg ?? Math.round(CLUSTERS * 0.3));
const STEP_BATCHES = 1 + 1 + 4;
// A fleet this size is run with more sync workers than Argo CD's default 10, as Argo CD's own scaling guide advises.
const REPLICA_ARGS = [
  '--enable-progressive-syncs=true',
  '--app-resync=180',
  '--source-poll-seconds=0.5',
  '--operation-processors=50',
  '--status-processors=50',
];

let calibrationSink = 0;
/**
 * CPU ms this process spends on a fixed integer loop, which allocates nothing (no garbage collection
 * in it): it takes longer only when the core itself gets less done per CPU second (a busy sibling
 * hyperthread, a throttled or shared host). Sampled through a rollout, it tells a slow run on a slow
 * machine from slow code.
 */
function calibrationCpuMs(): number {
  const before = process.cpuUsage();
  let x = calibrationSink;
  for (let i = 0; i < 20_000_000; i++) x = (Math.imul(x, 31) + i) | 0;
  calibrationSink = x;
  const spent = process.cpuUsage(before);
  return (spent.user + spent.system) / 1000;
}

const calibrationSummary = (samples: number[]) => {
  const at = (p: number) => Number((percentile(samples, p) || 0).toFixed(1));
  return { median: at(50), max: at(100), samples: samples.length };
};

interface Rollout {
  rules: ProjectRules;
  ms: number;
  /** CPU seconds of the Regatta replica and of the simulated API servers (this process, less the bench's checks). */
  regattaCpu: number;
  simCpu: number;
  /** Single-object applies the clusters saw (each sync applies every object of its Application). */
  objectApplies: number;
  /** API requests the rollout made, read and write, to the management cluster and to the workload clusters together. */
  requests: { management: { reads: number; writes: number }; workloads: { reads: number; writes: number } };
  /** What the management API server sent and took per resource over the rollout: body bytes (responses and watch events) and writes. */
  managementTraffic: Record<string, { sentMB: number; receivedMB: number; writes: number; conflicts: number }>;
  /** ms from a workload turning healthy (the simulator's readiness write) to the release (sync operation written) it let go. */
  healthToStep: number[];
  /** The same, to that sync's first write to its cluster (adds the time the released sync waited for a worker). */
  healthToSync: number[];
  /** ms from a workload turning healthy to its Application reporting it (the application controller's share of `healthToStep`). */
  healthToReport: number[];
  /** CPU ms of the fixed calibration work, once per 10 s of the rollout. */
  calibration: number[];
  /** The replica's reconciles, garbage collection and event loop delays over the rollout, from its own /metrics. */
  replica: ReplicaCosts;
}

interface FleetRun {
  clusters: number;
  apps: number;
  firstMs: number;
  rollouts: Rollout[];
  clusterSyncs: number;
  doubleSyncs: number;
  rssMB: number;
  /** The replica's ApplicationSet reconciles over REST_MS once the rollouts are over (periodic refreshes wake none). */
  reconcilesAtRest: number;
  watch: { cachedObjects: number | null; bytesPerObject: number | null };
}

/** How long the fleet is left at rest after the rollouts (the first second is not counted: the last rollout's tail). */
const REST_MS = 10_000;

async function runFleet(clusterCount: number, rolloutCount: number, nodeArgs: string[] | undefined): Promise<FleetRun> {
  const apps = clusterCount * APPS_PER_CLUSTER;
  const env = await DemoEnvironment.start({
    clusters: stagedFleet(clusterCount),
    steps: STAGED_STEPS,
    apps: Array.from({ length: APPS_PER_CLUSTER }, (_, i) => `app-${i}`),
    readyDelayMs: 0,
    controller: false,
    watchHistory: 5_000,
    readFromStore: true,
    // Plain manifests, as in the figures recorded before the demo's guestbook became a chart (bench/helm.ts measures Helm rendering).
    layout: 'manifests',
  });
  const releases = new ReleaseLog(env.fleet.cluster());
  const metricsPort = await freePort();
  const replica = startReplicaProcess({
    kubeconfig: env.managementKubeconfig(),
    redisUrl: env.redisUrl,
    args: REPLICA_ARGS,
    nodeArgs,
    env: { PORT: String(metricsPort) },
  });
  const stopReplica = async () => {
    if (replica.exitCode !== null || replica.signalCode !== null) return;
    replica.kill('SIGTERM');
    // A CPU profile (REGATTA_NODE_ARGS) is written on a clean exit; do not wait for one forever.
    await Promise.race([new Promise((resolve) => replica.once('exit', resolve)), new Promise((resolve) => setTimeout(resolve, 20_000))]);
    replica.kill('SIGKILL');
  };
  /** The replica's peak resident memory. */
  const replicaPeakMB = () => Math.round(Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${replica.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);
  /** CPU this process spent on its own checks (not the simulator's), measured around each: they are synchronous store reads. */
  let checkCpuS = 0;

  async function rolledOut(revision: string, limitMs: number): Promise<void> {
    const until = Date.now() + limitMs;
    for (;;) {
      const before = process.cpuUsage();
      const done = await env.rolledOut(revision);
      const spent = process.cpuUsage(before);
      checkCpuS += (spent.user + spent.system) / 1e6;
      if (done) return;
      if (Date.now() % 5000 < 260) {
        const synced = (await env.applications()).filter((a: any) => a.status?.history?.at(-1)?.revision === revision).length;
        process.stderr.write(`  … ${apps} Applications, ${synced} synced to ${revision.slice(0, 7)}\n`);
      }
      if (Date.now() > until) throw new Error(`rollout of ${revision} did not finish in ${limitMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The simulated API servers' request counters, the management cluster's and the workload clusters' summed. */
  const requestCounts = () => {
    const workloads = { reads: 0, writes: 0 };
    for (const name of env.fleet.names()) {
      const { reads, writes } = env.fleet.counters(name);
      workloads.reads += reads;
      workloads.writes += writes;
    }
    const { reads, writes } = env.fleet.counters();
    return { management: { reads, writes }, workloads };
  };

  /** The management API server's per-resource traffic counters, copied. */
  const managementTraffic = () => {
    const { bytesSent, bytesReceived, writesByResource, conflictsByResource } = env.fleet.counters();
    return {
      bytesSent: new Map(bytesSent),
      bytesReceived: new Map(bytesReceived),
      writesByResource: new Map(writesByResource),
      conflictsByResource: new Map(conflictsByResource),
    };
  };
  const trafficSince = (before: ReturnType<typeof managementTraffic>) => {
    const after = managementTraffic();
    const resources = new Set([...after.bytesSent.keys(), ...after.writesByResource.keys()]);
    return Object.fromEntries(
      [...resources]
        .map((resource) => {
          const sent = (after.bytesSent.get(resource) ?? 0) - (before.bytesSent.get(resource) ?? 0);
          const received = (after.bytesReceived.get(resource) ?? 0) - (before.bytesReceived.get(resource) ?? 0);
          const writes = (after.writesByResource.get(resource) ?? 0) - (before.writesByResource.get(resource) ?? 0);
          const conflicts = (after.conflictsByResource.get(resource) ?? 0) - (before.conflictsByResource.get(resource) ?? 0);
          return [resource, { sentMB: Number((sent / 1e6).toFixed(1)), receivedMB: Number((received / 1e6).toFixed(1)), writes, conflicts }] as const;
        })
        .filter(([, traffic]) => traffic.sentMB > 0 || traffic.writes > 0)
        .sort(([, a], [, b]) => b.sentMB - a.sentMB),
    );
  };

  try {
    const firstStart = performance.now();
    await rolledOut(env.revision, 1_800_000);
    const firstMs = performance.now() - firstStart;

    /** One rollout of a new revision under the given rules of the project the fleet's Applications use. */
    const rolloutUnder = async (rules: ProjectRules): Promise<Rollout> => {
      await setProjectRules(env.client, 'default', rules, env.repository.url);
      // The replica re-checks every Application when its project changes: that settles before the clock starts.
      await new Promise((r) => setTimeout(r, 3000));
      // Its first runs are interpreted, before V8 optimises the loop: they are taken before the clock starts.
      for (let i = 0; i < 3; i++) calibrationCpuMs();
      const requestsBefore = requestCounts();
      const trafficBefore = managementTraffic();
      const sinceNs = process.hrtime.bigint();
      releases.clear();
      // Also resets the replica's event loop delay histogram, so the next scrape covers the rollout alone.
      const metricsBefore = await scrapeReplica(metricsPort);
      const [regatta, self, checks] = [cpuSeconds(replica.pid!), cpuSeconds(), checkCpuS];
      const start = performance.now();
      // Both processes' CPU over each 10 s of the rollout, to see where a slow run spends it.
      const cpuSeries: string[] = [];
      const calibration: number[] = [];
      // The management cluster's counter alone: summing every workload cluster's each time would cost the simulator's process.
      let last = [cpuSeconds(replica.pid!), cpuSeconds(), env.fleet.counters().writes];
      const sampler = setInterval(() => {
        const now = [cpuSeconds(replica.pid!), cpuSeconds(), env.fleet.counters().writes];
        const calibrated = calibrationCpuMs();
        checkCpuS += calibrated / 1000;
        calibration.push(calibrated);
        cpuSeries.push(`${(now[0] - last[0]).toFixed(1)}/${(now[1] - last[1]).toFixed(1)}/${now[2] - last[2]}/${calibrated.toFixed(1)}`);
        last = now;
      }, 10_000);
      const revision = await env.release();
      await rolledOut(revision, 1_800_000).finally(() => clearInterval(sampler));
      const ms = performance.now() - start;
      const replicaCostsOfRollout = replicaCosts(metricsBefore, await scrapeReplica(metricsPort), ms);
      process.stderr.write(`  CPU s of Regatta/simulator, management writes and calibration CPU ms per 10 s: ${cpuSeries.join(' ')}\n`);
      const requestsAfter = requestCounts();
      const managementTrafficOfRollout = trafficSince(trafficBefore);
      const requests = {
        management: {
          reads: requestsAfter.management.reads - requestsBefore.management.reads,
          writes: requestsAfter.management.writes - requestsBefore.management.writes,
        },
        workloads: {
          reads: requestsAfter.workloads.reads - requestsBefore.workloads.reads,
          writes: requestsAfter.workloads.writes - requestsBefore.workloads.writes,
        },
      };
      const regattaCpu = cpuSeconds(replica.pid!) - regatta;
      const simCpu = cpuSeconds() - self - (checkCpuS - checks);
      const objectApplies = env.fleet.names().reduce((sum, name) => sum + env.fleet.cluster(name).applies.filter((a) => a.at >= sinceNs).length, 0);
      const fleet = stagedFleet(clusterCount).map(({ name, labels }) => ({ store: env.fleet.cluster(name), server: env.fleet.server(name), env: labels.env }));
      const { toRelease: healthToStep, toSync: healthToSync } = healthToStepSamples(fleet, STAGED_STEPS, sinceNs, releases.byServer());
      const healthToReport = healthToReportSamples(fleet, sinceNs, releases);
      return {
        rules,
        ms,
        regattaCpu,
        simCpu,
        objectApplies,
        requests,
        managementTraffic: managementTrafficOfRollout,
        healthToStep,
        healthToSync,
        healthToReport,
        calibration,
        replica: replicaCostsOfRollout,
      };
    };
    const rollouts: Rollout[] = [];
    // Each rollout costs more than the one before (CPU rose 1.7× over eight at 300 × 10), so the rule sets
    // take turns as open, tenant, tenant, open: a steady drift falls on both alike.
    for (let i = 0; i < rolloutCount; i++) rollouts.push(await rolloutUnder(i % 4 === 1 || i % 4 === 2 ? 'tenant' : 'open'));
    // Counted from what the clusters saw (their write logs), not from the Applications' sync history.
    const { syncs: clusterSyncs, repeatedSyncs: doubleSyncs } = env.auditSyncs();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const restBefore = await scrapeReplica(metricsPort);
    await new Promise((resolve) => setTimeout(resolve, REST_MS));
    const reconcilesAtRest = replicaCosts(restBefore, await scrapeReplica(metricsPort), REST_MS).reconciles;
    const rssMB = replicaPeakMB();
    // With the replica stopped, so that it neither loads the simulator the watches list from nor sees them in its figures.
    await stopReplica();
    // A fleet whose watches do not list in time loses this figure, not the run's others.
    const watch = await watchMemory(env.fleet, await env.applications()).catch((error: Error) => {
      process.stderr.write(`  live watch memory not measured: ${error.message}\n`);
      return { cachedObjects: null, bytesPerObject: null };
    });
    return { clusters: clusterCount, apps, firstMs, rollouts, clusterSyncs, doubleSyncs, rssMB, reconcilesAtRest, watch };
  } finally {
    releases.close();
    await stopReplica();
    await env.stop();
  }
}

/** The fields of a rollout that are one number. */
type Figure = { [K in keyof Rollout]: Rollout[K] extends number ? K : never }[keyof Rollout];
const sum = (runs: Rollout[], field: Figure) => runs.reduce((total, r) => total + r[field], 0);
const mean = (runs: Rollout[], field: Figure) => (runs.length ? sum(runs, field) / runs.length : Number.NaN);
const syncsPerSec = (run: FleetRun) => Math.round(run.apps / (mean(run.rollouts, 'ms') / 1000));
const commit = gitCommit();

const small = await runFleet(SMALL_CLUSTERS, 2, undefined);
const large = await runFleet(CLUSTERS, ROLLOUTS, process.env.REGATTA_NODE_ARGS?.split(' ').filter(Boolean));

const open = large.rollouts.filter((r) => r.rules === 'open');
const tenant = large.rollouts.filter((r) => r.rules === 'tenant');
const ms = mean(open, 'ms');
// Every rollout syncs every Application once (the audit below counts what the clusters saw).
const syncs = large.apps * large.rollouts.length;
const [regattaCpu, simCpu, objectApplies] = [sum(large.rollouts, 'regattaCpu'), sum(large.rollouts, 'simCpu'), sum(large.rollouts, 'objectApplies')];
// Both per sync: the simulator's share is everything the API servers did for the syncs (applies, reads, watches, status writes).
const cpuPerSyncOverApply = regattaCpu / simCpu;
const overheadMsPerStep = Math.round(ms / STEP_BATCHES);
const throughput = { [small.apps]: syncsPerSec(small), [large.apps]: syncsPerSec(large) };
const p95 = (run: FleetRun, samples: 'healthToStep' | 'healthToSync' | 'healthToReport') =>
  Math.round(
    percentile(
      run.rollouts.flatMap((r) => r[samples]),
      95,
    ),
  );
const healthToStepMs = p95(large, 'healthToStep');
/** The large fleet's rollouts together: reconciles counted and averaged over all, the worst of each delay. */
const replicaFigures = (run: FleetRun) => {
  const costs = run.rollouts.map((r) => r.replica);
  const reconciles = costs.reduce((n, c) => n + c.reconciles, 0);
  return {
    reconcileMs: {
      count: reconciles,
      mean: Math.round(costs.reduce((total, c) => total + c.reconcileMeanMs * c.reconciles, 0) / reconciles),
      p95AtMost: Math.max(...costs.map((c) => c.reconcileP95AtMostMs)),
    },
    gcShare: Number((costs.reduce((total, c) => total + c.gcShare, 0) / costs.length).toFixed(3)),
    eventLoopDelayMs: {
      p50: Math.max(...costs.map((c) => c.eventLoopDelayMs.p50)),
      p99: Math.max(...costs.map((c) => c.eventLoopDelayMs.p99)),
      max: Math.max(...costs.map((c) => c.eventLoopDelayMs.max)),
    },
  };
};
/** Each kind of request per sync over the rollouts, from the simulated API servers' counters. */
const requestsPerSync = (run: FleetRun) => {
  const per = (pick: (r: Rollout) => number) => Number((run.rollouts.reduce((n, r) => n + pick(r), 0) / (run.apps * run.rollouts.length)).toFixed(2));
  return {
    managementReads: per((r) => r.requests.management.reads),
    managementWrites: per((r) => r.requests.management.writes),
    workloadReads: per((r) => r.requests.workloads.reads),
    workloadWrites: per((r) => r.requests.workloads.writes),
  };
};
/** Body bytes the management API server sent (or received) per sync, by resource, over the rollouts (KB). */
const managementKBPerSync = (run: FleetRun, direction: 'sentMB' | 'receivedMB') => {
  const totals = new Map<string, number>();
  for (const r of run.rollouts)
    for (const [resource, traffic] of Object.entries(r.managementTraffic)) totals.set(resource, (totals.get(resource) ?? 0) + traffic[direction]);
  return Object.fromEntries(
    [...totals].filter(([, mb]) => mb > 0).map(([resource, mb]) => [resource, Number(((mb * 1000) / (run.apps * run.rollouts.length)).toFixed(1))]),
  );
};

console.log(`rollout bench at ${commit}: staging 1 %, canary 4 %, production 25 % at a time (${STEP_BATCHES} step batches)`);
for (const run of [small, large]) {
  console.log(`  ${run.clusters} clusters × ${APPS_PER_CLUSTER} apps = ${run.apps} Applications; first rollout (from nothing) ${Math.round(run.firstMs)} ms`);
  for (const r of run.rollouts)
    console.log(
      `    rollout, ${r.rules} project: ${Math.round(r.ms)} ms, ${Math.round(run.apps / (r.ms / 1000))} syncs/s; CPU Regatta ${r.regattaCpu.toFixed(1)} s, simulator ${r.simCpu.toFixed(1)} s; ${r.objectApplies} object applies; requests per sync ${JSON.stringify(requestsPerSync({ ...run, rollouts: [r] }))}`,
    );
  for (const r of run.rollouts) console.log(`    management API server, MB sent and received and writes per resource: ${JSON.stringify(r.managementTraffic)}`);
  for (const r of run.rollouts)
    console.log(
      `    replica: ${r.replica.reconciles} reconciles, ${r.replica.reconcileMeanMs} ms mean, p95 ≤ ${r.replica.reconcileP95AtMostMs} ms; GC ${(r.replica.gcShare * 100).toFixed(1)} % of the time; event loop delay p50 ${r.replica.eventLoopDelayMs.p50} ms, p99 ${r.replica.eventLoopDelayMs.p99} ms, max ${r.replica.eventLoopDelayMs.max} ms`,
    );
  console.log(
    `    syncs the clusters saw: ${run.clusterSyncs}; repeated syncs: ${run.doubleSyncs}; Regatta's peak RSS: ${run.rssMB} MB; reconciles in ${REST_MS / 1000} s at rest: ${run.reconcilesAtRest}`,
  );
  console.log(
    `    workload healthy → its step going on (p95): the next release ${p95(run, 'healthToStep')} ms (its Application reporting it healthy ${p95(run, 'healthToReport')} ms), that sync's first write ${p95(run, 'healthToSync')} ms; live watch: ${run.watch.cachedObjects} objects cached, ${run.watch.bytesPerObject} bytes of heap each`,
  );
}
console.log(
  `  ${large.apps} Applications: ${((regattaCpu * 1000) / syncs).toFixed(2)} ms Regatta CPU per sync / ${((simCpu * 1000) / syncs).toFixed(2)} ms simulator CPU per sync = ${cpuPerSyncOverApply.toFixed(3)}; ${overheadMsPerStep} ms per step batch (open project)`,
);
console.log(
  `  syncs/s ${throughput[small.apps]} at ${small.apps} → ${throughput[large.apps]} at ${large.apps} Applications; tenant/open: ${(mean(tenant, 'ms') / ms).toFixed(3)} wall, ${(mean(tenant, 'regattaCpu') / mean(open, 'regattaCpu')).toFixed(3)} Regatta CPU`,
);
console.log(`  Regatta: node dist/main.js ${REPLICA_ARGS.join(' ')} (defaults otherwise)`);
console.log(
  JSON.stringify({
    bench: 'rollout',
    commit,
    clusters: CLUSTERS,
    apps: large.apps,
    steps: STAGED_STEPS.length,
    ms: Math.round(ms),
    cpuPerSyncOverApply: Number(cpuPerSyncOverApply.toFixed(3)),
    regattaCpuMsPerSync: Number(((regattaCpu * 1000) / syncs).toFixed(2)),
    simCpuMsPerSync: Number(((simCpu * 1000) / syncs).toFixed(2)),
    simCpuMsPerObjectApply: Number(((simCpu * 1000) / objectApplies).toFixed(2)),
    calibrationCpuMs: calibrationSummary(large.rollouts.flatMap((r) => r.calibration)),
    overheadMsPerStep,
    rssMB: large.rssMB,
    healthToStepMs,
    healthToSyncMs: p95(large, 'healthToSync'),
    healthToReportMs: p95(large, 'healthToReport'),
    ...replicaFigures(large),
    requestsPerSync: requestsPerSync(large),
    managementSentKBPerSync: managementKBPerSync(large, 'sentMB'),
    managementReceivedKBPerSync: managementKBPerSync(large, 'receivedMB'),
    reconcilesAtRest: large.reconcilesAtRest,
    watchBytesPerResource: large.watch.bytesPerObject,
    watchedResources: large.watch.cachedObjects,
    syncsPerSec: throughput,
    syncsPerSecDrop: Number((1 - throughput[large.apps] / throughput[small.apps]).toFixed(3)),
    clusterSyncs: large.clusterSyncs,
    doubleSyncs: large.doubleSyncs + small.doubleSyncs,
    projects: {
      openMs: Math.round(ms),
      tenantMs: Math.round(mean(tenant, 'ms')),
      openCpuS: Number(mean(open, 'regattaCpu').toFixed(1)),
      tenantCpuS: Number(mean(tenant, 'regattaCpu').toFixed(1)),
    },
  }),
);
