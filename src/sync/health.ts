/**
 * Resource health as Argo CD's built-in checks (gitops-engine's pkg/health) assess it. Kinds
 * without a check have no health and do not count; a kind at an API version the check does not
 * know is Unknown, as gitops-engine reports it.
 */

import { HOOK_FINALIZER } from '../api/annotations.js';
import type { Health, HealthStatus } from '../api/application.js';
import { autoscalerHealth } from './autoscaler-health.js';
import { podHealth } from './pod-health.js';

type Obj = Record<string, any>;

/** gitops-engine's order: a later status is worse, and an Application is as healthy as its worst resource. */
const ORDER: HealthStatus[] = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'];

export function isWorse(a: HealthStatus, b: HealthStatus): boolean {
  return ORDER.indexOf(a) > ORDER.indexOf(b);
}

export function worstHealth(healths: Health[]): Health {
  return healths.reduce<Health>((worst, h) => (isWorse(h.status, worst.status) ? h : worst), { status: 'Healthy' });
}

const list = (value: unknown): Obj[] => (Array.isArray(value) ? value.filter((v) => v && typeof v === 'object') : []);
const count = (value: unknown): number => (typeof value === 'number' ? value : 0);
const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const condition = (object: Obj, type: string): Obj | undefined => list(object.status?.conditions).find((c) => c.type === type);
/** The spec's replica count, or undefined when unset: gitops-engine then skips the checks that need it. */
const desiredReplicas = (object: Obj): number | undefined => (typeof object.spec?.replicas === 'number' ? object.spec.replicas : undefined);
const observed = (object: Obj) => count(object.metadata?.generation) <= count(object.status?.observedGeneration);

function deployment(object: Obj): Health {
  if (object.spec?.paused === true) return { status: 'Suspended', message: 'Deployment is paused' };
  if (!observed(object))
    return { status: 'Progressing', message: 'Waiting for rollout to finish: observed deployment generation less than desired generation' };
  const status: Obj = object.status ?? {};
  const replicas = desiredReplicas(object);
  const updated = count(status.updatedReplicas);
  const available = count(status.availableReplicas);
  if (condition(object, 'Progressing')?.reason === 'ProgressDeadlineExceeded')
    return { status: 'Degraded', message: `Deployment "${text(object.metadata?.name)}" exceeded its progress deadline` };
  if (replicas !== undefined && updated < replicas)
    return { status: 'Progressing', message: `Waiting for rollout to finish: ${updated} out of ${replicas} new replicas have been updated...` };
  if (count(status.replicas) > updated)
    return { status: 'Progressing', message: `Waiting for rollout to finish: ${count(status.replicas) - updated} old replicas are pending termination...` };
  if (available < updated)
    return { status: 'Progressing', message: `Waiting for rollout to finish: ${available} of ${updated} updated replicas are available...` };
  return { status: 'Healthy' };
}

function replicaSet(object: Obj): Health {
  if (!observed(object))
    return { status: 'Progressing', message: 'Waiting for rollout to finish: observed replica set generation less than desired generation' };
  const failure = condition(object, 'ReplicaFailure');
  if (failure?.status === 'True') return { status: 'Degraded', message: text(failure.message) };
  const replicas = desiredReplicas(object);
  const available = count(object.status?.availableReplicas);
  if (replicas !== undefined && available < replicas)
    return { status: 'Progressing', message: `Waiting for rollout to finish: ${available} out of ${replicas} new replicas are available...` };
  return { status: 'Healthy' };
}

function statefulSet(object: Obj): Health {
  const status: Obj = object.status ?? {};
  if (!count(status.observedGeneration) || !observed(object))
    return { status: 'Progressing', message: 'Waiting for statefulset spec update to be observed...' };
  const replicas = desiredReplicas(object);
  const ready = count(status.readyReplicas);
  const updated = count(status.updatedReplicas);
  if (replicas !== undefined && ready < replicas) return { status: 'Progressing', message: `Waiting for ${replicas - ready} pods to be ready...` };
  const strategy: Obj = object.spec?.updateStrategy ?? {};
  // gitops-engine: any RollingUpdate strategy with a rollingUpdate block is judged by its partition alone.
  if (strategy.type === 'RollingUpdate' && strategy.rollingUpdate && typeof strategy.rollingUpdate === 'object') {
    const partition = strategy.rollingUpdate.partition;
    if (replicas !== undefined && typeof partition === 'number' && updated < replicas - partition) {
      return {
        status: 'Progressing',
        message: `Waiting for partitioned roll out to finish: ${updated} out of ${replicas - partition} new pods have been updated...`,
      };
    }
    return { status: 'Healthy', message: `partitioned roll out complete: ${updated} new pods have been updated...` };
  }
  if (strategy.type === 'OnDelete') return { status: 'Healthy', message: `statefulset has ${ready} ready pods` };
  const [current, update] = [text(status.currentRevision), text(status.updateRevision)];
  if (update !== current)
    return { status: 'Progressing', message: `waiting for statefulset rolling update to complete ${updated} pods at revision ${update}...` };
  return { status: 'Healthy', message: `statefulset rolling update complete ${count(status.currentReplicas)} pods at revision ${current}...` };
}

