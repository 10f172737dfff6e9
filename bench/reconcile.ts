// `npm run bench -- reconcile`: 100 ApplicationSets generating 10,000 Applications on the simulator:
// time to converge from empty, then a reconcile of everything with nothing changed (time, writes),
// and that no-op reconcile again under a tenant's AppProject rules and under open ones, alternating
// in the same run: what enforcing projects costs.
import { performance } from 'node:perf_hooks';
import { createControllerApp } from '../src/app/app.module.js';
import { ApplicationSetController } from '../src/appset/applicationset-controller.js';
import { loadAppConfig } from '../src/config/app-config.js';
import { ControlNamespace } from '../src/control-namespace/control-namespace.js';
import { kubeConfigFromString } from '../src/kube/kube-config.js';
import { ObjectClient } from '../src/kube/object-client.js';
import { silentLogger } from '../src/observability/logger.js';
import type { Application } from '../src/api/application.js';
import { projectProblem } from '../src/appset/application-validation.js';
import { SimFleet } from '../src/sim/sim-fleet.js';
import { cpuSeconds, setProjectRules, type ProjectRules } from './project-rules.js';

const APPSETS = 100;
const APPS_PER_APPSET = 100;
const TOTAL = APPSETS * APPS_PER_APPSET;

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
const writesBefore = fleet.counters().writes;
const noopStart = performance.now();
controller.reconcileAll();
await controller.idle();
const noopMs = performance.now() - noopStart;
const noopWrites = fleet.counters().writes - writesBefore;

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
console.log(`  RSS: ${rssMB} MB`);
console.log(
  JSON.stringify({
    bench: 'reconcile',
    appsets: APPSETS,
    apps: TOTAL,
    firstMs: Math.round(firstMs),
    noopMs: Math.round(noopMs),
    noopWrites,
    projectsNoopMs: { open: Math.round(openMs), tenant: Math.round(tenantMs) },
    tenantOverOpen: { wall: Number((tenantMs / openMs).toFixed(3)), cpu: Number((tenantCpu / openCpu).toFixed(3)) },
    projectChecksShare: Number((checksMs / openMs).toFixed(4)),
    rssMB,
  }),
);
process.exit(0);
