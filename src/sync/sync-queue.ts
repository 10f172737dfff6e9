import { createHash } from 'node:crypto';
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { redisOptions } from '../redis/redis-options.js';

/** One sync of one Application to its destination cluster. */
export interface SyncJob {
  namespace: string;
  application: string;
  /** The revision to sync to; undefined syncs the source's targetRevision. */
  revision?: string;
  /** A multi-source Application's commits to sync to, one per source. */
  revisions?: string[];
  prune: boolean;
  /** What the job id is derived from: ApplicationSet, Application, target revision and promotion (and, for other syncs, the request); a resumed attempt adds to it. */
  identity: string[];
  /** The sync this job performs (the identity without resume parts), recorded on the Application once it ran. */
  key: string;
  /** The destination cluster, for routing and for people reading the queue. */
  cluster: string;
}

export interface SyncQueueOptions {
  redisUrl: string;
  /** Queue name: one per replica, so a sync runs on the replica that owns the destination cluster. */
  name: string;
  concurrency?: number;
  /** How long a worker may hold a job without renewing its lock before it counts as stalled and runs again (default 30 s). */
  lockDurationMs?: number;
  attempts?: number;
  /** Called with every error of the queue's or the worker's Redis clients (they reconnect on their own). */
  onError?: (source: 'queue' | 'worker', error: Error) => void;
}

/** How long close() lets running syncs finish before it stops waiting (their locks then lapse, and another attempt runs them). */
const CLOSE_GRACE_MS = 5000;

/** A stable hash of a sync's identity: its job id, and (without resume parts) its key. */
export const syncKeyOf = (identity: string[]) => createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 32);

/**
 * BullMQ underneath rollouts: the job id is a hash of the sync's identity, so the same sync is
 * queued once however many reconciles ask for it; attempts with exponential backoff retry a
 * failed sync; a job whose worker died (SIGKILL) is picked up again once its lock lapses.
 */
export class SyncQueue {
  private readonly connection: ConnectionOptions;
  private readonly queue: Queue<SyncJob>;
  private worker?: Worker<SyncJob>;

  constructor(private readonly options: SyncQueueOptions) {
    // BullMQ makes and closes its own clients from these options; blocking commands need maxRetriesPerRequest null.
    this.connection = { ...redisOptions(options.redisUrl), maxRetriesPerRequest: null } as ConnectionOptions;
    this.queue = new Queue<SyncJob>(options.name, { connection: this.connection, prefix: 'regatta' });
    this.queue.on('error', (error) => options.onError?.('queue', error));
  }

  /** Queues the sync unless one with the same identity exists; returns its job id. */
  async enqueue(job: SyncJob): Promise<string> {
    const jobId = syncKeyOf(job.identity);
    await this.queue.add('sync', job, {
      jobId,
      attempts: this.options.attempts ?? 5,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: { age: 24 * 3600, count: 100_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
    return jobId;
  }

  process(handler: (job: SyncJob) => Promise<void>): void {
    this.worker = new Worker<SyncJob>(this.options.name, async (job: Job<SyncJob>) => handler(job.data), {
      connection: this.connection,
      prefix: 'regatta',
      concurrency: this.options.concurrency ?? 8,
      lockDuration: this.options.lockDurationMs ?? 30_000,
      stalledInterval: Math.max(1000, Math.floor((this.options.lockDurationMs ?? 30_000) / 2)),
    });
    this.worker.on('error', (error) => this.options.onError?.('worker', error));
  }

  /** Stops taking jobs; running ones get CLOSE_GRACE_MS to finish, so a shutdown never waits on a sync (or on Redis) forever. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (worker && !(await withinGrace(worker.close()))) await withinGrace(worker.close(true));
    await withinGrace(this.queue.close());
  }
}

/** Whether the promise settled within CLOSE_GRACE_MS. */
async function withinGrace(promise: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), CLOSE_GRACE_MS)));
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
