import { Redis } from 'ioredis';
import { redisOptions } from '../redis/redis-options.js';

/** Where the reservations live in Redis unless told otherwise: one sorted set per budget, scored by expiry. */
export const RESERVATION_PREFIX = 'regatta:budget-reservations';

/** How long a reservation holds a sync's room when its Application is never seen in flight. */
export const RESERVATION_TTL_MS = 120_000;

/** One budget a release must fit into: its maxConcurrentSyncs and the syncs this replica sees in flight on it. */
export interface ReservationClaim {
  budget: string;
  limit: number;
  /** `namespace/name` of the Applications this replica observes in flight on the budget's clusters. */
  observedInFlight: readonly string[];
}

/** The shared reservations the reconciler reads and takes (Redis in production). */
export interface BudgetReservationStore {
  /** The unexpired reservations of each of `budgets`. */
  live(budgets: readonly string[]): Promise<Map<string, Set<string>>>;
  /** Reserves a sync of `application` in every claim's budget, or in none: undefined when granted, else the budget refused. */
  reserve(application: string, claims: readonly ReservationClaim[]): Promise<string | undefined>;
  /** Drops the reservations of Applications now observed in flight or done. */
  release(application: string, budgets: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Atomically: drop expired reservations, then grant only while, in every budget, the union of its
 * live reservations and the syncs the caller observes stays under the limit. All or none. Expiry is
 * Redis's own clock, so replicas whose clocks differ agree on it.
 * KEYS: the budgets' sets. ARGV: application, TTL ms, then per key: limit, JSON of observed keys.
 */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if not redis.call('ZSCORE', key, ARGV[1]) then
    local used = redis.call('ZCARD', key)
    for _, observed in ipairs(cjson.decode(ARGV[2 + 2 * i])) do
      if observed ~= ARGV[1] and not redis.call('ZSCORE', key, observed) then used = used + 1 end
    end
    if used >= tonumber(ARGV[1 + 2 * i]) then return i end
  end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', key, tonumber(ARGV[2]))
end
return 0`;

const LIVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)`;

export interface RedisBudgetReservationsOptions {
  redisUrl: string;
  ttlMs?: number;
  prefix?: string;
}

/**
 * RolloutBudget reservations shared by the replicas: a replica reserves each budgeted sync before it
 * writes the operation, so two replicas whose caches have not yet seen each other's releases cannot
 * both take the last room.
 */
export class RedisBudgetReservations implements BudgetReservationStore {
  private readonly redis: Redis;
  private readonly ttlMs: number;
  private readonly prefix: string;

  constructor(options: RedisBudgetReservationsOptions) {
    // No offline queue and no retries: an unreachable Redis refuses at once (fail closed), it does not stall the reconcile.
    this.redis = new Redis({ ...redisOptions(options.redisUrl), lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 2000 });
    this.redis.on('error', () => undefined);
    this.ttlMs = options.ttlMs ?? RESERVATION_TTL_MS;
    this.prefix = options.prefix ?? RESERVATION_PREFIX;
  }

  private keyOf(budget: string): string {
    return `${this.prefix}:${budget}`;
  }

  private async connected(): Promise<Redis> {
    // 'end' after close(): a controller that stops and starts again (leader election) reconnects.
    if (this.redis.status === 'wait' || this.redis.status === 'end') await this.redis.connect();
    return this.redis;
  }

  async live(budgets: readonly string[]): Promise<Map<string, Set<string>>> {
    const redis = await this.connected();
    const live = new Map<string, Set<string>>();
    for (const budget of budgets) live.set(budget, new Set((await redis.eval(LIVE, 1, this.keyOf(budget))) as string[]));
    return live;
  }

  async reserve(application: string, claims: readonly ReservationClaim[]): Promise<string | undefined> {
    if (!claims.length) return undefined;
    const redis = await this.connected();
    const args = claims.flatMap((c) => [String(c.limit), JSON.stringify(c.observedInFlight)]);
    const refused = (await redis.eval(RESERVE, claims.length, ...claims.map((c) => this.keyOf(c.budget)), application, String(this.ttlMs), ...args)) as number;
    return refused ? claims[refused - 1].budget : undefined;
  }

  async release(application: string, budgets: readonly string[]): Promise<void> {
    if (!budgets.length) return;
    const redis = await this.connected();
    await Promise.all(budgets.map((budget) => redis.zrem(this.keyOf(budget), application)));
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
