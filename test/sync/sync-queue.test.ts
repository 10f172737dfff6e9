import { afterEach, describe, expect, it } from 'vitest';
import { LocalRedis } from '../../src/demo/local-redis.js';
import { SyncQueue } from '../../src/sync/sync-queue.js';

let redis: LocalRedis | undefined;
let queue: SyncQueue | undefined;
afterEach(async () => {
  await queue?.close();
  await redis?.stop();
  queue = redis = undefined;
});

const job = { namespace: 'argocd', application: 'app', prune: false, identity: ['app', 'rev'], key: 'k', cluster: 'c' };

describe('SyncQueue', () => {
  it("reports its Redis clients' errors instead of dropping them, and closes within its grace while Redis is gone", async () => {
    redis = await LocalRedis.start();
    const errors: string[] = [];
    queue = new SyncQueue({ redisUrl: redis.url, name: 'sync-test', onError: (source) => errors.push(source) });
    const started: string[] = [];
    // A sync that never finishes: close() must not wait for it forever.
    queue.process(async (data) => {
      started.push(data.application);
      await new Promise(() => undefined);
    });
    await queue.enqueue(job);
    const until = Date.now() + 10_000;
    while (!started.length && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(started).toEqual(['app']);

    await redis.stop();
    redis = undefined;
    const errorsBy = Date.now() + 10_000;
    while (!(errors.includes('queue') && errors.includes('worker')) && Date.now() < errorsBy) await new Promise((r) => setTimeout(r, 50));
    expect(new Set(errors)).toEqual(new Set(['queue', 'worker']));

    const closing = Date.now();
    await queue.close();
    queue = undefined;
    // Three 5 s graces at most (the worker, its forced close, the queue's connection), plus a loaded machine's slack.
    expect(Date.now() - closing).toBeLessThan(18_000);
  });
});