function daemonSet(object: Obj): Health {
  const status: Obj = object.status ?? {};
  if (!observed(object))
    return { status: 'Progressing', message: 'Waiting for rollout to finish: observed daemon set generation less than desired generation' };
  const name = text(object.metadata?.name);
  const [desired, updated, available] = [count(status.desiredNumberScheduled), count(status.updatedNumberScheduled), count(status.numberAvailable)];
  if (object.spec?.updateStrategy?.type === 'OnDelete')
    return { status: 'Healthy', message: `daemon set ${updated} out of ${desired} new pods have been updated` };
  if (updated < desired)
    return { status: 'Progressing', message: `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...` };
  if (available < desired)
    return { status: 'Progressing', message: `Waiting for daemon set "${name}" rollout to finish: ${available} of ${desired} updated pods are available...` };
  return { status: 'Healthy' };
}

/**
 * gitops-engine reads a Job's conditions by type alone: a Failed or Complete condition ends it
 * whatever its status, a Suspended one ends it too and suspends it only while True.
 */
function job(object: Obj): Health {
  let [failed, complete, suspended] = [false, false, false];
  let [failMessage, message] = ['', ''];
  for (const c of list(object.status?.conditions)) {
    if (c.type === 'Failed') [failed, complete, failMessage] = [true, true, text(c.message)];
    else if (c.type === 'Complete') [complete, message] = [true, text(c.message)];
    else if (c.type === 'Suspended') [complete, message, suspended] = [true, text(c.message), suspended || c.status === 'True'];
  }
  if (!complete) return { status: 'Progressing', message };
  if (failed) return { status: 'Degraded', message: failMessage };
  // gitops-engine reports a suspended Job with the (empty) failure message.
  if (suspended) return { status: 'Suspended', message: failMessage };
  return { status: 'Healthy', message };
}

const loadBalanced = (object: Obj): Health => (list(object.status?.loadBalancer?.ingress).length ? { status: 'Healthy' } : { status: 'Progressing' });

const service = (object: Obj): Health => (object.spec?.type === 'LoadBalancer' ? loadBalanced(object) : { status: 'Healthy' });

const CLAIM_PHASES: Record<string, HealthStatus> = { Lost: 'Degraded', Pending: 'Progressing', Bound: 'Healthy' };
const persistentVolumeClaim = (object: Obj): Health => ({ status: CLAIM_PHASES[text(object.status?.phase)] ?? 'Unknown' });

function apiService(object: Obj): Health {
  const available = condition(object, 'Available');
  if (!available) return { status: 'Progressing', message: 'Waiting to be processed' };
  return { status: available.status === 'True' ? 'Healthy' : 'Progressing', message: `${text(available.reason)}: ${text(available.message)}` };
}

/** Argo Workflows, often run as hooks: done when Succeeded, failed on Failed or Error. */
function workflow(object: Obj): Health {
  const message = text(object.status?.message);
  switch (text(object.status?.phase)) {
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

interface Check {
  /** The API versions the check reads; any version when absent. */
  versions?: string[];
  health(object: Obj, version: string): Health;
}

const CHECKS: Record<string, Check> = {
  'apps/Deployment': { versions: ['v1'], health: deployment },
  'apps/ReplicaSet': { versions: ['v1'], health: replicaSet },
  'apps/StatefulSet': { versions: ['v1'], health: statefulSet },
  'apps/DaemonSet': { versions: ['v1'], health: daemonSet },
  'batch/Job': { versions: ['v1'], health: job },
  '/Pod': { versions: ['v1'], health: podHealth },
  '/Service': { versions: ['v1'], health: service },
  '/PersistentVolumeClaim': { versions: ['v1'], health: persistentVolumeClaim },
  'networking.k8s.io/Ingress': { health: loadBalanced },
  'extensions/Ingress': { health: loadBalanced },
  'apiregistration.k8s.io/APIService': { versions: ['v1', 'v1beta1'], health: apiService },
  'autoscaling/HorizontalPodAutoscaler': { versions: ['v1', 'v2beta1', 'v2beta2', 'v2'], health: autoscalerHealth },
  'argoproj.io/Workflow': { health: workflow },
};

/** The names gitops-engine's messages give these kinds. */
const KIND_NAMES: Record<string, string> = { HorizontalPodAutoscaler: 'HPA' };

/** The health of one live object, or undefined for kinds Argo CD has no check for. */
export function resourceHealth(object: Obj): Health | undefined {
  const apiVersion = text(object.apiVersion);
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
  const finalizers: unknown[] = Array.isArray(object.metadata?.finalizers) ? object.metadata.finalizers : [];
  if (object.metadata?.deletionTimestamp && !finalizers.includes(HOOK_FINALIZER)) return { status: 'Progressing', message: 'Pending deletion' };
  const kind = text(object.kind);
  const check = CHECKS[`${group}/${kind}`];
  if (!check) return undefined;
  if (check.versions && !check.versions.includes(version))
    return { status: 'Unknown', message: `unsupported ${KIND_NAMES[kind] ?? kind} GVK: ${group}/${version}, Kind=${kind}` };
  const health = check.health(object, version);
  return health.message ? health : { status: health.status };
}

/** Health that changes on its own after a sync (workloads rolling out, objects still being created): followed until it settles. */
export const isSettling = (health: string | undefined) => health === 'Progressing' || health === 'Missing';
