import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/observability/logger.js';
import { RedisShardMembership } from '../../src/sharding/redis-membership.js';
import { LocalRedis } from '../../src/demo/local-redis.js';
import { redisOptions } from '../../src/redis/redis-options.js';
import { SyncQueue, type SyncJob } from '../../src/sync/sync-queue.js';

describe('Redis connection settings', () => {
  it('reads the URL, and the password, TLS and Sentinel settings the chart puts in the environment', () => {
    expect(redisOptions('redis://127.0.0.1:6380/2', {})).toEqual({ host: '127.0.0.1', port: 6380, db: 2 });
    expect(redisOptions('rediss://user:p%40ss@redis.example.com', {})).toMatchObject({
      host: 'redis.example.com',
      port: 6379,
      username: 'user',
      password: 'p@ss',
      tls: {},
    });
    expect(redisOptions('redis://redis:6379', { REDIS_PASSWORD: 'from-secret', REDIS_TLS: 'true' })).toMatchObject({ password: 'from-secret', tls: {} });
    expect(redisOptions('redis://ignored', { REDIS_SENTINELS: 's1:26379, s2', REDIS_SENTINEL_MASTER: 'mymaster' })).toMatchObject({
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      name: 'mymaster',
    });
    expect(() => redisOptions('redis://ignored', { REDIS_SENTINELS: 's1:26379' })).toThrow(/REDIS_SENTINEL_MASTER/);
  });

  describe('against a redis-server that requires a password', () => {
    let redis: LocalRedis;
    const saved = process.env.REDIS_PASSWORD;
    beforeAll(async () => {
      redis = await LocalRedis.start({ password: 'opensesame' });
      process.env.REDIS_PASSWORD = 'opensesame';
    });
    afterAll(async () => {
      if (saved === undefined) delete process.env.REDIS_PASSWORD;
      else process.env.REDIS_PASSWORD = saved;
      await redis?.stop();
    });

    it('runs sync jobs and shard membership with the password from REDIS_PASSWORD', async () => {
      const queue = new SyncQueue({ redisUrl: redis.url, name: 'sync-auth-test' });
      const done = new Promise<SyncJob>((resolve) => queue.process(async (job) => resolve(job)));
      await queue.enqueue({ namespace: 'argocd', application: 'guestbook', prune: false, identity: ['a'], key: 'k', cluster: 'in-cluster' });
      expect((await done).application).toBe('guestbook');
      await queue.close();
      const membership = new RedisShardMembership({
        redisUrl: redis.url,
        replica: 'regatta-0',
        algorithm: 'bounded-load',
        keys: () => ({ clusters: [], appSets: ['argocd/a'] }),
        logger: silentLogger,
        prefix: 'auth-test',
      });
      await membership.start();
      expect(membership.ownsAppSet('argocd/a')).toBe(true);
      await membership.stop();
    });
  });
});
