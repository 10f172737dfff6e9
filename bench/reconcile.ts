// `npm run bench -- reconcile`: 100 ApplicationSets generating 10,000 Applications on the simulator:
// time to converge from empty, then a reconcile of everything with nothing changed (time, writes).
import { performance } from 'node:perf_hooks';
import { ApplicationSetController, controllerSettings } from '../src/appset/applicationset-controller.js';
import { ControllerContext } from '../src/appset/controller-context.js';
import { loadAppConfig } from '../src/app-config.js';
import { createDefaultRegistry } from '../src/generators/default-registry.js';
import { kubeConfigFromString } from '../src/kube/kube-config.js';
import { ObjectClient } from '../src/kube/object-client.js';
import { silentLogger } from '../src/observability/logger.js';
import { SimFleet } from '../src/sim/sim-fleet.js';

const APPSETS = 100;
const APPS_PER_APPSET = 100;
const TOTAL = APPSETS * APPS_PER_APPSET;

const fleet = await SimFleet.start({ watchHistory: 100_000 });
const kubeConfig = kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'regatta' }));
const config = loadAppConfig([], {});
const context = new ControllerContext(kubeConfig, config, silentLogger);
const controller = new ApplicationSetController(
  kubeConfig,
  controllerSettings(config),
  createDefaultRegistry(),
  context.context,
  (name) => context.project(name),
  silentLogger,
);
await context.start();
await controller.start();

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
        spec: { project: 'default', source: { repoURL: 'https://git.example.com/apps.git', path: 'apps/{{.app}}', targetRevision: 'main' }, destination: { server: 'https://kubernetes.default.svc', namespace: '{{.app}}' } },
      },
    },
  });
}
const upToDate = () =>
  store.list(applicationType, 'argocd').length === TOTAL &&
  store.list(appSetType, 'argocd').every((a) => a.status?.resourcesCount === APPS_PER_APPSET && a.status?.conditions?.some((c: any) => c.type === 'ResourcesUpToDate' && c.status === 'True'));
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
const rssMB = Math.round(process.memoryUsage().rss / 1024 / 1024);

await controller.stop();
await context.stop();
await fleet.stop();

console.log(`reconcile: ${APPSETS} ApplicationSets × ${APPS_PER_APPSET} Applications = ${TOTAL} on the simulator (controller and simulator in one process)`);
console.log(`  converge from empty: ${Math.round(firstMs)} ms (${Math.round(TOTAL / (firstMs / 1000))} Applications/s, statuses included)`);
console.log(`  reconcile everything, nothing changed: ${Math.round(noopMs)} ms, ${noopWrites} API writes`);
console.log(`  RSS: ${rssMB} MB`);
console.log(JSON.stringify({ bench: 'reconcile', appsets: APPSETS, apps: TOTAL, firstMs: Math.round(firstMs), noopMs: Math.round(noopMs), noopWrites, rssMB }));
process.exit(0);
