import type { ClusterStore, WatchEvent } from './cluster-store.js';

type Obj = Record<string, any>;

export interface WorkloadOptions {
  /** How long a workload takes to become ready (or to fail). */
  readyDelayMs: number;
  /** A container image containing this text makes the workload fail. */
  failImage: string;
}

/** An annotation a test puts on a workload to make it fail. */
export const FAIL_ANNOTATION = 'sim.regatta.dev/fail';

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

/**
 * What kwok does for a real API server: workloads move to ready (or complete) after a delay, as
 * their controllers and kubelets would report it; a chosen image or annotation makes them fail,
 * so health gates can be tested.
 */
export class WorkloadSimulator {
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Every workload of this cluster fails (a bad node pool, a broken dependency): for halting rollouts in tests. */
  failAll = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: ClusterStore,
    private readonly options: WorkloadOptions,
  ) {
    this.unsubscribe = store.subscribe((event) => this.observe(event));
  }

  stop(): void {
    this.unsubscribe();
    for (const timer of this.timers) clearTimeout(timer);
  }

  private observe(event: WatchEvent): void {
    const object = event.object;
    if (event.type === 'DELETED' || !WORKLOAD_KINDS.has(event.type_.kind)) return;
    if (object.status?.observedGeneration === object.metadata.generation) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const live = this.store.get(event.type_, object.metadata.namespace, object.metadata.name);
      if (!live || live.metadata.generation !== object.metadata.generation) return;
      const status = this.failing(live) ? failedStatus(live) : readyStatus(live);
      this.store.update(event.type_, live, { ...structuredClone(live), status }, 'sim-kubelet', 'status', 'sim-kubelet', undefined, 'patch');
    }, this.options.readyDelayMs);
    timer.unref?.();
    this.timers.add(timer);
  }

  private failing(object: Obj): boolean {
    if (this.failAll || object.metadata.annotations?.[FAIL_ANNOTATION] === 'true') return true;
    const containers: Obj[] = object.spec?.template?.spec?.containers ?? [];
    return containers.some((c) => String(c.image ?? '').includes(this.options.failImage));
  }
}

function readyStatus(object: Obj): Obj {
  const generation = object.metadata.generation;
  const replicas = object.spec?.replicas ?? 1;
  switch (object.kind) {
    case 'Job':
      return { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] };
    case 'DaemonSet':
      return {
        observedGeneration: generation,
        desiredNumberScheduled: 1,
        currentNumberScheduled: 1,
        updatedNumberScheduled: 1,
        numberReady: 1,
        numberAvailable: 1,
      };
    case 'StatefulSet':
      return {
        observedGeneration: generation,
        replicas,
        readyReplicas: replicas,
        currentReplicas: replicas,
        updatedReplicas: replicas,
        availableReplicas: replicas,
        currentRevision: `${object.metadata.name}-${generation}`,
        updateRevision: `${object.metadata.name}-${generation}`,
      };
    default:
      return {
        observedGeneration: generation,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        conditions: [
          { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
          { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
        ],
      };
  }
}

function failedStatus(object: Obj): Obj {
  const generation = object.metadata.generation;
  if (object.kind === 'Job')
    return {
      failed: 1,
      conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }],
    };
  return {
    observedGeneration: generation,
    replicas: object.spec?.replicas ?? 1,
    updatedReplicas: object.spec?.replicas ?? 1,
    readyReplicas: 0,
    availableReplicas: 0,
    conditions: [
      { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${object.metadata.name}" has timed out progressing.` },
    ],
  };
}
