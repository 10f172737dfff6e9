import type { ApplicationSetRolloutStep } from '../src/api/application-set.js';
import type { ClusterStore } from '../src/sim/cluster-store.js';
import { maxUpdateFor } from '../src/rollout/steps.js';

interface Workload {
  /** Regatta's first write of the Deployment in this rollout: its sync started (its step let it go). */
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
      if (!workload) byObject.set(key, { applied: write.at });
    } else if (workload && workload.ready === undefined) workload.ready = write.at;
  }
  return [...byObject.values()];
}

const ms = (ns: bigint) => Number(ns) / 1e6;

/**
 * The time from a workload turning healthy to the rollout going on because of it, in ms, one
 * sample per release it caused: between steps, from the last workload of a step turning healthy to
 * the next step's first sync; within a step held by maxUpdate (a sliding window of W Applications),
 * from the i-th workload turning healthy to the (i + W)-th sync of that step, the slot it freed.
 */
export function healthToStepSamples(stores: { store: ClusterStore; env: string }[], steps: ApplicationSetRolloutStep[], sinceNs: bigint): number[] {
  const envOf = (step: ApplicationSetRolloutStep) => String(step.matchExpressions?.[0]?.values?.[0]);
  const perStep = steps.map((step) => stores.filter((s) => s.env === envOf(step)).flatMap((s) => workloads(s.store, sinceNs)));
  const samples: number[] = [];
  for (const [index, step] of perStep.entries()) {
    const applied = step.map((w) => w.applied).sort((a, b) => (a < b ? -1 : 1));
    const ready = step.flatMap((w) => (w.ready === undefined ? [] : [w.ready])).sort((a, b) => (a < b ? -1 : 1));
    const window = maxUpdateFor(steps[index].maxUpdate, step.length).limit;
    for (let i = window; i < applied.length && i - window < ready.length; i++) samples.push(ms(applied[i] - ready[i - window]));
    const next = perStep[index + 1]?.map((w) => w.applied).sort((a, b) => (a < b ? -1 : 1))[0];
    if (next !== undefined && ready.length === step.length && ready.length) samples.push(ms(next - ready[ready.length - 1]));
  }
  return samples;
}

export function percentile(values: number[], p: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
