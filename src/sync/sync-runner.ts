import type { Application, Operation, OperationState, RevisionHistory } from '../api/application.js';
import { deepEqual } from '../lib/json-values.js';
import { isConflict } from '../kube/api-errors.js';
import type { Logger } from '../observability/logger.js';
import type { ApplicationClient } from './application-client.js';
import { comparisonStatus } from './application-refresher.js';
import { isSettling } from './health.js';
import type { ProjectGuard } from './project-guard.js';
import type { SyncDriver, SyncOutcome } from './sync-driver.js';
import type { SyncJob } from './sync-queue.js';
import type { SyncWindowGate } from './sync-window-gate.js';
import { kitchenTime, nextRetryAt, retriesLeft, type RetryStrategy } from './sync-retry.js';
import { SYNC_KEY_INFO, SYNC_REPLICA_INFO } from '../api/annotations.js';
import { hasMultipleSources, revisionFields, sourceFields } from './application-sources.js';
import { isDeletionConfirmed } from './deletion-confirmation.js';
import type { SyncRequest } from './sync-driver.js';

const HISTORY_LIMIT = 10;

/** How a sync left the Application. */
export interface SyncEnd {
  /** The comparison made at its end found it settled (or the sync had nothing to run); otherwise its health is followed until it is. */
  settled: boolean;
  /** The resourceVersion of the sync's last write of the Application. */
  writtenVersion?: string;
}

/** Who hears about the syncs this runner runs: the refresher, which otherwise compares the Application as its objects change. */
export interface SyncRunnerPeers {
  /** The sync is about to compare the Application for its result: what its objects did before now is in that comparison. */
  comparing(namespace: string, name: string): void;
  ended(namespace: string, name: string, end: SyncEnd): void;
  /** The Application as the watch last showed it, if it did. */
  cached(namespace: string, name: string): Application | undefined;
}

/** Writes retried after a 409 Conflict before the job fails (and BullMQ tries it again). */
const CONFLICT_ATTEMPTS = 5;

export interface SyncRunnerOptions {
  /** Only Applications whose destination this replica owns are refreshed and synced here. */
  owns?: (application: Application) => boolean;
  /** This replica's name, recorded on the syncs it runs. */
  replica: string;
  projects: ProjectGuard;
  clock: () => Date;
}

/**
 * The worker side of the application controller: runs one queued sync through the driver, unless
 * it already ran to completion (this job, or another for the same sync), writing operationState
 * and history as Argo CD does.
 */
