import type { Application } from '../api/application.js';
import type { ApplicationSet, ApplicationsSyncPolicy } from '../api/application-set.js';
import { applyIgnoreDifferences } from '../api/ignore-differences.js';
import { contentHash, deepEqual } from '../lib/json-values.js';
import { removalPatch } from '../lib/merge-patch.js';
import { APPLIED_HASH_ANNOTATION } from '../api/annotations.js';

/** Annotations Argo CD always carries over from the live Application (notifications state, refresh and hydrate requests). */
export const DEFAULT_PRESERVED_ANNOTATIONS = ['notified.notifications.argoproj.io', 'argocd.argoproj.io/refresh', 'argocd.argoproj.io/hydrate'];

/** Finalizer prefixes Argo CD keeps on live Applications (pre/post-delete hooks). */
export const PRESERVED_FINALIZER_PREFIXES = ['pre-delete-finalizer.argocd.argoproj.io', 'post-delete-finalizer.argocd.argoproj.io'];

export interface ApplicationChange {
  action: 'create' | 'update';
  /** The full object to server-side apply. */
  application: Application;
  /** A merge patch removing fields other writers added to the spec, when there are any. */
  removals?: Record<string, unknown>;
}

export interface ReconcilePlan {
  changes: ApplicationChange[];
  deletions: Application[];
  /** Set when deletions were due but held back by the delete-ratio guard. */
  held?: { count: number; message: string };
}

export interface PlanOptions {
  policy: ApplicationsSyncPolicy;
  /** Hold all deletions when they exceed this share of the owned Applications (0 < ratio ≤ 1); off when undefined. */
  maxDeleteRatio?: number;
  preservedAnnotations?: string[];
  preservedLabels?: string[];
}

export function allowsUpdate(policy: ApplicationsSyncPolicy): boolean {
  return policy === 'create-update' || policy === 'sync';
}

export function allowsDelete(policy: ApplicationsSyncPolicy): boolean {
  return policy === 'create-delete' || policy === 'sync';
}

/**
 * Argo CD's precedence: the ApplicationSet's own policy counts only when the controller allows
 * policy overrides; otherwise the controller's policy (default `sync`) applies.
 */
export function effectivePolicy(appSet: ApplicationSet, controllerPolicy: ApplicationsSyncPolicy, allowOverride: boolean): ApplicationsSyncPolicy {
  const own = appSet.spec.syncPolicy?.applicationsSync;
  return own && allowOverride ? own : controllerPolicy;
}

/** The Applications an ApplicationSet controls: its controller ownerReference, by uid when known. */
export function isOwnedBy(application: Application, appSet: ApplicationSet): boolean {
  return (application.metadata.ownerReferences ?? []).some(
    (ref) => ref.controller && ref.kind === 'ApplicationSet' && ref.name === appSet.metadata.name && (!appSet.metadata.uid || ref.uid === appSet.metadata.uid),
  );
}

/**
 * The Applications the last plan found needing no write, by the very objects it compared: the
 * generated metadata and spec (a reused generation keeps them) and the live Application (the cache
 * replaces it on any change). A plan that meets the same objects again skips them without building
 * and hashing their bodies, which during a rollout is most of a reconcile of thousands.
 */
export class UnchangedApplications {
  private context = '';
  private readonly seen = new Map<string, { metadata: object; spec: object; live: Application }>();

  /** Forgets everything when what a verdict also depends on (the owner, its preserved and ignored fields, the policy) moved. */
  within(appSet: ApplicationSet, options: PlanOptions): void {
    const context = JSON.stringify([
      appSet.apiVersion,
      appSet.metadata.name,
      appSet.metadata.uid,
      appSet.spec.preservedFields,
      appSet.spec.ignoreApplicationDifferences,
      options,
    ]);
    if (context !== this.context) this.seen.clear();
    this.context = context;
  }

  has(generated: Application, live: Application): boolean {
    const last = this.seen.get(generated.metadata.name);
    return last !== undefined && last.live === live && last.metadata === generated.metadata && last.spec === generated.spec;
  }

  remember(generated: Application, live: Application): void {
    this.seen.set(generated.metadata.name, { metadata: generated.metadata, spec: generated.spec, live });
  }

  forget(name: string): void {
    this.seen.delete(name);
  }
}

/**
 * Desired Applications (from a generation that succeeded) against the ones the ApplicationSet
 * owns → what to create, update and delete. Pure but for `unchanged`, what it remembers of the
 * Applications it found needing no write: the caller writes.
 */
