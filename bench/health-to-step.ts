import type { ApplicationSetRolloutStep } from '../src/api/application-set.js';
import type { ClusterStore } from '../src/sim/cluster-store.js';
import { maxUpdateFor } from '../src/rollout/steps.js';

/**
 * When each Application's sync was released: the first stored version of it that carries a sync
 * operation, heard from the management cluster's store as the write lands (the bench holds the
 * simulator, so no client's view or clock is involved). A release is the rollout going on; the sync
 * itself then waits its turn among the workers.
 */
export class ReleaseLog {
  private readonly released = new Map<string, { at: bigint; server: string }>();
  /** After its release, when each Application first reported its sync succeeded and its workload Healthy, by destination server/namespace. */
  private readonly reported = new Map<string, bigint>();
  /** Each Application's operation as last seen: one left over from an earlier rollout is no release. */
  private readonly operations = new Map<string, string>();
  private readonly stop: () => void;

  constructor(management: ClusterStore) {
    this.stop = management.subscribe(({ type_, object }) => {
      const { metadata, operation, spec, status } = object as {
        metadata?: { name?: string };
        operation?: unknown;
        spec?: { destination?: { server?: string; namespace?: string } };
        status?: { health?: { status?: string }; operationState?: { phase?: string } };
      };
      if (type_.kind !== 'Application' || !metadata?.name) return;
      const place = `${spec?.destination?.server}/${spec?.destination?.namespace}`;
      if (this.released.has(metadata.name) && !this.reported.has(place) && status?.operationState?.phase === 'Succeeded' && status.health?.status === 'Healthy')
        this.reported.set(place, process.hrtime.bigint());
      if (!operation) return;
      const written = JSON.stringify(operation);
      if (this.operations.get(metadata.name) === written) return;
      this.operations.set(metadata.name, written);
      if (!this.released.has(metadata.name)) this.released.set(metadata.name, { at: process.hrtime.bigint(), server: spec?.destination?.server ?? '' });
    });
  }

  /** Forgets the releases seen so far: the next rollout's are recorded afresh. */
  clear(): void {
    this.released.clear();
    this.reported.clear();
  }

  /** When the Application deploying to `namespace` on `server` reported its workload Healthy after its release. */
  reportedAt(server: string, namespace: string): bigint | undefined {
    return this.reported.get(`${server}/${namespace}`);
  }

  /** Release times by destination server. */
  byServer(): Map<string, bigint[]> {
    const byServer = new Map<string, bigint[]>();
    for (const { at, server } of this.released.values()) {
      const times = byServer.get(server);
      if (times) times.push(at);
      else byServer.set(server, [at]);
    }
    return byServer;
  }

  close(): void {
    this.stop();
  }
}

interface Workload {
  namespace: string;
  /** Regatta's first write of the Deployment in this rollout: its sync started. */
  applied: bigint;
  /** The simulated kubelet's readiness write after that: the workload turned healthy. */
  ready?: bigint;
}

/** Each Application's Deployment in one rollout, from a cluster's write log. */
function workloads(store: ClusterStore, sinceNs: bigint): Workload[] {
  const byObject = new Map<string, Workload>();
  for (const write of store.writes) {
    if (write.kind !== 'Deployment' || write.at < sinceNs) continue;
    const key = `${write.namespace}/${write.name}`;
    const workload = byObject.get(key);
    if (write.identity !== 'sim-kubelet') {
      if (!workload) byObject.set(key, { namespace: write.namespace ?? '', applied: write.at });
    } else if (workload && workload.ready === undefined) workload.ready = write.at;
  }
  return [...byObject.values()];
}

const ms = (ns: bigint) => Number(ns) / 1e6;
const ascending = (times: bigint[]) => [...times].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

export interface FleetCluster {
  store: ClusterStore;
  server: string;
  env: string;
}

/**
 * The time from a workload turning healthy to the rollout going on because of it, in ms, one
 * sample per release it caused: between steps, from the last workload of a step turning healthy to
 * the next step's first release; within a step held by maxUpdate (a sliding window of W
 * Applications), from the i-th workload turning healthy to the (i + W)-th release of that step, the
 * slot it freed. `goOn` says what counts as the rollout going on: the release (the sync operation
 * written: `toRelease`) or the sync's first write to the cluster (`toSync`, which adds the time the
 * sync waited for a worker).
 */
export function healthToStepSamples(
  clusters: FleetCluster[],
  steps: ApplicationSetRolloutStep[],
  sinceNs: bigint,
  releases: Map<string, bigint[]>,
): { toRelease: number[]; toSync: number[] } {
  const envOf = (step: ApplicationSetRolloutStep) => String(step.matchExpressions?.[0]?.values?.[0]);
  // Each cluster's write log read once: at 1,000 clusters it holds every write of the run.
  const withWorkloads = clusters.map((c) => ({ ...c, workloads: workloads(c.store, sinceNs) }));
  const inStep = steps.map((step) => withWorkloads.filter((c) => c.env === envOf(step)));
  const ready = inStep.map((members) => ascending(members.flatMap((c) => c.workloads.flatMap((w) => (w.ready === undefined ? [] : [w.ready])))));
  const size = inStep.map((members) => members.reduce((n, c) => n + c.workloads.length, 0));
  const samplesTo = (goOn: bigint[][]) => {
    const samples: number[] = [];
    for (const [index, step] of steps.entries()) {
      const window = maxUpdateFor(step.maxUpdate, size[index]).limit;
      for (let i = window; i < goOn[index].length && i - window < ready[index].length; i++) samples.push(ms(goOn[index][i] - ready[index][i - window]));
      const next = goOn[index + 1]?.[0];
      if (next !== undefined && ready[index].length === size[index] && size[index]) samples.push(ms(next - ready[index][size[index] - 1]));
    }
    return samples;
  };
  return {
    toRelease: samplesTo(inStep.map((members) => ascending(members.flatMap((c) => releases.get(c.server) ?? [])))),
    toSync: samplesTo(inStep.map((members) => ascending(members.flatMap((c) => c.workloads.map((w) => w.applied))))),
  };
}

/**
 * The application controller's share of the time to a step going on: from each workload turning
 * healthy to its Application reporting so (sync succeeded, Healthy), in ms. What is left of the
 * time to the release is the ApplicationSet controller's.
 */
export function healthToReportSamples(clusters: FleetCluster[], sinceNs: bigint, releases: ReleaseLog): number[] {
  return clusters.flatMap((c) =>
    workloads(c.store, sinceNs).flatMap((w) => {
      const reported = releases.reportedAt(c.server, w.namespace);
      return w.ready === undefined || reported === undefined ? [] : [ms(reported - w.ready)];
    }),
  );
}

export function percentile(values: number[], p: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
