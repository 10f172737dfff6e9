// `npm run bench -- kube-client [REQUESTS] [WATCHES]`: what Regatta's Kubernetes client (kube/) costs
// over HTTPS, as every real API server is served: per request, the CPU and the bytes allocated
// (garbage included) of REQUESTS GETs one after another; per watch held open, the resident memory
// and heap of WATCHES watches, one connection each, as the live watch holds a watch per kind per
// cluster. The simulated API server runs in a child process, so this process holds only the client.
// (The rollout bench's fleet is served over plain HTTP: its figures include no TLS.)
import * as k8s from '@kubernetes/client-node';
import { fork, type ChildProcess } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { kubeConfigFromString } from '../src/kube/kube-config.js';
import { ObjectClient } from '../src/kube/object-client.js';
import { SimFleet } from '../src/sim/sim-fleet.js';
import { gitCommit } from './rounds.js';

const CLUSTER = 'edge';
const NAMESPACE = 'apps';

/** The child: one simulated cluster over HTTPS with a ConfigMap to read, until its parent goes. */
async function serve(): Promise<void> {
  const fleet = await SimFleet.start({ clusters: [{ name: CLUSTER }], https: true });
  const core = kubeConfigFromString(fleet.kubeconfig(CLUSTER)).makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  await core.createNamespacedConfigMap({ namespace: NAMESPACE, body: { metadata: { name: 'settings' }, data: { size: 'x'.repeat(2000) } } });
  process.send!({ kubeconfig: fleet.kubeconfig(CLUSTER) });
  process.on('disconnect', () => void fleet.stop().finally(() => process.exit(0)));
}

if (process.argv.includes('--serve')) await serve();
else await measure();

async function measure(): Promise<void> {
  const [requestsArg, watchesArg] = process.argv.slice(process.argv.indexOf('kube-client') + 1);
  const REQUESTS = Number(requestsArg ?? 5000);
  const WATCHES = Number(watchesArg ?? 1000);
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const settled = () => {
    gc();
    gc();
    return process.memoryUsage();
  };

  const server: ChildProcess = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: 'inherit' });
  const stopServer = () => {
    if (server.exitCode === null) server.kill();
  };
  process.on('exit', stopServer);
  try {
    const { kubeconfig } = await new Promise<{ kubeconfig: string }>((resolve, reject) => {
      server.once('message', (message) => resolve(message as { kubeconfig: string }));
      server.once('exit', (code) => reject(new Error(`the simulated API server exited (${code})`)));
    });
    const config = kubeConfigFromString(kubeconfig);
    const client = new ObjectClient(config);
    const read = () => client.get('v1', 'ConfigMap', NAMESPACE, 'settings');
    for (let i = 0; i < 500; i++) await read();

    // Requests: CPU from this process's clock, allocations from V8's sampling heap profiler with collected objects kept.
    const session = new Session();
    session.connect();
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < REQUESTS; i++) await read();
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const { profile } = await session.post('HeapProfiler.stopSampling');
    session.disconnect();
    const allocated = (node: typeof profile.head): number => node.selfSize + node.children.reduce((sum, child) => sum + allocated(child), 0);
    const cpuUsPerRequest = Math.round((cpu.user + cpu.system) / REQUESTS);
    const bytesPerRequest = Math.round(allocated(profile.head) / REQUESTS);
    const requestsPerSec = Math.round(REQUESTS / (wallMs / 1000));

    // Watches: each its own connection, held open; the memory they add once all are answered.
    const before = settled();
    const watches: AbortController[] = [];
    for (let i = 0; i < WATCHES; i++)
      watches.push(
        await new k8s.Watch(config).watch(
          `/api/v1/namespaces/${NAMESPACE}/configmaps`,
          {},
          () => undefined,
          () => undefined,
        ),
      );
    const after = settled();
    const rssKBPerWatch = Math.round((after.rss - before.rss) / 1024 / WATCHES);
    const heapKBPerWatch = Math.round((after.heapUsed - before.heapUsed) / 1024 / WATCHES);
    for (const watch of watches) watch.abort();

    console.log(`kube-client bench at ${gitCommit()}: one simulated API server over HTTPS in a child process`);
    console.log(
      `  ${REQUESTS} GETs one after another: ${requestsPerSec} requests/s, ${cpuUsPerRequest} µs CPU and ${bytesPerRequest} bytes allocated per request`,
    );
    console.log(`  ${WATCHES} watches held open: ${rssKBPerWatch} KB resident and ${heapKBPerWatch} KB of heap each`);
    console.log(
      JSON.stringify({
        bench: 'kube-client',
        commit: gitCommit(),
        requests: REQUESTS,
        requestsPerSec,
        cpuUsPerRequest,
        bytesPerRequest,
        watches: WATCHES,
        rssKBPerWatch,
        heapKBPerWatch,
      }),
    );
  } finally {
    stopServer();
  }
}