export function planReconcile(
  appSet: ApplicationSet,
  desired: Application[],
  owned: Application[],
  options: PlanOptions,
  unchanged = new UnchangedApplications(),
): ReconcilePlan {
  const live = new Map(owned.map((a) => [a.metadata.name, a]));
  const changes: ApplicationChange[] = [];
  const update = allowsUpdate(options.policy);
  unchanged.within(appSet, options);

  for (const generated of [...desired].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
    const current = live.get(generated.metadata.name);
    if (current && !update) continue;
    // An operation is compared by value and a live one may have been consumed since: those are always compared in full.
    const remembered = current !== undefined && !generated.operation && !current.operation;
    if (remembered && unchanged.has(generated, current)) continue;
    unchanged.forget(generated.metadata.name);
    const application = applyBody(appSet, generated, current, options);
    if (!current) {
      changes.push({ action: 'create', application });
      continue;
    }
    const removals = removalPatch({ spec: application.spec }, { spec: current.spec });
    const same =
      current.metadata.annotations?.[APPLIED_HASH_ANNOTATION] === application.metadata.annotations?.[APPLIED_HASH_ANNOTATION] &&
      !removals &&
      deepEqual(application.spec, current.spec) &&
      // An operation the application controller has consumed since must be written again; one the rollout no longer
      // asks for (aborted, halted) is taken back before a sync starts on it (the sync clears it when it ends).
      (application.operation ? deepEqual(application.operation, current.operation) : !isUnstartedRolloutOperation(current)) &&
      isSubset(application.metadata.labels, current.metadata.labels) &&
      isSubset(application.metadata.annotations, current.metadata.annotations) &&
      (application.metadata.finalizers ?? []).every((f) => current.metadata.finalizers?.includes(f));
    if (!same) changes.push({ action: 'update', application, ...(removals ? { removals } : {}) });
    else if (remembered) unchanged.remember(generated, current);
  }

  const plan: ReconcilePlan = { changes, deletions: [] };
  if (!allowsDelete(options.policy)) return plan;
  const wanted = new Set(desired.map((a) => a.metadata.name));
  const present = owned.filter((a) => !a.metadata.deletionTimestamp);
  const deletions = present.filter((a) => !wanted.has(a.metadata.name));
  const ratio = options.maxDeleteRatio;
  if (ratio !== undefined && deletions.length > 0 && deletions.length / present.length > ratio) {
    plan.held = {
      count: deletions.length,
      message: `deleting ${deletions.length} of ${present.length} Applications at once exceeds the maximum delete ratio ${ratio}; deletions held until the generation recovers or the limit is raised`,
    };
    return plan;
  }
  plan.deletions = deletions;
  return plan;
}

/** The object Regatta applies for one generated Application. */
function applyBody(appSet: ApplicationSet, generated: Application, current: Application | undefined, options: PlanOptions): Application {
  const labels = { ...(generated.metadata.labels ?? {}) };
  const annotations = { ...(generated.metadata.annotations ?? {}) };
  const finalizers = [...(generated.metadata.finalizers ?? [])];
  if (current) {
    const preservedAnnotations = [
      ...(appSet.spec.preservedFields?.annotations ?? []),
      ...(options.preservedAnnotations ?? []),
      ...DEFAULT_PRESERVED_ANNOTATIONS,
    ];
    for (const key of preservedAnnotations) {
      if (current.metadata.annotations?.[key] !== undefined) annotations[key] = current.metadata.annotations[key];
    }
    for (const key of [...(appSet.spec.preservedFields?.labels ?? []), ...(options.preservedLabels ?? [])]) {
      if (current.metadata.labels?.[key] !== undefined) labels[key] = current.metadata.labels[key];
    }
    for (const finalizer of current.metadata.finalizers ?? []) {
      if (PRESERVED_FINALIZER_PREFIXES.some((p) => finalizer.startsWith(p)) && !finalizers.includes(finalizer)) finalizers.push(finalizer);
    }
  }

  const body: Application = {
    apiVersion: generated.apiVersion,
    kind: generated.kind,
    metadata: {
      name: generated.metadata.name,
      namespace: generated.metadata.namespace,
      ...(Object.keys(labels).length ? { labels } : {}),
      annotations,
      ...(finalizers.length ? { finalizers } : {}),
      ownerReferences: [
        {
          apiVersion: appSet.apiVersion,
          kind: 'ApplicationSet',
          name: appSet.metadata.name,
          uid: appSet.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: structuredClone(generated.spec),
    ...(generated.operation ? { operation: generated.operation } : {}),
  };
  applyIgnoreDifferences(
    body as unknown as Record<string, unknown>,
    current as unknown as Record<string, unknown>,
    appSet.spec.ignoreApplicationDifferences,
    generated.metadata.name,
  );
  // Hashes what was generated, not the live values merged in, so a user's change to a preserved or ignored field causes no write.
  // The operation is left out (it is compared on its own): as Argo CD, an operation the application controller consumed
  // is not a reason to write the Application again once the rollout no longer asks for one.
  annotations[APPLIED_HASH_ANNOTATION] = appliedHash(generated, appSet);
  return body;
}

/**
 * The last applied hash of each generated spec: a reused generation gives every reconcile the same
 * generated objects, and during a rollout most Applications are planned again because their
 * status moved, not what was generated.
 */
const appliedHashes = new WeakMap<Application['spec'], { metadata: Application['metadata']; owner?: string; ignore: unknown; hash: string }>();

function appliedHash(generated: Application, appSet: ApplicationSet): string {
  const owner = appSet.metadata.uid;
  const ignore = appSet.spec.ignoreApplicationDifferences;
  const last = appliedHashes.get(generated.spec);
  if (last && last.metadata === generated.metadata && last.owner === owner && deepEqual(last.ignore, ignore)) return last.hash;
  const hash = contentHash({ generated: { metadata: generated.metadata, spec: generated.spec }, owner, ignore });
  appliedHashes.set(generated.spec, { metadata: generated.metadata, owner, ignore: structuredClone(ignore), hash });
  return hash;
}

/** An operation a RollingSync of an ApplicationSet wrote (a sync or a rollback) that no sync has started on. */
const isUnstartedRolloutOperation = (application: Application) =>
  application.operation?.initiatedBy?.username === 'applicationset-controller' && application.status?.operationState?.phase !== 'Running';

/** Every key of `subset` is in `whole` with an equal value. */
export function isSubset(subset: Record<string, string> | undefined, whole: Record<string, string> | undefined): boolean {
  return Object.entries(subset ?? {}).every(([k, v]) => whole?.[k] === v);
}
