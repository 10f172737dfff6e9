import type { RedisOptions } from 'ioredis';

/**
 * How Regatta connects to Redis: the URL (`redis://` or `rediss://` for TLS, with an optional
 * password), completed by the environment the Helm chart sets: REDIS_PASSWORD (from a Secret, so
 * it stays out of the URL), REDIS_TLS=true, and REDIS_SENTINELS (host:port,…) with
 * REDIS_SENTINEL_MASTER for a Sentinel-managed Redis. Every Redis client Regatta makes (BullMQ's
 * and its own) is built from this.
 */
export function redisOptions(url: string, env: NodeJS.ProcessEnv = process.env): RedisOptions {
  const parsed = new URL(url);
  const password = env.REDIS_PASSWORD || (parsed.password ? decodeURIComponent(parsed.password) : undefined);
  const tls = parsed.protocol === 'rediss:' || env.REDIS_TLS === 'true';
  const common: RedisOptions = {
    ...(password ? { password } : {}),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    db: Number(parsed.pathname.slice(1) || 0),
  };
  const sentinels = (env.REDIS_SENTINELS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (sentinels.length) {
    if (!env.REDIS_SENTINEL_MASTER) throw new Error('REDIS_SENTINELS is set but REDIS_SENTINEL_MASTER (the master set name) is not');
    return {
      ...common,
      sentinels: sentinels.map((entry) => {
        const [host, port] = entry.split(':');
        return { host, port: Number(port || 26379) };
      }),
      name: env.REDIS_SENTINEL_MASTER,
      ...(tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    };
  }
  return { ...common, host: parsed.hostname, port: Number(parsed.port || 6379), ...(tls ? { tls: {} } : {}) };
}
