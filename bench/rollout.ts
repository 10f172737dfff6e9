// `npm run bench -- rollout [CLUSTERS] [APPS_PER_CLUSTER] [ROLLOUTS]`: RollingSyncs of new revisions over a
// simulated fleet (default 1,000 clusters × 10 apps = 10,000 Applications) with workload health delays at
// zero, so the time is Regatta's own: reconciles, planning, BullMQ jobs, syncs (render, server-side apply),
// refreshes. The rollouts (default 4) take turns between the `default` project open to everything and a
// tenant's rules (repositories, destinations, kinds, sync windows): the cost of enforcing projects, in one run.
// Regatta runs as in production, `node dist/main.js` in a process of its own (run `nest build` first);
// this process holds the simulator, Redis and the Git repository. REGATTA_NODE_ARGS passes flags to
// the replica's node (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { DemoEnvironment } from '../src/demo/demo-environment.js';
import { startReplicaProcess } from '../src/demo/replica-process.js';
import { cpuSeconds, setProjectRules, type ProjectRules } from './project-rules.js';
import { STAGED_STEPS, stagedFleet } from './staged-fleet.js';

// Run through bench/run.js, the arguments after the bench name.
const [clustersArg, appsArg, rolloutsArg] = process.argv.slice(process.argv.indexOf('rollout') + 1);
const CLUSTERS = Number(clustersArg ?? 1000);
const APPS_PER_CLUSTER = Number(appsArg ?? 10);
const APPS = CLUSTERS * APPS_PER_CLUSTER;
const ROLLOUTS = Number(rolloutsArg ?? 4);
const clusters = stagedFleet(CLUSTERS);
const staging = clusters.filter((c) => c.labels.env === 'staging').length;
const canary = clusters.filter((c) => c.labels.env === 'canary').length;
const steps = STAGED_STEPS;
const batches = 1 + 1 + 4;