export class SyncRunner {
  /** Application → its sync running in this process; syncs of one Application run one after another. */
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly driver: SyncDriver,
    private readonly applications: ApplicationClient,
    private readonly gate: SyncWindowGate,
    private readonly options: SyncRunnerOptions,
    private readonly logger: Logger,
    /** Told when a sync compares the Application for its result, and when it ended. */
    private readonly peers: SyncRunnerPeers,
  ) {}

  /** Whether a sync of the Application `namespace/name` runs (or waits for the one before it) in this process. */
  isRunning(key: string): boolean {
    return this.running.has(key);
  }

  async run(job: SyncJob): Promise<void> {
    const key = `${job.namespace}/${job.application}`;
    let end: SyncEnd = { settled: true };
    const run = (this.running.get(key) ?? Promise.resolve())
      .catch(() => undefined)
      .then(async () => {
        end = await this.syncOnce(job);
      });
    this.running.set(key, run);
    try {
      await run;
    } finally {
      if (this.running.get(key) === run) this.running.delete(key);
      this.peers.ended(job.namespace, job.application, end);
    }
  }

  /** Runs the sync (settled when there was nothing to run). */
  private async syncOnce(job: SyncJob, attempt = 1): Promise<SyncEnd> {
    // The first attempt starts from the watch's copy: the sync's first write is made at its resourceVersion, so a copy the
    // API server has moved past is refused (409) and the next attempt reads the Application from the API server.
    const cached = attempt === 1 ? this.peers.cached(job.namespace, job.application) : undefined;
    const application = cached && (this.options.owns?.(cached) ?? true) ? cached : await this.applications.get(job.namespace, job.application);
    // Queued before the destination moved to another replica: that replica queues it again.
    if (!application || !(this.options.owns?.(application) ?? true)) return { settled: true };
    const status = application.status ?? {};
    const recorded = status.operationState?.operation?.info?.find((i) => i.name === SYNC_KEY_INFO)?.value;
    if (recorded === job.key && status.operationState?.phase !== 'Running') return { settled: true };
    // This sync was started before and left Running (its replica died, hung or lost the cluster, or the job failed half-way): what it applied stays applied.
    const resuming = recorded === job.key;
    const operation: Operation = { ...(application.operation ?? status.operationState?.operation ?? { sync: { revision: job.revision, prune: job.prune } }) };
    if (!(await this.gate.allows(application, operation, 'run'))) return { settled: true };
    operation.info = [
      ...(operation.info ?? []).filter((i) => i.name !== SYNC_KEY_INFO && i.name !== SYNC_REPLICA_INFO),
      { name: SYNC_KEY_INFO, value: job.key },
      { name: SYNC_REPLICA_INFO, value: this.options.replica },
    ];
    // Every attempt starts anew (a resumed one too: the operation queue tells attempts apart by it), and names generateName hooks from it.
    const startedAt = this.options.clock().toISOString();
    let running: Application;
    try {
      running = await this.applications.patchAt(application, { status: { operationState: { operation, phase: 'Running', message: 'syncing', startedAt } } });
    } catch (error) {
      // Written since it was read (another replica starting this sync, or a status update): decide again from what is there now.
      if (isConflict(error) && attempt < CONFLICT_ATTEMPTS) return this.syncOnce(job, attempt + 1);
      throw error;
    }

    const syncResult = (outcome: SyncOutcome) => ({ ...revisionFields(outcome), ...sourceFields(application), resources: outcome.resources });
    // Prune=confirm: the approval is read from the Application as it is while the sync waits, and the wait is its operation's message.
    const approval: Pick<SyncRequest, 'pruneApproved' | 'waiting'> = {
      pruneApproved: async () => {
        const now = await this.applications.get(job.namespace, job.application);
        if (!now) throw new Error(`Application ${job.namespace}/${job.application} was deleted while its sync waited for pruning confirmation`);
        return isDeletionConfirmed(now, new Date(startedAt));
      },
      waiting: async (message) => {
        running = await this.patchState(job, running, { message });
      },
    };
    let outcome = await this.syncPermitted(application, job, operation, resuming, new Date(startedAt), approval);
    // A resumed sync goes on counting the retries its operation already made.
    let retryCount = resuming ? (status.operationState?.retryCount ?? 0) : 0;
    const retry = operation.retry as RetryStrategy | undefined;
    while (outcome.phase !== 'Succeeded' && retriesLeft(retry, retryCount)) {
      const failedAt = this.options.clock();
      let retryAt: Date;
      try {
        retryAt = nextRetryAt(retry!, failedAt, retryCount);
      } catch (error) {
        outcome = { ...outcome, phase: 'Error', message: `${outcome.message} (failed to retry: ${(error as Error).message})` };
        break;
      }
      retryCount++;
      // As Argo CD between attempts: Running, with the failed attempt's end and result, and when the next one starts.
      running = await this.patchState(job, running, {
        operation,
        phase: 'Running',
        message: `${outcome.message}. Retrying attempt #${retryCount} at ${kitchenTime(retryAt)}.`,
        startedAt,
        finishedAt: failedAt.toISOString(),
        retryCount,
        syncResult: syncResult(outcome),
      });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, retryAt.getTime() - this.options.clock().getTime())));
      running = await this.patchState(job, running, { message: `Retrying operation. Attempt #${retryCount}`, finishedAt: null, syncResult: null });
      outcome = await this.syncPermitted(running, job, operation, resuming, new Date(startedAt), approval);
    }
    const finishedAt = this.options.clock().toISOString();
    const operationState: OperationState = {
      operation,
      phase: outcome.phase,
      message: outcome.phase !== 'Succeeded' && retryCount > 0 ? `${outcome.message} (retried ${retryCount} times).` : outcome.message,
      startedAt,
      finishedAt,
      syncResult: syncResult(outcome),
      ...(retryCount > 0 ? { retryCount } : {}),
    };
    this.peers.comparing(job.namespace, job.application);
    const comparison = this.options.projects.validate(running).valid ? await this.driver.refresh(running).catch(() => undefined) : undefined;
    // History and operationState are written against the version this sync wrote (not read again): a writer that raced it makes
    // it read again and add to what is there, never replace it.
    let writtenVersion: string | undefined;
    for (let current = running, tries = 1; ; tries++) {
      const history = current.status?.history ?? [];
      const deployed: RevisionHistory = {
        ...revisionFields(outcome),
        deployedAt: finishedAt,
        deployStartedAt: startedAt,
        id: (history.at(-1)?.id ?? -1) + 1,
        ...sourceFields(application),
      };
      try {
        writtenVersion = (
          await this.applications.patchAt(current, {
            ...(current.operation && deepEqual(current.operation, application.operation) ? { operation: null } : {}),
            status: {
              operationState,
              ...(outcome.phase === 'Succeeded' ? { history: [...history, deployed].slice(-HISTORY_LIMIT) } : {}),
              ...(comparison ? comparisonStatus(application, comparison) : {}),
              reconciledAt: this.options.clock().toISOString(),
            },
          })
        ).metadata.resourceVersion;
        break;
      } catch (error) {
        if (!isConflict(error) || tries >= CONFLICT_ATTEMPTS) throw error;
        const reread = await this.applications.get(job.namespace, job.application);
        if (!reread) return { settled: true };
        current = reread;
      }
    }
    if (outcome.phase !== 'Succeeded') this.logger.warn('sync failed', { application: job.application, phase: outcome.phase, message: outcome.message });
    // A comparison that found it settled was written with the sync's result: comparing it again at once would find the same.
    return { settled: comparison !== undefined && !isSettling(comparison.health.status), writtenVersion };
  }

  /** Writes part of operationState while the sync runs; a write that raced another reads the Application again. */
  private async patchState(job: SyncJob, current: Application, state: Record<string, unknown>): Promise<Application> {
    for (let tries = 1; ; tries++) {
      try {
        return await this.applications.patchAt(current, { status: { operationState: state } });
      } catch (error) {
        if (!isConflict(error) || tries >= CONFLICT_ATTEMPTS) throw error;
        const reread = await this.applications.get(job.namespace, job.application);
        if (!reread) throw error;
        current = reread;
      }
    }
  }

  /**
   * The sync, once the project admits it as Argo CD's controller does when an operation starts:
   * the spec must still be valid, and with impersonation on the project must name the
   * ServiceAccount to sync as. The driver checks each object before it writes.
   */
  private async syncPermitted(
    application: Application,
    job: SyncJob,
    operation: Operation,
    resuming: boolean,
    startedAt: Date,
    approval: Pick<SyncRequest, 'pruneApproved' | 'waiting'>,
  ): Promise<SyncOutcome> {
    const refused = (message: string): SyncOutcome => ({
      revision: job.revision ?? application.status?.sync?.revision ?? '',
      ...(hasMultipleSources(application) ? { revisions: job.revisions ?? application.status?.sync?.revisions ?? [] } : {}),
      phase: 'Error',
      message,
      resources: [],
    });
    const validation = this.options.projects.validate(application);
    if (!validation.valid) return refused(validation.operationMessage);
    const identity = this.options.projects.identity(application, validation);
    if ('refused' in identity) return refused(identity.refused);
    const applyOutOfSyncOnly =
      resuming || [...(operation.sync?.syncOptions ?? []), ...(application.spec.syncPolicy?.syncOptions ?? [])].includes('ApplyOutOfSyncOnly=true');
    return this.driver.sync(application, {
      revision: job.revision,
      revisions: job.revisions,
      prune: job.prune,
      impersonate: identity.impersonate,
      applyOutOfSyncOnly,
      syncOptions: operation.sync?.syncOptions,
      startedAt,
      ...approval,
    });
  }
}
