// `npm run bench -- reconcile`: 100 ApplicationSets generating 10,000 Applications on the simulator:
// time to converge from empty, then a reconcile of everything with nothing changed (time, writes),
// and that no-op reconcile again under a tenant's AppProject rules and under open ones, alternating
// in the same run: what enforcing projects costs. Then argo-cd #10952's shape: 2,000 ApplicationSets
// with Cluster generators over 200 clusters, one cluster added: how many ApplicationSets are
// reconciled again, how many writes it takes and how long until the fleet has converged.
// RECONCILE_SCALE (default 1) shrinks every count, for a quick run on a shared machine.
import { performance } from 'node:perf_hooks';
import { createControllerApp } from '../src/app/app.module.js';
import { ApplicationSetController } from '../src/appset/applicationset-controller.js';
import { loadAppConfig } from '../src/config/app-config.js';
import { ControlNamespace } from '../src/control-namespace/control-namespace.js';
import { kubeConfigFromString } from '../src/kube/kube-config.js';
import { ObjectClient } from '../src/kube/object-client.js';
import { silentLogger } from '../src/observability/logger.js';
import { ControllerMetrics } from '../src/observability/metrics.js';
import type { Application } from '../src/api/application.js';
import { projectProblem } from '../src/appset/application-validation.js';
import { SimFleet } from '../src/sim/sim-fleet.js';
import { cpuSeconds, setProjectRules, type ProjectRules } from './project-rules.js';
import { gitCommit } from './rounds.js';

const SCALE = Number(process.env.RECONCILE_SCALE ?? 1);
const scaled = (n: number) => Math.max(1, Math.round(n * SCALE));
const APPSETS = scaled(100);
const APPS_PER_APPSET = 100;
const TOTAL = APPSETS * APPS_PER_APPSET;
const CLUSTER_APPSETS = scaled(2000);
const CLUSTERS = scaled(200);
/** Each Cluster-generator ApplicationSet selects the clusters of one shard: CLUSTERS / SHARDS clusters each. */
const SHARDS = Math.max(1, Math.round(CLUSTERS / 2));
const commit = gitCommit();

const fleet = await SimFleet.start({ watchHistory: 100_000 });
const kubeConfig = kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'regatta' }));
// The same modules as `npm start`, without a sync driver: what is timed is the ApplicationSet controller.
const app = await createControllerApp({ config: loadAppConfig([], {}), kubeConfig, logger: silentLogger });
await app.init();
const controller = app.get(ApplicationSetController);
const context = app.get(ControlNamespace);

const store = fleet.cluster();
const applicationType = store.typeForKind('argoproj.io/v1alpha1', 'Application')!;
const appSetType = store.typeForKind('argoproj.io/v1alpha1', 'ApplicationSet')!;
const client = new ObjectClient(kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'bench' })));

/** Regatta's writes to the management cluster since `mark`, from the simulator's write log, by kind. */
function writesSince(mark: bigint): Record<string, number> {
  const byKind: Record<string, number> = {};
  for (const write of store.writes) if (write.at >= mark && write.identity === 'regatta') byKind[write.kind] = (byKind[write.kind] ?? 0) + 1;
  return byKind;
}
const total = (byKind: Record<string, number>) => Object.values(byKind).reduce((a, b) => a + b, 0);

