import type { Application, Operation } from '../api/application.js';
import { replacementPatch } from '../lib/merge-patch.js';
import { deepEqual } from '../lib/json-values.js';
import { describeKubeError } from '../kube/api-errors.js';
import type { Logger } from '../observability/logger.js';
import type { SyncRequest, SyncWindowVerdict, WindowWait } from '../projects/sync-windows.js';
import type { ApplicationClient } from './application-client.js';

/** What Argo CD writes to operationState.message while a sync window holds the operation (phase stays Running). */
export const SYNC_WINDOW_BLOCKED_MESSAGE = 'Sync operation blocked by sync window';
/** A held sync is looked at this long after its windows open, so the opening moment has surely passed. */
const WINDOW_OPENING_MARGIN_MS = 1000;

export interface SyncWindowGateOptions {
  clock: () => Date;
  /** Whether the sync windows of the Application's project let a sync run (and when they will); without it every sync runs. */
  syncWindows?: (application: Application, request: SyncRequest) => SyncWindowVerdict;
  /** The longest a held sync waits before its windows are read again, so project changes count (default 30 s, as Argo CD requeues a blocked operation). */
  windowRecheckMs?: number;
}

/**
 * The sync windows of an Application's project, asked when an operation is queued and again when
 * a worker runs it. A held operation is looked at again (`recheck`) when its windows open, or sooner.
 */
export class SyncWindowGate {
  constructor(
    private readonly applications: ApplicationClient,
    private readonly options: SyncWindowGateOptions,
    private readonly logger: Logger,
    private readonly recheck: (application: Application, delayMs: number) => void,
  ) {}

  /** As Argo CD, windows that hold automated syncs hold an autosync before it is requested: how long until they open (Infinity: unknown), or undefined when they do not hold it. */
  autosyncHold(application: Application): number | undefined {
    const now = this.options.clock();
    const verdict = this.options.syncWindows?.(application, { manual: false, at: now });
    return verdict && !verdict.allowed ? untilOpen(verdict, now) : undefined;
  }

  /**
   * Whether the project's sync windows let the operation start now. When they do not, Argo CD's
   * blocked state is written (operationState Running, its message) and the Application is looked
   * at again when the windows open, or sooner, so a changed project counts. A held sync found by a
   * worker (`run`) gets a new start time, so it is queued again as a new attempt.
   */
  async allows(application: Application, operation: Operation, when: 'queue' | 'run'): Promise<boolean> {
    if (!this.options.syncWindows) return true;
    const now = this.options.clock();
    const state = application.status?.operationState;
    const resumed = state?.phase === 'Running' && state.startedAt ? { startedAt: new Date(state.startedAt) } : {};
    const verdict = this.options.syncWindows(application, { manual: operation.initiatedBy?.automated !== true, at: now, ...resumed });
    if (verdict.allowed) return true;
    this.recheck(application, Math.min(untilOpen(verdict, now), this.options.windowRecheckMs ?? 30_000));
    const message = verdict.error ? `${SYNC_WINDOW_BLOCKED_MESSAGE}: ${verdict.error}` : SYNC_WINDOW_BLOCKED_MESSAGE;
    if (when === 'queue' && state?.phase === 'Running' && state.message === message && deepEqual(state.operation, operation)) return false;
    const startedAt = when === 'queue' && state?.phase === 'Running' && state.startedAt ? state.startedAt : now.toISOString();
    try {
      await this.applications.patch(application, {
        status: { operationState: replacementPatch({ operation, phase: 'Running', message, startedAt }, state ?? null) },
      });
    } catch (error) {
      // A worker's job fails, so BullMQ runs it again; a queue-time hold is looked at again anyway.
      if (when === 'run') throw error;
      this.logger.warn('cannot record the sync window hold', { application: application.metadata.name, error: describeKubeError(error) });
    }
    return false;
  }
}

const untilOpen = (verdict: WindowWait, now: Date) => (verdict.opensAt ? Date.parse(verdict.opensAt) - now.getTime() + WINDOW_OPENING_MARGIN_MS : Infinity);
