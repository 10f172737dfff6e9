import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../../src/appset/work-queue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('runs a key once however often it is added while waiting', async () => {
    const runs: string[] = [];
    const queue = new WorkQueue(
      async (key) => {
        runs.push(key);
        if (key === 'busy') await sleep(20);
      },
      { concurrency: 1 },
    );
    queue.add('busy');
    queue.add('a');
    queue.add('a');
    queue.add('b');
    queue.add('a');
    await queue.idle();
    expect(runs).toEqual(['busy', 'a', 'b']);
  });

  it('never runs one key twice at once, and runs it again when added during processing', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const queue = new WorkQueue(
      async () => {
        running++;
        runs++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(20);
        running--;
      },
      { concurrency: 4 },
    );
    queue.add('k');
    await sleep(5);
    queue.add('k');
    queue.add('k');
    await sleep(60);
    await queue.idle();
    expect(maxRunning).toBe(1);
    expect(runs).toBe(2);
  });

  it('retries failures with growing delays, and honours requeueAfter', async () => {
    const times: number[] = [];
    const start = Date.now();
    const queue = new WorkQueue(
      async () => {
        times.push(Date.now() - start);
        if (times.length < 3) throw new Error('transient');
        if (times.length === 3) return { requeueAfterMs: 30 };
      },
      { concurrency: 1, baseDelayMs: 20 },
    );
    queue.add('k');
    for (let i = 0; i < 50 && times.length < 4; i++) await sleep(10);
    queue.stop();
    expect(times).toHaveLength(4);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(18);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(38);
    expect(times[3] - times[2]).toBeGreaterThanOrEqual(28);
  });
});