async function settled(check: () => boolean, limitMs = 600_000): Promise<void> {
  const until = Date.now() + limitMs;
  for (;;) {
    await controller.idle();
    if (check()) return;
    if (Date.now() > until) throw new Error('did not converge in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const start = performance.now();
for (let s = 0; s < APPSETS; s++) {
  await client.create({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: { name: `team-${s}`, namespace: 'argocd' },
    spec: {
      goTemplate: true,
      generators: [{ list: { elements: Array.from({ length: APPS_PER_APPSET }, (_, i) => ({ app: `app-${i}` })) } }],
      template: {
        metadata: { name: `team-${s}-{{.app}}`, labels: { team: `team-${s}` } },
        spec: {
          project: 'default',
          source: { repoURL: 'https://git.example.com/apps.git', path: 'apps/{{.app}}', targetRevision: 'main' },
          destination: { server: 'https://kubernetes.default.svc', namespace: '{{.app}}' },
        },
      },
    },
  });
}
const upToDate = () =>
  store.list(applicationType, 'argocd').length === TOTAL &&
  store
    .list(appSetType, 'argocd')
    .every(
      (a) => a.status?.resourcesCount === APPS_PER_APPSET && a.status?.conditions?.some((c: any) => c.type === 'ResourcesUpToDate' && c.status === 'True'),
    );
await settled(upToDate);
const firstMs = performance.now() - start;

await new Promise((r) => setTimeout(r, 500));
await controller.idle();
const noopMark = process.hrtime.bigint();
const noopStart = performance.now();
controller.reconcileAll();
await controller.idle();
const noopMs = performance.now() - noopStart;
const noopWrites = total(writesSince(noopMark));

/** One no-op reconcile of everything under the given rules of the `default` project, after the change itself settled. */
async function noopUnder(rules: ProjectRules): Promise<{ ms: number; cpu: number }> {
  await setProjectRules(client, 'default', rules, 'https://git.example.com/apps.git');
  await new Promise((r) => setTimeout(r, 300));
  await settled(upToDate);
  const cpu = cpuSeconds();
  const started = performance.now();
  controller.reconcileAll();
  await controller.idle();
  return { ms: performance.now() - started, cpu: cpuSeconds() - cpu };
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ROUNDS = 9;
const runs: Record<ProjectRules, { ms: number; cpu: number }[]> = { open: [], tenant: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const rules of round % 2 ? (['tenant', 'open'] as const) : (['open', 'tenant'] as const)) runs[rules].push(await noopUnder(rules));
}
// The checks themselves, timed alone over the fleet's Applications under the tenant's rules: their share of a reconcile.
const applications = store.list(applicationType, 'argocd') as Application[];
const scope = { project: (name: string) => context.project(name), argocdNamespace: 'argocd' };
const checkStart = performance.now();
for (let i = 0; i < 10; i++) for (const application of applications) projectProblem(application, scope);
const checksMs = (performance.now() - checkStart) / 10;
const openMs = median(runs.open.map((r) => r.ms));
const tenantMs = median(runs.tenant.map((r) => r.ms));
const openCpu = median(runs.open.map((r) => r.cpu));
const tenantCpu = median(runs.tenant.map((r) => r.cpu));

// argo-cd #10952: many ApplicationSets over a fleet, one cluster added.
const metrics = app.get(ControllerMetrics);
const reconcileCount = async () =>
  (await metrics.reconcile.get()).values.filter((v) => v.metricName === 'argocd_appset_reconcile_count').reduce((sum, v) => sum + v.value, 0);
const renderCount = async () => (await metrics.generationsRendered.get()).values.reduce((sum, v) => sum + v.value, 0);
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const clusterSecret = (i: number) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  type: 'Opaque',
  metadata: { name: `cluster-fleet-${i}`, namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': 'cluster', shard: `s-${i % SHARDS}` } },
  data: { name: b64(`fleet-${i}`), server: b64(`https://fleet-${i}.example.com`), config: b64('{"tlsClientConfig":{"insecure":false}}') },
});
for (let i = 0; i < CLUSTERS; i++) await client.create(clusterSecret(i));
for (let s = 0; s < CLUSTER_APPSETS; s++) {
  await client.create({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: { name: `fleet-${s}`, namespace: 'argocd' },
    spec: {
      goTemplate: true,
      generators: [{ clusters: { selector: { matchLabels: { shard: `s-${s % SHARDS}` } } } }],
      template: {
        metadata: { name: `fleet-${s}-{{.name}}` },
        spec: {
          project: 'default',
          source: { repoURL: 'https://git.example.com/apps.git', path: 'fleet', targetRevision: 'main' },
          destination: { server: '{{.server}}', namespace: 'fleet' },
        },
      },
    },
  });
}
const perShard = (shard: number, clusters: number) => Array.from({ length: clusters }, (_, i) => i).filter((i) => i % SHARDS === shard).length;
const fleetApps = (clusters: number) => Array.from({ length: CLUSTER_APPSETS }, (_, s) => perShard(s % SHARDS, clusters)).reduce((a, b) => a + b, 0);
const fleetUpToDate = (clusters: number) => () => {
  const apps = store.list(applicationType, 'argocd').length === TOTAL + fleetApps(clusters);
  return apps && store.list(appSetType, 'argocd').every((a) => a.status?.conditions?.some((c: any) => c.type === 'ResourcesUpToDate' && c.status === 'True'));
};
await settled(fleetUpToDate(CLUSTERS));
await new Promise((r) => setTimeout(r, 500));
await controller.idle();
const addedShard = CLUSTERS % SHARDS;
const reconcilesBefore = await reconcileCount();
const rendersBefore = await renderCount();
const addMark = process.hrtime.bigint();
const addStart = performance.now();
await client.create(clusterSecret(CLUSTERS));
const selectingAdded = new Set(
  Array.from({ length: CLUSTER_APPSETS }, (_, s) => s)
    .filter((s) => s % SHARDS === addedShard)
    .map((s) => `fleet-${s}`),
);
await settled(
  () =>
    fleetUpToDate(CLUSTERS + 1)() &&
    store
      .list(appSetType, 'argocd')
      .filter((a) => selectingAdded.has(a.metadata.name))
      .every((a) => a.status?.resourcesCount === perShard(addedShard, CLUSTERS + 1)),
);
const addClusterMs = performance.now() - addStart;
// Counted after the fleet converged (the Secret itself is the bench's write, not Regatta's).
await new Promise((r) => setTimeout(r, 500));
await controller.idle();
const addClusterWritesByKind = writesSince(addMark);
const addClusterWrites = total(addClusterWritesByKind);
const addClusterReconciled = (await reconcileCount()) - reconcilesBefore;
const addClusterRerendered = (await renderCount()) - rendersBefore;
const addClusterMatching = selectingAdded.size;

const rssMB = Math.round(process.memoryUsage().rss / 1024 / 1024);

await app.close();
await fleet.stop();

console.log(`reconcile: ${APPSETS} ApplicationSets × ${APPS_PER_APPSET} Applications = ${TOTAL} on the simulator (controller and simulator in one process)`);
console.log(`  converge from empty: ${Math.round(firstMs)} ms (${Math.round(TOTAL / (firstMs / 1000))} Applications/s, statuses included)`);
console.log(`  reconcile everything, nothing changed: ${Math.round(noopMs)} ms, ${noopWrites} API writes`);
console.log(
  `  no-op reconcile, median of ${ROUNDS} each, alternating: open project ${Math.round(openMs)} ms (${openCpu.toFixed(2)} s CPU), tenant project ${Math.round(tenantMs)} ms (${tenantCpu.toFixed(2)} s CPU): tenant/open ${(tenantMs / openMs).toFixed(3)} wall, ${(tenantCpu / openCpu).toFixed(3)} CPU`,
);
console.log(
  `  the project checks alone: ${checksMs.toFixed(1)} ms for ${applications.length} Applications, ${((100 * checksMs) / openMs).toFixed(2)}% of a no-op reconcile`,
);
console.log(
  `  one cluster added to ${CLUSTERS} under ${CLUSTER_APPSETS} Cluster-generator ApplicationSets (${addClusterMatching} select it): ${addClusterReconciled} reconciled again, ${addClusterRerendered} of them rendered again, ${addClusterWrites} API writes (${JSON.stringify(addClusterWritesByKind)}), converged in ${Math.round(addClusterMs)} ms`,
);
console.log(`  RSS: ${rssMB} MB (commit ${commit})`);
console.log(
  JSON.stringify({
    bench: 'reconcile',
    commit,
    appsets: APPSETS,
    apps: TOTAL,
    firstMs: Math.round(firstMs),
    noopMs: Math.round(noopMs),
    noopWrites,
    projectsNoopMs: { open: Math.round(openMs), tenant: Math.round(tenantMs) },
    tenantOverOpen: { wall: Number((tenantMs / openMs).toFixed(3)), cpu: Number((tenantCpu / openCpu).toFixed(3)) },
    projectChecksShare: Number((checksMs / openMs).toFixed(4)),
    clusterAppsets: CLUSTER_APPSETS,
    clusters: CLUSTERS,
    addClusterMatching,
    addClusterReconciled,
    addClusterRerendered,
    addClusterWrites,
    addClusterWritesByKind,
    addClusterMs: Math.round(addClusterMs),
    rssMB,
  }),
);
process.exit(0);
