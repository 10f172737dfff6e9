import { SchedulerRegistry } from '@nestjs/schedule';
import { Redis } from 'ioredis';
import { Loop } from '../lib/loop.js';
import { redisOptions } from '../redis/redis-options.js';
import type { Logger } from '../observability/logger.js';
import { assignOwnership, type Ownership, type ShardingAlgorithm } from './shard-assignment.js';
import { OwnershipHolder, type ShardKeys, type ShardView } from './shard-view.js';

export interface RedisMembershipOptions {
  redisUrl: string;
  replica: string;
  algorithm: ShardingAlgorithm;
  /** A replica whose heartbeat is older than this is gone; its keys move (default 10 s). */
  heartbeatTtlMs?: number;
  epsilon?: number;
  keys: () => ShardKeys;
  logger: Logger;
  /** Key prefix in Redis (default `regatta:shards`). */
  prefix?: string;
  /** Where the heartbeat timer lives (default: a registry of its own). */
  registry?: SchedulerRegistry;
}

/** Leadership of the assignment: taken when free, kept while renewed. */
const LEAD = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;

/** Publishes a new generation, only while still the leader: a deposed leader cannot overwrite its successor. */
const PUBLISH = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local generation = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[3], string.format('{"generation":%d,%s', generation, ARGV[2]))
return generation`;

/**
 * Dynamic membership in Redis. Replicas heartbeat into a sorted set scored by expiry; one replica,
 * elected by an expiring key, assigns the keys over the live members and publishes the result as a
 * numbered generation. Every replica adopts only newer generations, so in each generation every
 * key has exactly one owner, and all replicas converge on the leader's single view. Each generation
 * is computed from the published one, so a joining or leaving replica moves only the keys it takes
 * or leaves behind (plus what the caps push out), and a new leader continues where the last left.
 */
export class RedisShardMembership extends OwnershipHolder implements ShardView {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly ttlMs: number;
  /** Heartbeat; assign and publish when leading; adopt what is published. */
  private readonly heartbeat: Loop;
  /** What the last assignment was computed from: an unchanged fleet is not assigned again every heartbeat. */
  private assignedFrom?: string;

  constructor(private readonly options: RedisMembershipOptions) {
    super(options.replica);
    this.redis = new Redis({ ...redisOptions(options.redisUrl), lazyConnect: true, maxRetriesPerRequest: 1 });
    // A restarting Redis is expected: the next heartbeat retries; nothing to log per attempt.
    this.redis.on('error', () => undefined);
    this.prefix = options.prefix ?? 'regatta:shards';
    this.ttlMs = options.heartbeatTtlMs ?? 10_000;
    const intervalMs = Math.max(100, Math.floor(this.ttlMs / 3));
    this.heartbeat = new Loop({ name: 'shard-heartbeat', intervalMs, registry: options.registry ?? new SchedulerRegistry() }, () => this.beat());
  }

  /** The published ownership, as any client reads it (`regatta clusters`). */
  static async read(redis: Redis, prefix = 'regatta:shards'): Promise<Ownership | undefined> {
    const text = await redis.get(`${prefix}:ownership`);
    return text ? (JSON.parse(text) as Ownership) : undefined;
  }

  async start(): Promise<void> {
    await this.redis.connect().catch(() => undefined);
    await this.heartbeat.start();
  }

  async stop(): Promise<void> {
    await this.heartbeat.stop();
    await this.redis.zrem(`${this.prefix}:members`, this.replica).catch(() => undefined);
    await this.redis
      .eval(`if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end`, 1, `${this.prefix}:leader`, this.replica)
      .catch(() => undefined);
    this.redis.disconnect();
  }

  keysChanged(): void {
    void this.heartbeat.trigger();
  }

  private async beat(): Promise<void> {
    try {
      const [seconds, micros] = await this.redis.time();
      const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      await this.redis.zadd(`${this.prefix}:members`, now + this.ttlMs, this.replica);
      const leading = (await this.redis.eval(LEAD, 1, `${this.prefix}:leader`, this.replica, String(this.ttlMs))) === 1;
      const published = await RedisShardMembership.read(this.redis, this.prefix);
      const latest = leading ? ((await this.assign(now, published)) ?? published) : published;
      if (latest) this.adopt(latest);
    } catch (error) {
      this.options.logger.warn('shard heartbeat failed', { replica: this.replica, error: (error as Error).message });
    }
  }

  /** The new ownership, when the live members or the keys changed since the published one. */
  private async assign(now: number, published: Ownership | undefined): Promise<Ownership | undefined> {
    await this.redis.zremrangebyscore(`${this.prefix}:members`, '-inf', String(now));
    const members = await this.redis.zrange(`${this.prefix}:members`, '0', '-1');
    const keys = this.options.keys();
    // Computed from the published generation, an assignment reproduces it while nothing else changes.
    const inputFor = (generation?: number) => JSON.stringify([[...members].sort(), keys, generation]);
    if (inputFor(published?.generation) === this.assignedFrom) return undefined;
    const next = assignOwnership(this.options.algorithm, members, keys.clusters, keys.appSets, { epsilon: this.options.epsilon, previous: published });
    if (published && JSON.stringify({ ...published, generation: 0 }) === JSON.stringify({ generation: 0, ...next })) {
      this.assignedFrom = inputFor(published.generation);
      return undefined;
    }
    const body = JSON.stringify(next).slice(1);
    const generation = Number(
      await this.redis.eval(PUBLISH, 3, `${this.prefix}:leader`, `${this.prefix}:generation`, `${this.prefix}:ownership`, this.replica, body),
    );
    if (generation <= 0) return undefined;
    this.assignedFrom = inputFor(generation);
    this.options.logger.info('shard assignment published', { generation, members: next.members.length, clusters: Object.keys(next.clusters).length });
    return { generation, ...next };
  }
}
