// `npm run bench -- sim`: 1,000 simulated clusters with 20 objects each, written through the REST
// API, with one watch open per cluster counting the events it receives.
import * as k8s from '@kubernetes/client-node';
import { performance } from 'node:perf_hooks';
import { SimFleet } from '../src/sim/sim-fleet.js';

const CLUSTERS = 1000;
const OBJECTS = 20;
const CONCURRENCY = 64;

const fleet = await SimFleet.start({ clusters: CLUSTERS, watchHistory: 100 });
const names = fleet.names();
const clients = names.map((name) => {
  const config = new k8s.KubeConfig();
  config.loadFromString(fleet.kubeconfig(name));
  return { name, config, core: config.makeApiClient(k8s.CoreV1Api) };
});

let watchEvents = 0;
const watches: AbortController[] = [];
for (const { config } of clients) {
  watches.push(
    await new k8s.Watch(config).watch(
      '/api/v1/namespaces/default/configmaps',
      { resourceVersion: '1' },
      () => void watchEvents++,
      () => {},
    ),
  );
}

const jobs = clients.flatMap(({ core }) =>
  Array.from(
    { length: OBJECTS },
    (_, i) => () =>
      core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: `cm-${i}`, labels: { index: String(i) } }, data: { value: 'x'.repeat(64) } },
      }),
  ),
);
const start = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < jobs.length) await jobs[next++]();
  }),
);
const writeMs = performance.now() - start;
const deadline = Date.now() + 60_000;
while (watchEvents < CLUSTERS * OBJECTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
const eventsMs = performance.now() - start;
const rssMB = Math.round(process.memoryUsage().rss / 1024 / 1024);
for (const watch of watches) watch.abort();
await fleet.stop();

const objects = CLUSTERS * OBJECTS;
console.log(`sim: ${CLUSTERS} clusters × ${OBJECTS} ConfigMaps created through client-node (${CONCURRENCY} in flight), one watch per cluster`);
console.log(`  writes: ${objects} in ${Math.round(writeMs)} ms = ${Math.round(objects / (writeMs / 1000))}/s`);
console.log(`  watch events delivered: ${watchEvents} in ${Math.round(eventsMs)} ms = ${Math.round(watchEvents / (eventsMs / 1000))}/s`);
console.log(`  RSS (simulator and 1,000 clients in one process): ${rssMB} MB`);
console.log(
  JSON.stringify({
    bench: 'sim',
    clusters: CLUSTERS,
    objects,
    writesPerSec: Math.round(objects / (writeMs / 1000)),
    watchEventsPerSec: Math.round(watchEvents / (eventsMs / 1000)),
    rssMB,
  }),
);
process.exit(0);
