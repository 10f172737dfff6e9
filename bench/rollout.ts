// `npm run bench -- rollout [CLUSTERS] [APPS_PER_CLUSTER]`: a RollingSync of a new revision over a simulated
// fleet (default 1,000 clusters × 10 apps = 10,000 Applications) with workload health delays at zero, so
// the time is Regatta's own: reconciles, planning, BullMQ jobs, syncs (render, server-side apply), refreshes.
import { performance } from 'node:perf_hooks';
import { DemoEnvironment } from '../src/demo/demo-environment.js';
import { repeatedSyncs } from '../src/cli/demo-command.js';

// Run through bench/run.js, the arguments after the bench name.
const [clustersArg, appsArg] = process.argv.slice(process.argv.indexOf('rollout') + 1);
const CLUSTERS = Number(clustersArg ?? 1000);
const APPS_PER_CLUSTER = Number(appsArg ?? 10);
const APPS = CLUSTERS * APPS_PER_CLUSTER;
const staging = Math.max(1, Math.round(CLUSTERS * 0.01));
const canary = Math.max(1, Math.round(CLUSTERS * 0.04));
const clusters = Array.from({ length: CLUSTERS }, (_, i) => ({
  name: `c-${String(i).padStart(4, '0')}`,
  labels: { env: i < staging ? 'staging' : i < staging + canary ? 'canary' : 'production', region: ['eu', 'us', 'ap'][i % 3] },
}));
const steps = [
  { matchExpressions: [{ key: 'env', operator: 'In', values: ['staging'] }] },
  { matchExpressions: [{ key: 'env', operator: 'In', values: ['canary'] }] },
  { matchExpressions: [{ key: 'env', operator: 'In', values: ['production'] }], maxUpdate: '25%' },
];
const batches = 1 + 1 + 4;

const env = await DemoEnvironment.start({ clusters, steps, apps: Array.from({ length: APPS_PER_CLUSTER }, (_, i) => `app-${i}`), readyDelayMs: 0, refreshIntervalMs: 1000 });

async function rolledOut(revision: string, limitMs: number): Promise<void> {
  const until = Date.now() + limitMs;
  for (;;) {
    if (await env.rolledOut(revision)) return;
    if (Date.now() % 5000 < 260) {
      const [appSet, apps] = await Promise.all([env.appSet(), env.applications()]);
      const healthy = apps.filter((a: any) => a.status?.history?.at(-1)?.revision === revision).length;
      process.stderr.write(`  … ${apps.length} Applications, ${healthy} synced to ${revision.slice(0, 7)}, rollout ${appSet?.status?.rollout?.phase ?? '-'} step ${appSet?.status?.rollout?.step ?? '-'}\n`);
    }
    if (Date.now() > until) throw new Error(`rollout of ${revision} did not finish in ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const firstStart = performance.now();
await rolledOut(env.revision, 1_800_000);
const firstMs = performance.now() - firstStart;
const start = performance.now();
const revision = await env.release();
await rolledOut(revision, 1_800_000);
const ms = performance.now() - start;
const apps = await env.applications();
const doubleSyncs = repeatedSyncs(apps);
const rssMB = Math.round(process.memoryUsage().rss / 1024 / 1024);
await env.stop();

console.log(`rollout bench: ${CLUSTERS} clusters × ${APPS_PER_CLUSTER} apps = ${APPS} Applications, 3 steps (staging ${staging}, canary ${canary}, production 25% at a time)`);
console.log(`  first rollout (initial deploy, from nothing): ${Math.round(firstMs)} ms`);
console.log(`  rollout of a new revision: ${Math.round(ms)} ms, ${Math.round(APPS / (ms / 1000))} syncs/s, ${Math.round(ms / batches)} ms per step batch (${batches} batches)`);
console.log(`  repeated syncs: ${doubleSyncs}; RSS (simulator, Redis client, controllers in one process): ${rssMB} MB`);
console.log(JSON.stringify({ bench: 'rollout', clusters: CLUSTERS, apps: APPS, steps: steps.length, ms: Math.round(ms), overheadMsPerStep: Math.round(ms / batches), syncsPerSec: Math.round(APPS / (ms / 1000)), doubleSyncs, rssMB }));
