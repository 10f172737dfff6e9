import type { Application, Operation } from '../api/application.js';
import { describeKubeError } from '../kube/api-errors.js';
import type { Logger } from '../observability/logger.js';
import { PROMOTION_INFO } from '../api/annotations.js';
import { keyOf, type ApplicationClient } from './application-client.js';
import type { ProjectGuard } from './project-guard.js';
import { syncKeyOf, type SyncQueue } from './sync-queue.js';
import type { SyncWindowGate } from './sync-window-gate.js';
import { hasMultipleSources, revisionKey } from './application-sources.js';

export interface OperationQueueOptions {
  /** The queue of the replica that owns an Application's destination. */
  queueFor: (application: Application) => SyncQueue;
  clusterName: (application: Application) => string;
  projects: ProjectGuard;
  clock: () => Date;
}

/** What the operation queue asks of the other parts of the application controller. */
export interface OperationQueuePeers {
  /** Compares the Application with its cluster, so a sync has a revision to deploy. */
  refresh: (application: Application) => Promise<void>;
  /** Whether a sync of the Application runs in this process now. */
  syncing: (application: Application) => boolean;
}

const ownerAppSet = (application: Application) => application.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'ApplicationSet')?.name;

/**
 * Turns an Application's `operation` (set by RollingSync, a user or autosync) into one BullMQ job
 * per sync, on the queue of the replica that owns its destination: each operation is queued once
 * while it stays on the Application, and a sync window may hold it before it is queued.
 */
export class OperationQueue {
  /** Application → the operation last queued for it. */
  private readonly queued = new Map<string, string>();

  constructor(
    private readonly applications: ApplicationClient,
    private readonly gate: SyncWindowGate,
    private readonly options: OperationQueueOptions,
    private readonly logger: Logger,
    private readonly peers: OperationQueuePeers,
  ) {}

  /**
   * An owned Application changed: an operation to queue. Each operation is queued once while it
   * stays on the Application; the status updates of its own sync do not queue it again.
   */
  async observe(application: Application): Promise<void> {
    const key = keyOf(application);
    const state = application.status?.operationState;
    // A sync left Running has no `operation` any more once its ApplicationSet moved on: resume it from what its state recorded.
    const operation = application.operation ?? (state?.phase === 'Running' ? state.operation : undefined);
    if (!operation) {
      this.queued.delete(key);
      return;
    }
    // The revision is part of it: a push can re-promote an Application without its operation changing.
    const request = JSON.stringify([operation, revisionKey(application.status?.sync)]);
    if (this.queued.get(key) === request) return;
    if (await this.queueOperation(application, operation)) this.queued.set(key, request);
  }

  /** Forgets what was queued for the Application (for every Application without one), so its operation is queued again. */
  forget(application?: Application): void {
    if (application) this.queued.delete(keyOf(application));
    else this.queued.clear();
  }

  /** Whether the sync was queued (or found queued already). */
  private async queueOperation(application: Application, operation: Operation): Promise<boolean> {
    const status = application.status ?? {};
    // A multi-source Application's sync is identified by the commits of all its sources.
    const revisions = hasMultipleSources(application) ? (operation.sync?.revisions ?? status.sync?.revisions) : undefined;
    const revision = revisions?.length ? revisionKey({ revisions }) : (operation.sync?.revision ?? status.sync?.revision);
    // A sync is identified by the commit it deploys: compare first, and the status update brings the operation back here.
    if (!revision) {
      const validation = this.options.projects.validate(application);
      // Never compared because its spec breaks its project: the operation fails now, as Argo CD fails it.
      if (!validation.valid) {
        await this.finishRefused(application, operation, validation.operationMessage);
        return true;
      }
      await this.peers.refresh(application);
      return false;
    }
    const sync = this.identity(application, operation, revision);
    let identity = sync;
    const state = status.operationState;
    if (state?.phase === 'Running' && this.peers.syncing(application)) return false;
    if (!(await this.gate.allows(application, operation, 'queue'))) return false;
    if (state?.phase === 'Running') {
      // Left Running by a sync that stopped half-way (its replica died, hung or lost the cluster) or held by a sync window: one new job per attempt.
      identity = [...sync, 'resume', state.startedAt ?? ''];
    }
    try {
      await this.options.queueFor(application).enqueue({
        namespace: application.metadata.namespace ?? '',
        application: application.metadata.name,
        ...(revisions?.length ? { revisions } : { revision }),
        prune: operation.sync?.prune === true,
        identity,
        key: syncKeyOf(sync),
        cluster: this.options.clusterName(application),
      });
      return true;
    } catch (error) {
      this.logger.warn('cannot queue sync', { application: application.metadata.name, error: describeKubeError(error) });
      return false;
    }
  }

  /**
   * A RollingSync sync is one per (ApplicationSet, Application, revision, promotion): a reconcile
   * that writes the operation again from a stale cache queues nothing new. Other requests (a user's
   * sync, autosync) are new each time the Application's history grows, or an operation finished
   * since: a sync asked for again after a failed or refused one runs again.
   */
  private identity(application: Application, operation: Operation, revision: string): string[] {
    const namespace = application.metadata.namespace ?? '';
    const appSetName = ownerAppSet(application);
    const promotion = operation.info?.find((i) => i.name === PROMOTION_INFO)?.value;
    if (operation.initiatedBy?.username === 'applicationset-controller' && appSetName && promotion)
      return [`${namespace}/${appSetName}`, application.metadata.name, revision, promotion];
    const status = application.status ?? {};
    return [
      namespace,
      application.metadata.name,
      revision,
      operation.initiatedBy?.automated ? 'auto' : 'manual',
      String(status.history?.length ?? 0),
      status.operationState?.finishedAt ?? '',
    ];
  }

  /** Ends an operation that may not start at all (phase Error), as Argo CD records it. */
  private async finishRefused(application: Application, operation: Operation, message: string): Promise<void> {
    const now = this.options.clock().toISOString();
    await this.applications.patch(application, {
      operation: null,
      status: { operationState: { operation, phase: 'Error', message, startedAt: now, finishedAt: now } },
    });
  }
}
