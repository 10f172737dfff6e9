/**
 * Resource health as Argo CD's built-in checks (gitops-engine's pkg/health) assess it, for the
 * kinds a fleet rollout deploys. Kinds without a check have no health and do not count.
 */

import { HOOK_FINALIZER } from '../api/annotations.js';
import type { Health, HealthStatus } from '../api/application.js';

type Obj = Record<string, any>;

/** gitops-engine's order: a later status is worse, and an Application is as healthy as its worst resource. */
const ORDER: HealthStatus[] = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'];

export function isWorse(a: HealthStatus, b: HealthStatus): boolean {
  return ORDER.indexOf(a) > ORDER.indexOf(b);
}

export function worstHealth(healths: Health[]): Health {
  return healths.reduce<Health>((worst, h) => (isWorse(h.status, worst.status) ? h : worst), { status: 'Healthy' });
}

const condition = (object: Obj, type: string) => (object.status?.conditions ?? []).find((c: Obj) => c.type === type);
const stale = (object: Obj) => (object.metadata?.generation ?? 0) > (object.status?.observedGeneration ?? 0);

function deployment(object: Obj): Health {
  if (object.spec?.paused) return { status: 'Suspended', message: 'Deployment is paused' };
  if (stale(object)) return { status: 'Progressing', message: 'Waiting for rollout to finish: observed deployment generation less than desired generation' };
  const status = object.status ?? {};
  if (condition(object, 'Progressing')?.reason === 'ProgressDeadlineExceeded')
    return { status: 'Degraded', message: `Deployment "${object.metadata.name}" exceeded its progress deadline` };
  const replicas = object.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  if (updated < replicas)
    return { status: 'Progressing', message: `Waiting for rollout to finish: ${updated} out of ${replicas} new replicas have been updated...` };
  if ((status.replicas ?? 0) > updated)
    return { status: 'Progressing', message: `Waiting for rollout to finish: ${(status.replicas ?? 0) - updated} old replicas are pending termination...` };
  if ((status.availableReplicas ?? 0) < updated)
    return {
      status: 'Progressing',
      message: `Waiting for rollout to finish: ${status.availableReplicas ?? 0} of ${updated} updated replicas are available...`,
    };
  return { status: 'Healthy' };
}

function statefulSet(object: Obj): Health {
  const status = object.status ?? {};
  if (!status.observedGeneration || stale(object)) return { status: 'Progressing', message: 'Waiting for statefulset spec update to be observed...' };
  const replicas = object.spec?.replicas ?? 1;
  if ((status.readyReplicas ?? 0) < replicas)
    return { status: 'Progressing', message: `Waiting for ${replicas - (status.readyReplicas ?? 0)} pods to be ready...` };
  const strategy = object.spec?.updateStrategy ?? {};
  if (strategy.type === 'RollingUpdate' && strategy.rollingUpdate?.partition) {
    const expected = replicas - strategy.rollingUpdate.partition;
    if ((status.updatedReplicas ?? 0) < expected) {
      return {
        status: 'Progressing',
        message: `Waiting for partitioned roll out to finish: ${status.updatedReplicas ?? 0} out of ${expected} new pods have been updated...`,
      };
    }
    return { status: 'Healthy', message: `partitioned roll out complete: ${status.updatedReplicas ?? 0} new pods have been updated...` };
  }
  if (strategy.type === 'OnDelete') return { status: 'Healthy', message: `statefulset has ${status.readyReplicas ?? 0} ready pods` };
  if (status.updateRevision !== status.currentRevision) {
    return {
      status: 'Progressing',
      message: `waiting for statefulset rolling update to complete ${status.updatedReplicas ?? 0} pods at revision ${status.updateRevision}...`,
    };
  }
  return { status: 'Healthy', message: `statefulset rolling update complete ${status.currentReplicas ?? 0} pods at revision ${status.currentRevision}...` };
}

function daemonSet(object: Obj): Health {
  const status = object.status ?? {};
  if (stale(object)) return { status: 'Progressing', message: 'Waiting for rollout to finish: observed daemon set generation less than desired generation' };
  const desired = status.desiredNumberScheduled ?? 0;
  if (object.spec?.updateStrategy?.type === 'OnDelete')
    return { status: 'Healthy', message: `daemon set ${status.updatedNumberScheduled ?? 0} out of ${desired} new pods have been updated` };
  if ((status.updatedNumberScheduled ?? 0) < desired) {
    return {
      status: 'Progressing',
      message: `Waiting for daemon set "${object.metadata.name}" rollout to finish: ${status.updatedNumberScheduled ?? 0} out of ${desired} new pods have been updated...`,
    };
  }
  if ((status.numberAvailable ?? 0) < desired) {
    return {
      status: 'Progressing',
      message: `Waiting for daemon set "${object.metadata.name}" rollout to finish: ${status.numberAvailable ?? 0} of ${desired} updated pods are available...`,
    };
  }
  return { status: 'Healthy' };
}

