import { SchedulerRegistry } from '@nestjs/schedule';
import { Redis } from 'ioredis';
import { Loop } from '../lib/loop.js';
import { redisOptions } from '../redis/redis-options.js';
import { RequestFencedError, withRequestFence } from '../kube/request-fence.js';
import { clusterServerKey } from '../api/cluster-secret.js';
import type { Logger } from '../observability/logger.js';
import type { ShardView } from './shard-view.js';

export class FencedError extends Error {}

/** Where the leases live in Redis unless told otherwise. */
export const LEASE_PREFIX = 'regatta:leases';

/** The holder and generation of a cluster's lease, as kept in Redis (`holder|generation`). */
export async function readLease(redis: Redis, server: string, prefix = LEASE_PREFIX): Promise<{ holder: string; generation: number } | undefined> {
  const value = await redis.get(`${prefix}:${clusterServerKey(server)}`);
  if (value === null) return undefined;
  const at = value.lastIndexOf('|');
  return { holder: value.slice(0, at), generation: Number(value.slice(at + 1)) };
}

/**
 * Take the lease when free or already ours; never from another holder (it releases, or its lease
 * expires), and never in a generation older than the newest published (a replica waking up with a
 * stale view must not grab a lapsed lease from the new owner).
 */
const ACQUIRE = `
if tonumber(ARGV[2]) < tonumber(redis.call('GET', KEYS[2]) or '0') then return 0 end
local current = redis.call('GET', KEYS[1])
if current and string.match(current, '^(.*)|') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'PX', ARGV[3])
return 1`;

