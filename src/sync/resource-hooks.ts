import type { OperationPhase, SyncPhase } from '../api/application.js';
import {
  HELM_HOOK_ANNOTATION,
  HELM_HOOK_DELETE_POLICY_ANNOTATION,
  HELM_HOOK_WEIGHT_ANNOTATION,
  HOOK_ANNOTATION,
  HOOK_DELETE_POLICY_ANNOTATION,
  HOOK_FINALIZER,
  SYNC_WAVE_ANNOTATION,
} from '../api/annotations.js';
import { resourceHealth } from './health.js';

type Obj = Record<string, any>;

/**
 * Argo CD's resource hooks (gitops-engine's pkg/sync/hook): which objects are hooks, the phases
 * they run in, when they are deleted, and how far one has got.
 */

export type HookType = SyncPhase | 'Skip';
export type HookDeletePolicy = 'HookSucceeded' | 'HookFailed' | 'BeforeHookCreation';

const HOOK_TYPES = new Set<string>(['PreSync', 'Sync', 'PostSync', 'SyncFail', 'Skip']);
const DELETE_POLICIES = new Set<string>(['HookSucceeded', 'HookFailed', 'BeforeHookCreation']);
/** Helm's hooks as Argo CD runs them; others (test, rollback, delete hooks) are not run by a sync. */
const HELM_HOOK_TYPES: Record<string, SyncPhase> = {
  'pre-install': 'PreSync',
  'pre-upgrade': 'PreSync',
  'post-install': 'PostSync',
  'post-upgrade': 'PostSync',
};
const HELM_DELETE_POLICIES: Record<string, HookDeletePolicy> = {
  'before-hook-creation': 'BeforeHookCreation',
  'hook-succeeded': 'HookSucceeded',
  'hook-failed': 'HookFailed',
};

const annotation = (object: Obj, name: string): string | undefined => object.metadata?.annotations?.[name];
/** An annotation's comma-separated values, trimmed, empty ones dropped. */
export const annotationValues = (object: Obj, name: string): string[] =>
  (annotation(object, name) ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

/** Go's strconv.Atoi: a whole decimal integer or nothing. */
const integer = (text: string | undefined): number | undefined => (text !== undefined && /^[+-]?\d+$/.test(text) ? Number(text) : undefined);

/** The hook types of an object: Argo CD's annotation wins; Helm's counts only when Argo CD's names none. */
export function hookTypes(object: Obj): HookType[] {
  const types = annotationValues(object, HOOK_ANNOTATION).filter((t): t is HookType => HOOK_TYPES.has(t));
  if (types.length) return types;
  return annotationValues(object, HELM_HOOK_ANNOTATION)
    .map((t) => HELM_HOOK_TYPES[t])
    .filter((t): t is SyncPhase => t !== undefined);
}

/** `Skip` alone: the object is neither applied nor a hook. */
export const isSkipped = (object: Obj): boolean => {
  const types = hookTypes(object);
  return types.includes('Skip') && types.length === 1;
};

/** As gitops-engine: any Argo CD hook annotation but a lone Skip, or a Helm hook other than Helm 2's crd-install. */
export function isHook(object: Obj): boolean {
  if (annotation(object, HOOK_ANNOTATION) !== undefined) return !isSkipped(object);
  const helm = annotation(object, HELM_HOOK_ANNOTATION);
  return helm !== undefined && helm !== 'crd-install';
}

/** The phases an object is applied in: a hook in each phase it names, any other object in Sync, a skipped one never. */
export function syncPhasesOf(object: Obj): SyncPhase[] {
  if (isSkipped(object)) return [];
  if (!isHook(object)) return ['Sync'];
  return [...new Set(hookTypes(object).filter((t): t is SyncPhase => t !== 'Skip'))];
}

/** Argo CD's policies, then Helm's; BeforeHookCreation when neither names one. */
export function deletePolicies(object: Obj): HookDeletePolicy[] {
  const policies = [
    ...annotationValues(object, HOOK_DELETE_POLICY_ANNOTATION).filter((p): p is HookDeletePolicy => DELETE_POLICIES.has(p)),
    ...annotationValues(object, HELM_HOOK_DELETE_POLICY_ANNOTATION)
      .map((p) => HELM_DELETE_POLICIES[p])
      .filter((p): p is HookDeletePolicy => p !== undefined),
  ];
  return policies.length ? policies : ['BeforeHookCreation'];
}

/** The sync wave; a Helm hook weight stands in when there is no (valid) sync-wave annotation. */
export const waveOf = (object: Obj): number =>
  integer(annotation(object, SYNC_WAVE_ANNOTATION)) ?? integer(annotation(object, HELM_HOOK_WEIGHT_ANNOTATION)) ?? 0;

/**
 * A hook with only generateName gets a name that is the same for every attempt of one sync
 * (gitops-engine: generateName + first 7 characters of the revision, the phase and the start time in seconds).
 */
export function hookName(object: Obj, revision: string, phase: SyncPhase, startedAt: Date): string {
  if (object.metadata?.name) return object.metadata.name;
  const suffix = `${revision.slice(0, revision.length >= 8 ? 7 : revision.length)}-${phase}-${Math.floor(startedAt.getTime() / 1000)}`.toLowerCase();
  return `${object.metadata?.generateName ?? ''}${suffix}`;
}

/** As gitops-engine creates a hook: with its finalizer, which the sync removes once it has read the hook's result. */
export function withHookFinalizer<T extends Obj>(hook: T): T {
  const finalizers: string[] = hook.metadata?.finalizers ?? [];
  if (finalizers.includes(HOOK_FINALIZER)) return hook;
  return { ...hook, metadata: { ...hook.metadata, finalizers: [...finalizers, HOOK_FINALIZER] } };
}

export const holdsHookFinalizer = (object: Obj | undefined): boolean => Boolean(object?.metadata?.finalizers?.includes(HOOK_FINALIZER));

/** How far a live hook has got, judged from its health as gitops-engine does; kinds without a check are done once created. */
export function hookPhase(live: Obj): { phase: OperationPhase; message: string } {
  const health = resourceHealth(live);
  if (!health) return { phase: 'Succeeded', message: `${live.metadata?.name} created` };
  const message = health.message ?? '';
  switch (health.status) {
    case 'Healthy':
      return { phase: 'Succeeded', message };
    case 'Progressing':
    case 'Suspended':
      return { phase: 'Running', message };
    case 'Degraded':
    case 'Unknown':
      return { phase: 'Failed', message };
    default:
      return { phase: 'Succeeded', message: `${live.metadata?.name} created` };
  }
}
