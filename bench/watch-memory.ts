import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Application } from '../src/api/application.js';
import { kubeConfigFromString } from '../src/kube/kube-config.js';
import type { SimFleet } from '../src/sim/sim-fleet.js';
import { WorkloadWatches } from '../src/sync/workload-watches.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const heapUsed = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

/**
 * What the live watch costs per managed resource: the replica's watches of every cluster (one
 * per kind its Applications track), built here on the same fleet, as the heap they add over the
 * objects they cache. Measured in this process, where nothing else grows meanwhile.
 */
export async function watchMemory(fleet: SimFleet, applications: Application[], limitMs = 120_000): Promise<{ cachedObjects: number; bytesPerObject: number }> {
  const configs = new Map(fleet.names().map((name) => [fleet.server(name), kubeConfigFromString(fleet.kubeconfig(name))]));
  const before = heapUsed();
  const watches = new WorkloadWatches({
    clusterOf: (application) => {
      const config = configs.get(application.spec.destination.server ?? '');
      return config && { key: application.spec.destination.server!, config };
    },
  });
  try {
    for (const application of applications) watches.track(application);
    const until = Date.now() + limitMs;
    while (!applications.every((a) => watches.covers(a))) {
      if (Date.now() > until) throw new Error(`the watches did not list every cluster in ${limitMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const cachedObjects = watches.cachedObjects();
    return { cachedObjects, bytesPerObject: Math.round((heapUsed() - before) / Math.max(1, cachedObjects)) };
  } finally {
    await watches.stop();
  }
}