const RELEASE = `
local current = redis.call('GET', KEYS[1])
if current and string.match(current, '^(.*)|') == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;

export interface ClusterFenceOptions {
  redisUrl: string;
  /** How long a lease outlives its holder's last renewal (default 10 s). */
  leaseTtlMs?: number;
  /** How long a write waits for this replica to get the lease of a cluster it was just given (default 2 × lease TTL). */
  acquireWaitMs?: number;
  logger: Logger;
  prefix?: string;
  /** Where the newest published ownership generation is (RedisShardMembership's counter). */
  generationKey?: string;
  /** Where the renewal timer lives (default: a registry of its own). */
  registry?: SchedulerRegistry;
  /** Called after a write passed the lease check and before it is sent (tests pause a replica exactly there). */
  beforeWrite?: (server: string) => Promise<void>;
}

/**
 * Handoff fencing: a replica writes to a cluster only while it holds the cluster's lease in Redis,
 * which carries the ownership generation it was acquired in. A new owner takes the lease only
 * after the previous holder released it (once its writes in flight finished) or stopped renewing
 * it (it died or hangs), and every write checks the lease first: a replica that lost its lease
 * but still runs has its writes refused.
 */
export class ClusterFence {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly ttlMs: number;
  private readonly generationKey: string;
  private readonly inFlight = new Map<string, number>();
  private readonly held = new Set<string>();
  /** When each held lease expires at the latest, counted from when its last renewal was sent. */
  private readonly expiries = new Map<string, number>();
  /** Acquires or renews the leases of owned clusters; releases the others once their writes are done. */
  private readonly renewal: Loop;

  constructor(
    private readonly view: ShardView,
    private readonly options: ClusterFenceOptions,
  ) {
    this.redis = new Redis({ ...redisOptions(options.redisUrl), lazyConnect: true, maxRetriesPerRequest: 1 });
    this.redis.on('error', () => undefined);
    this.prefix = options.prefix ?? LEASE_PREFIX;
    this.ttlMs = options.leaseTtlMs ?? 10_000;
    this.generationKey = options.generationKey ?? 'regatta:shards:generation';
    const intervalMs = Math.max(100, Math.floor(this.ttlMs / 3));
    this.renewal = new Loop({ name: 'cluster-lease-renewal', intervalMs, registry: options.registry ?? new SchedulerRegistry() }, () => this.renew());
    view.onChange(() => void this.renewal.trigger());
  }

  async start(): Promise<void> {
    await this.redis.connect().catch(() => undefined);
    await this.renewal.start();
  }

  async stop(): Promise<void> {
    await this.renewal.stop();
    for (const server of this.held) await this.redis.eval(RELEASE, 1, this.key(server), this.view.replica).catch(() => undefined);
    this.held.clear();
    this.expiries.clear();
    this.redis.disconnect();
  }

  /**
   * Runs one write to `server` if, and only while, this replica holds the cluster's lease. A lease
   * another replica took in a newer generation than the one acted on here refuses at once (this
   * replica is stale); one still held from an older generation is waited for (a handoff in progress).
   */
  async guard<T>(server: string, write: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + (this.options.acquireWaitMs ?? 2 * this.ttlMs);
    for (;;) {
      const generation = this.view.current()?.generation ?? 0;
      if (!this.view.ownsCluster(server)) break;
      const lease = await this.lease(server);
      // Renewed every third of the TTL, a held lease has two thirds left; half is the least a write starts with.
      if (lease?.holder === this.view.replica && this.leaseLeftMs(server) > this.ttlMs / 2) {
        this.inFlight.set(server, (this.inFlight.get(server) ?? 0) + 1);
        try {
          await this.options.beforeWrite?.(server);
          return await this.whileLeased(server, write);
        } finally {
          const left = this.inFlight.get(server)! - 1;
          if (left) this.inFlight.set(server, left);
          else this.inFlight.delete(server);
        }
      }
      if ((lease && lease.generation > generation) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw this.refusal(server, 'the lease is not held, or not for long enough');
  }

  private leaseLeftMs(server: string): number {
    return (this.expiries.get(server) ?? 0) - Date.now();
  }

  /**
   * Runs `write` so that its requests are sent only while the lease has a safety margin left, and
   * are aborted once that margin is reached (renewals push the deadline back). A replica paused
   * anywhere between the lease check and the request wakes up to a refusal, not a late write.
   */
  private async whileLeased<T>(server: string, write: () => Promise<T>): Promise<T> {
    const marginMs = Math.min(1000, this.ttlMs / 10);
    const sendBy = () => (this.expiries.get(server) ?? 0) - marginMs;
    const lost = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const watch = () => {
      const left = sendBy() - Date.now();
      if (left <= 0) lost.abort();
      else timer = setTimeout(watch, left);
    };
    watch();
    try {
      return await withRequestFence({ signal: lost.signal, sendBy }, write);
    } catch (error) {
      if (lost.signal.aborted || error instanceof RequestFencedError) throw this.refusal(server, 'its lease ran out before the write was done');
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private refusal(server: string, why: string): FencedError {
    const generation = this.view.current()?.generation;
    this.options.logger.warn('write refused by the cluster lease', { cluster: server, replica: this.view.replica, generation, why });
    return new FencedError(
      `write to cluster ${server} refused: replica ${this.view.replica} does not hold its lease (ownership generation ${generation ?? 'none'})`,
    );
  }

  private key(server: string): string {
    return `${this.prefix}:${clusterServerKey(server)}`;
  }

  private lease(server: string): Promise<{ holder: string; generation: number } | undefined> {
    return readLease(this.redis, server, this.prefix).catch(() => undefined);
  }

  private async renew(): Promise<void> {
    const ownership = this.view.current();
    if (!ownership) return;
    try {
      const owned = Object.entries(ownership.clusters)
        .filter(([, owner]) => owner === this.view.replica)
        .map(([server]) => server);
      const pipeline = this.redis.pipeline();
      for (const server of owned)
        pipeline.eval(ACQUIRE, 2, this.key(server), this.generationKey, this.view.replica, String(ownership.generation), String(this.ttlMs));
      // Redis counts the TTL from when it runs the script, which is after this: a conservative expiry.
      const sentAt = Date.now();
      const results = (await pipeline.exec()) ?? [];
      results.forEach(([, acquired], i) => {
        if (acquired === 1) {
          this.held.add(owned[i]);
          this.expiries.set(owned[i], sentAt + this.ttlMs);
        } else {
          this.held.delete(owned[i]);
          this.expiries.delete(owned[i]);
        }
      });
      const ownedSet = new Set(owned);
      for (const server of [...this.held].filter((s) => !ownedSet.has(s) && !this.inFlight.has(s))) {
        await this.redis.eval(RELEASE, 1, this.key(server), this.view.replica);
        this.held.delete(server);
        this.expiries.delete(server);
      }
    } catch (error) {
      this.options.logger.warn('cluster lease renewal failed', { replica: this.view.replica, error: (error as Error).message });
    }
  }
}
