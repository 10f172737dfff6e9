import type { KubeObject, ObjectMeta } from './meta.js';

/** argoproj.io/v1alpha1 Application, as Argo CD's CRD defines it (the fields Regatta reads or writes). */

/** The group and version of Argo CD's resources: Application, ApplicationSet, AppProject. */
export const API_VERSION = 'argoproj.io/v1alpha1';
export const APPLICATION_KIND = 'Application';
/** Argo CD's cascade-delete finalizer, added to generated Applications unless resources are preserved. */
export const RESOURCES_FINALIZER = 'resources-finalizer.argocd.argoproj.io';

export interface ApplicationSource {
  repoURL: string;
  path?: string;
  targetRevision?: string;
  chart?: string;
  ref?: string;
  name?: string;
  helm?: Record<string, unknown>;
  kustomize?: Record<string, unknown>;
  directory?: { recurse?: boolean; include?: string; exclude?: string; jsonnet?: Record<string, unknown> };
  plugin?: Record<string, unknown>;
}

export interface ApplicationDestination {
  server?: string;
  namespace?: string;
  name?: string;
}

export interface SyncPolicy {
  automated?: { prune?: boolean; selfHeal?: boolean; allowEmpty?: boolean; enabled?: boolean } | null;
  syncOptions?: string[];
  retry?: Record<string, unknown>;
  managedNamespaceMetadata?: Record<string, unknown>;
}

export interface ResourceIgnoreDifferences {
  group?: string;
  kind: string;
  name?: string;
  namespace?: string;
  jsonPointers?: string[];
  jqPathExpressions?: string[];
  managedFieldsManagers?: string[];
}

export interface ApplicationSpec {
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  destination: ApplicationDestination;
  project: string;
  syncPolicy?: SyncPolicy;
  ignoreDifferences?: ResourceIgnoreDifferences[];
  info?: { name: string; value: string }[];
  revisionHistoryLimit?: number;
  sourceHydrator?: Record<string, unknown>;
}

export type SyncStatusCode = 'Synced' | 'OutOfSync' | 'Unknown';
/** gitops-engine's health codes. */
export type HealthStatus = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';
export type OperationPhase = 'Running' | 'Terminating' | 'Failed' | 'Error' | 'Succeeded';

export interface Health {
  status: HealthStatus;
  message?: string;
}

export interface ResourceKey {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
}

/** One entry of status.resources: a resource the Application tracks, compared with its cluster. */
export interface ResourceStatus extends ResourceKey {
  status: 'Synced' | 'OutOfSync';
  health?: Health;
  requiresPruning?: boolean;
}

/** gitops-engine's sync phases, in the order a sync runs them (SyncFail only when it fails). */
export type SyncPhase = 'PreSync' | 'Sync' | 'PostSync' | 'SyncFail';

/** One entry of syncResult.resources: what a sync did to a resource (hookType only for hooks). */
export interface ResourceResult extends ResourceKey {
  /** Absent for a hook once it ran, as Argo CD reports hooks by their hookPhase. */
  status?: 'Synced' | 'SyncFailed' | 'Pruned' | 'PruneSkipped';
  message: string;
  hookType?: SyncPhase;
  hookPhase?: OperationPhase;
  syncPhase?: SyncPhase;
}

export interface SyncOperation {
  revision?: string;
  revisions?: string[];
  prune?: boolean;
  syncOptions?: string[];
  /** How many self-heal syncs to this revision came before this one (Argo CD's selfHealAttemptsCount). */
  selfHealAttemptsCount?: number;
}

/** A sync asked of Argo CD's application controller: the Application's `operation`, kept in operationState while it runs. */
export interface Operation {
  sync?: SyncOperation;
  initiatedBy?: { username?: string; automated?: boolean };
  info?: { name: string; value: string }[];
  retry?: Record<string, unknown>;
}

export interface OperationState {
  operation?: Operation;
  phase?: OperationPhase;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  syncResult?: { revision?: string; revisions?: string[]; source?: ApplicationSource; sources?: ApplicationSource[]; resources?: ResourceResult[] };
  /** Retries made of this operation so far (operation.retry). */
  retryCount?: number;
}

export interface RevisionHistory {
  id: number;
  revision?: string;
  revisions?: string[];
  deployedAt: string;
  deployStartedAt?: string;
  source?: ApplicationSource;
  sources?: ApplicationSource[];
}

export interface ApplicationCondition {
  type: string;
  message: string;
  lastTransitionTime?: string;
}

/** What a comparison was made against: a changed source or destination makes the status stale. */
export interface ComparedTo {
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  destination: ApplicationDestination;
}

/**
 * The status Argo CD's application controller (or Regatta's, with the direct driver) writes.
 * Every field may be missing: a status is read as whichever controller, if any, last wrote it.
 */
export interface ApplicationStatus {
  sync?: { status?: SyncStatusCode; revision?: string; revisions?: string[]; comparedTo?: ComparedTo };
  health?: Health;
  resources?: ResourceStatus[];
  sourceType?: string;
  sourceTypes?: string[];
  operationState?: OperationState;
  history?: RevisionHistory[];
  conditions?: ApplicationCondition[];
  reconciledAt?: string;
}

export interface Application extends KubeObject {
  apiVersion: typeof API_VERSION;
  kind: typeof APPLICATION_KIND;
  metadata: ObjectMeta & { name: string };
  spec: ApplicationSpec;
  operation?: Operation;
  status?: ApplicationStatus;
}

/** SyncPolicy.IsAutomatedSyncEnabled: an `automated` block without `enabled: false`. */
export function automatedSyncEnabled(application: Application): boolean {
  const automated = application.spec.syncPolicy?.automated;
  return automated !== undefined && automated !== null && automated.enabled !== false;
}
