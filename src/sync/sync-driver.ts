import type { Revisions } from './application-sources.js';
import type { Application, ApplicationSource, Health, ResourceKey, ResourceResult, ResourceStatus } from '../api/application.js';

/** What a refresh finds: the fields of an Application's status that Argo CD's comparison writes. */
export interface Comparison extends Revisions {
  sourceType: string;
  /** A multi-source Application's, one per source ('' for a source that only provides files). */
  sourceTypes?: string[];
  sync: 'Synced' | 'OutOfSync';
  health: Health;
  resources: ResourceStatus[];
}

export interface SyncRequest {
  /** Sync to this revision instead of the source's targetRevision (a rollback). */
  revision?: string;
  /** A multi-source Application's commits, one per source. */
  revisions?: string[];
  prune: boolean;
  /** Write to the destination as this user (a project's destinationServiceAccounts entry). */
  impersonate?: string;
  /** Argo CD's ApplyOutOfSyncOnly=true: objects whose live state already holds the manifest are not applied again. */
  applyOutOfSyncOnly?: boolean;
  /** The operation's sync options, on top of the Application's syncPolicy.syncOptions. */
  syncOptions?: string[];
  /** When the operation started: hooks with only generateName are named from it, the same in every attempt of the sync. */
  startedAt?: Date;
  /** Whether the Application, as it is now, approves the prunes Prune=confirm holds; default: as the Application given to the sync says. */
  pruneApproved?: () => Promise<boolean>;
  /** Told what the running sync waits for (pruning confirmation), for the operation's message. */
  waiting?: (message: string) => Promise<void>;
}

export interface SyncOutcome extends Revisions {
  /** As Argo CD's operation phases: Failed for objects that could not be synced, Error for an Application that could not be. */
  phase: 'Succeeded' | 'Failed' | 'Error';
  message: string;
  resources: ResourceResult[];
}

/** A refresh that resolved the revision but could not compare it: Argo CD still records the revision, so a sync can start (and fail). */
export class ComparisonFailure extends Error {
  constructor(
    message: string,
    readonly revision: string,
    readonly revisions?: string[],
  ) {
    super(message);
  }
}

/**
 * A deleted Application's resources wait for approval (Delete=confirm or Prune=confirm): nothing
 * was deleted, and the deletion goes on once `argocd.argoproj.io/deletion-approved` is set.
 */
export class DeletionAwaitingApproval extends Error {
  constructor(readonly resource: ResourceKey) {
    const where = resource.namespace ? `${resource.namespace}/` : '';
    super(`Resource ${resource.group}/${resource.kind}/${where}${resource.name} requires manual confirmation to delete`);
  }
}

/**
 * How an Application gets synced: `direct` (Regatta applies the manifests itself) or `argocd`
 * (Argo CD's application controller does, asked through the operation field).
 */
export interface SyncDriver {
  /** Compare Git with the cluster, as a refresh does; undefined when another controller owns the status. */
  refresh(application: Application): Promise<Comparison | undefined>;
  sync(application: Application, request: SyncRequest): Promise<SyncOutcome>;
  /** The commit a source's targetRevision names now, read as `project` may: a refresh is due when it is not the one compared. */
  revision(source: ApplicationSource, project: string): Promise<string>;
  /**
   * The cascade of a deleted Application: its tracked resources, and the Namespace created for it.
   * Drivers that sync themselves have it. Throws DeletionAwaitingApproval, having deleted nothing,
   * while a resource waits for approval.
   */
  deleteResources?(application: Application): Promise<ResourceKey[]>;
}
