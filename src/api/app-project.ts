import { API_VERSION, type ApplicationDestination } from './application.js';
import type { KubeObject, ObjectMeta } from './meta.js';

/** argoproj.io/v1alpha1 AppProject: the tenancy boundary of Argo CD (the fields Regatta enforces). */

export const APP_PROJECT_KIND = 'AppProject';
/** The project Argo CD's API server creates at start-up, open to every repository and destination. */
export const DEFAULT_PROJECT_NAME = 'default';

export interface GroupKind {
  group: string;
  kind: string;
}

/** A cluster-scoped resource rule; `name` (a glob) narrows it to some objects of the kind. */
export interface ClusterResourceRestrictionItem extends GroupKind {
  name?: string;
}

export interface SyncWindow {
  /** `allow` or `deny`. */
  kind?: string;
  /** A cron schedule (minute hour day-of-month month day-of-week) at which the window opens. */
  schedule?: string;
  /** How long the window stays open once opened, e.g. `1h30m`. */
  duration?: string;
  applications?: string[];
  namespaces?: string[];
  clusters?: string[];
  /** Manual syncs are allowed while a deny window is active (or outside an allow window). */
  manualSync?: boolean;
  /** IANA zone the schedule is read in; UTC when empty. */
  timeZone?: string;
  /** All matchers must match, instead of any. */
  andOperator?: boolean;
  description?: string;
  /** A sync that started inside an allow window may finish after it closes. */
  syncOverrun?: boolean;
}

/** Which ServiceAccount syncs to a destination run as (impersonation); server and namespace are globs. */
export interface ApplicationDestinationServiceAccount {
  server: string;
  namespace?: string;
  defaultServiceAccount: string;
}

export interface AppProjectSpec {
  sourceRepos?: string[];
  destinations?: ApplicationDestination[];
  description?: string;
  clusterResourceWhitelist?: ClusterResourceRestrictionItem[];
  clusterResourceBlacklist?: ClusterResourceRestrictionItem[];
  namespaceResourceWhitelist?: GroupKind[];
  namespaceResourceBlacklist?: GroupKind[];
  syncWindows?: SyncWindow[];
  /** Namespaces (globs) outside Argo CD's own whose Applications may use this project. */
  sourceNamespaces?: string[];
  /** Only clusters registered with `project: <this project>` are destinations. */
  permitOnlyProjectScopedClusters?: boolean;
  destinationServiceAccounts?: ApplicationDestinationServiceAccount[];
  roles?: unknown[];
  orphanedResources?: unknown;
}

export interface AppProject extends KubeObject {
  metadata: ObjectMeta & { name: string };
  spec: AppProjectSpec;
}

/** The `default` project as Argo CD's API server creates it when it is missing. */
export function defaultAppProject(namespace: string): AppProject {
  return {
    apiVersion: API_VERSION,
    kind: APP_PROJECT_KIND,
    metadata: { name: DEFAULT_PROJECT_NAME, namespace },
    spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }], clusterResourceWhitelist: [{ group: '*', kind: '*' }] },
  };
}