function job(object: Obj): Health {
  for (const c of object.status?.conditions ?? []) {
    if (c.status !== 'True') continue;
    if (c.type === 'Failed') return { status: 'Degraded', message: c.message };
    if (c.type === 'Complete') return { status: 'Healthy', message: c.message };
    if (c.type === 'Suspended') return { status: 'Suspended', message: c.message };
  }
  return { status: 'Progressing', message: object.status?.conditions?.[0]?.message };
}

function pod(object: Obj): Health {
  const status = object.status ?? {};
  switch (status.phase) {
    case 'Pending':
      return { status: 'Progressing', message: status.message };
    case 'Succeeded':
      return { status: 'Healthy', message: status.message };
    case 'Failed':
      return { status: 'Degraded', message: status.message };
    case 'Running': {
      if (object.spec?.restartPolicy && object.spec.restartPolicy !== 'Always') return { status: 'Progressing', message: status.message };
      const waiting = (status.containerStatuses ?? []).find(
        (c: Obj) =>
          c.state?.waiting?.reason === 'CrashLoopBackOff' || c.state?.waiting?.reason === 'ImagePullBackOff' || c.state?.waiting?.reason === 'ErrImagePull',
      );
      if (waiting) return { status: 'Degraded', message: waiting.state.waiting.message };
      return condition(object, 'Ready')?.status === 'True'
        ? { status: 'Healthy', message: status.message }
        : { status: 'Progressing', message: status.message };
    }
    default:
      return { status: 'Unknown', message: status.message };
  }
}

const loadBalanced = (object: Obj): Health => ((object.status?.loadBalancer?.ingress ?? []).length ? { status: 'Healthy' } : { status: 'Progressing' });

function persistentVolumeClaim(object: Obj): Health {
  switch (object.status?.phase) {
    case 'Lost':
      return { status: 'Degraded' };
    case 'Pending':
      return { status: 'Progressing' };
    case 'Bound':
      return { status: 'Healthy' };
    default:
      return { status: 'Unknown' };
  }
}

/** Argo Workflows, often run as hooks: done when Succeeded, failed on Failed or Error. */
function workflow(object: Obj): Health {
  const message = object.status?.message;
  switch (object.status?.phase ?? '') {
    case '':
    case 'Pending':
    case 'Running':
      return { status: 'Progressing', message };
    case 'Succeeded':
      return { status: 'Healthy', message };
    case 'Failed':
    case 'Error':
      return { status: 'Degraded', message };
    default:
      return { status: 'Unknown', message };
  }
}

const CHECKS: Record<string, (object: Obj) => Health> = {
  'apps/Deployment': deployment,
  'apps/StatefulSet': statefulSet,
  'apps/DaemonSet': daemonSet,
  'batch/Job': job,
  '/Pod': pod,
  '/Service': (object) => (object.spec?.type === 'LoadBalancer' ? loadBalanced(object) : { status: 'Healthy' }),
  '/PersistentVolumeClaim': persistentVolumeClaim,
  'networking.k8s.io/Ingress': loadBalanced,
  'extensions/Ingress': loadBalanced,
  'argoproj.io/Workflow': workflow,
};

/** The health of one live object, or undefined for kinds Argo CD has no check for. */
export function resourceHealth(object: Obj): Health | undefined {
  const group = String(object.apiVersion ?? '').includes('/') ? String(object.apiVersion).split('/')[0] : '';
  // As gitops-engine: a hook held by its finalizer is still running or done, whoever deleted it.
  if (object.metadata?.deletionTimestamp && !object.metadata?.finalizers?.includes(HOOK_FINALIZER))
    return { status: 'Progressing', message: 'Pending deletion' };
  const check = CHECKS[`${group}/${object.kind}`];
  if (!check) return undefined;
  const health = check(object);
  return health.message === undefined ? { status: health.status } : health;
}

/** Health that changes on its own after a sync (workloads rolling out, objects still being created): followed until it settles. */
export const isSettling = (health: string | undefined) => health === 'Progressing' || health === 'Missing';