const env = await DemoEnvironment.start({
  clusters,
  steps,
  apps: Array.from({ length: APPS_PER_CLUSTER }, (_, i) => `app-${i}`),
  readyDelayMs: 0,
  controller: false,
  watchHistory: 5_000,
});
// A fleet this size is run with more sync workers than Argo CD's default 10, as Argo CD's own scaling guide advises.
const REPLICA_ARGS = [
  '--enable-progressive-syncs=true',
  '--app-resync=180',
  '--source-poll-seconds=0.5',
  '--operation-processors=50',
  '--status-processors=50',
];
const replica = startReplicaProcess({
  kubeconfig: env.managementKubeconfig(),
  redisUrl: env.redisUrl,
  args: REPLICA_ARGS,
  nodeArgs: process.env.REGATTA_NODE_ARGS?.split(' ').filter(Boolean),
});
/** The replica's peak resident memory. */
const replicaPeakMB = () => Math.round(Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${replica.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);

async function rolledOut(revision: string, limitMs: number): Promise<void> {
  const until = Date.now() + limitMs;
  for (;;) {
    if (await env.rolledOut(revision)) return;
    if (Date.now() % 5000 < 260) {
      const apps = await env.applications();
      const healthy = apps.filter((a: any) => a.status?.history?.at(-1)?.revision === revision).length;
      process.stderr.write(`  … ${apps.length} Applications, ${healthy} synced to ${revision.slice(0, 7)}\n`);
    }
    if (Date.now() > until) throw new Error(`rollout of ${revision} did not finish in ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const firstStart = performance.now();
await rolledOut(env.revision, 1_800_000);
const firstMs = performance.now() - firstStart;

/** One rollout of a new revision under the given rules of the project the fleet's Applications use. */
async function rolloutUnder(rules: ProjectRules): Promise<{ rules: ProjectRules; ms: number; cpu: number }> {
  await setProjectRules(env.client, 'default', rules, env.repository.url);
  // The replica re-checks every Application when its project changes: that settles before the clock starts.
  await new Promise((r) => setTimeout(r, 3000));
  const cpu = cpuSeconds(replica.pid!);
  const start = performance.now();
  const revision = await env.release();
  await rolledOut(revision, 1_800_000);
  return { rules, ms: performance.now() - start, cpu: cpuSeconds(replica.pid!) - cpu };
}
const rollouts: Awaited<ReturnType<typeof rolloutUnder>>[] = [];
// Each rollout costs more than the one before (CPU rose 1.7× over eight at 300 × 10), so the rule sets
// take turns as open, tenant, tenant, open: a steady drift falls on both alike.
const order = Array.from({ length: ROLLOUTS }, (_, i): ProjectRules => (i % 4 === 1 || i % 4 === 2 ? 'tenant' : 'open'));
for (const rules of order) rollouts.push(await rolloutUnder(rules));
// Counted from what the clusters saw (their write logs), not from the Applications' sync history.
const { syncs: clusterSyncs, repeatedSyncs: doubleSyncs } = env.auditSyncs();
const rssMB = replicaPeakMB();
replica.kill('SIGTERM');
// A CPU profile (REGATTA_NODE_ARGS) is written on a clean exit; do not wait for one forever.
await Promise.race([new Promise((resolve) => replica.once('exit', resolve)), new Promise((resolve) => setTimeout(resolve, 20_000))]);
replica.kill('SIGKILL');
await env.stop();

const mean = (rules: ProjectRules, field: 'ms' | 'cpu') => {
  const runs = rollouts.filter((r) => r.rules === rules);
  return runs.reduce((sum, r) => sum + r[field], 0) / runs.length;
};
const [ms, openCpu, tenantMs, tenantCpu] = [mean('open', 'ms'), mean('open', 'cpu'), mean('tenant', 'ms'), mean('tenant', 'cpu')];
console.log(
  `rollout bench: ${CLUSTERS} clusters × ${APPS_PER_CLUSTER} apps = ${APPS} Applications, 3 steps (staging ${staging}, canary ${canary}, production 25% at a time)`,
);
console.log(`  first rollout (initial deploy, from nothing): ${Math.round(firstMs)} ms`);
for (const r of rollouts)
  console.log(
    `  rollout of a new revision, ${r.rules} project: ${Math.round(r.ms)} ms, ${Math.round(APPS / (r.ms / 1000))} syncs/s, Regatta CPU ${r.cpu.toFixed(1)} s (${((r.cpu * 1000) / APPS).toFixed(2)} ms per sync)`,
  );
console.log(
  `  open project: ${Math.round(ms)} ms per rollout, ${Math.round(ms / batches)} ms per step batch (${batches} batches); tenant/open: ${(tenantMs / ms).toFixed(3)} wall, ${(tenantCpu / openCpu).toFixed(3)} Regatta CPU`,
);
console.log(`  Regatta: node dist/main.js ${REPLICA_ARGS.join(' ')} (defaults otherwise)`);
console.log(
  `  syncs the clusters saw: ${clusterSyncs} (${APPS} Applications × ${ROLLOUTS + 1} rollouts = ${APPS * (ROLLOUTS + 1)}); repeated syncs: ${doubleSyncs}; Regatta's peak RSS: ${rssMB} MB`,
);
console.log(
  JSON.stringify({
    bench: 'rollout',
    clusters: CLUSTERS,
    apps: APPS,
    steps: steps.length,
    ms: Math.round(ms),
    overheadMsPerStep: Math.round(ms / batches),
    syncsPerSec: Math.round(APPS / (ms / 1000)),
    clusterSyncs,
    doubleSyncs,
    rssMB,
    projects: { openMs: Math.round(ms), tenantMs: Math.round(tenantMs), openCpuS: Number(openCpu.toFixed(1)), tenantCpuS: Number(tenantCpu.toFixed(1)) },
    tenantOverOpen: { wall: Number((tenantMs / ms).toFixed(3)), cpu: Number((tenantCpu / openCpu).toFixed(3)) },
  }),
);
