import type { SchedulerRegistry } from '@nestjs/schedule';
import type { KubeConfig } from '../kube/kube-config.js';
import type { Logger } from '../observability/logger.js';
import { ApplicationClient, keyOf } from './application-client.js';
import { ApplicationRefresher, type ApplicationRefresherOptions } from './application-refresher.js';
import { OperationQueue, type OperationQueueOptions } from './operation-queue.js';
import type { SyncDriver } from './sync-driver.js';
import type { SyncJob } from './sync-queue.js';
import { SyncRunner, type SyncRunnerOptions } from './sync-runner.js';
import { SyncWindowGate, type SyncWindowGateOptions } from './sync-window-gate.js';

type Clocked<T> = Omit<T, 'clock'>;

export interface ApplicationSyncOptions
  extends Clocked<ApplicationRefresherOptions>, Clocked<OperationQueueOptions>, Clocked<SyncRunnerOptions>, Clocked<SyncWindowGateOptions> {
  clock?: () => Date;
  /** Where the timers live: the ScheduleModule's registry in Nest (default: one of their own). */
  registry?: SchedulerRegistry;
}

/**
 * Regatta as Argo CD's application controller, for the `direct` driver, in three parts: the
 * refresher keeps Applications' status current, the operation queue turns their `operation` into
 * BullMQ jobs, and the sync runner runs those jobs. A sync window gate stands between an
 * operation and its sync, at queue time and again at run time.
 */
export class ApplicationSyncController {
  private readonly refresher: ApplicationRefresher;
  private readonly operations: OperationQueue;
  private readonly runner: SyncRunner;

  constructor(config: KubeConfig, driver: SyncDriver, options: ApplicationSyncOptions, logger: Logger) {
    const parts = { ...options, clock: options.clock ?? (() => new Date()) };
    const applications = new ApplicationClient(config);
    const gate = new SyncWindowGate(applications, parts, logger, (application, delayMs) =>
      this.refresher.lookAgain(application, delayMs, (cached) => {
        this.operations.forget(cached);
        this.refresher.observe(cached);
      }),
    );
    this.refresher = new ApplicationRefresher(
      config,
      driver,
      applications,
      gate,
      parts,
      logger,
      (application) => void this.operations.observe(application),
      // Kubernetes is the source of truth: each resync queues every pending operation again (BullMQ keeps one job per sync).
      () => this.operations.forget(),
      (key) => this.runner.isRunning(key),
    );
    this.runner = new SyncRunner(driver, applications, gate, parts, logger, {
      comparing: (namespace, name) => this.refresher.syncComparing(namespace, name),
      ended: (namespace, name, end) => this.refresher.syncEnded(namespace, name, end),
      cached: (namespace, name) => this.refresher.cached(namespace, name),
    });
    this.operations = new OperationQueue(applications, gate, parts, logger, {
      refresh: (application) => this.refresher.refresh(application),
      syncing: (application) => this.runner.isRunning(keyOf(application)),
    });
  }

  start(): Promise<void> {
    return this.refresher.start();
  }

  stop(): Promise<void> {
    return this.refresher.stop();
  }

  /** Ownership moved: what this replica now owns gets its pending operations queued here. */
  ownershipChanged(): void {
    this.operations.forget();
    this.refresher.observeAll();
  }

  /** A project (or, without a name, the fleet every project is evaluated against) changed. */
  projectChanged(name?: string): void {
    this.refresher.projectChanged(name);
  }

  /** The worker side: one queued sync. */
  runSync(job: SyncJob): Promise<void> {
    return this.runner.run(job);
  }
}
