import type { KubeObject, ObjectMeta } from './meta.js';

/** argoproj.io/v1alpha1 Application, as Argo CD's CRD defines it (the fields Regatta reads or writes). */

export const APPLICATION_API_VERSION = 'argoproj.io/v1alpha1';
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

export interface Application extends KubeObject {
  apiVersion: typeof APPLICATION_API_VERSION;
  kind: typeof APPLICATION_KIND;
  metadata: ObjectMeta & { name: string };
  spec: ApplicationSpec;
  operation?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** SyncPolicy.IsAutomatedSyncEnabled: an `automated` block without `enabled: false`. */
export function automatedSyncEnabled(application: Application): boolean {
  const automated = application.spec.syncPolicy?.automated;
  return automated !== undefined && automated !== null && automated.enabled !== false;
}
