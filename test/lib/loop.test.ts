import { SchedulerRegistry } from '@nestjs/schedule';
import { describe, expect, it } from 'vitest';
import { DelayedActions, Loop } from '../../src/lib/loop.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A task whose runs each wait for `release`, counting runs and the most in flight at once. */
function gatedTask() {
  const state = { runs: 0, inFlight: 0, mostInFlight: 0, release: () => {} };
  const task = async () => {
    state.runs++;
    state.inFlight++;
    state.mostInFlight = Math.max(state.mostInFlight, state.inFlight);
    await new Promise<void>((resolve) => (state.release = resolve));
    state.inFlight--;
  };
  return { state, task };
}

describe('Loop', () => {
  it('never runs the task twice at once', async () => {
    const registry = new SchedulerRegistry();
    let inFlight = 0;
    let mostInFlight = 0;
    let runs = 0;
    const loop = new Loop({ name: 'busy', intervalMs: 1, registry }, async () => {
      runs++;
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      await sleep(10);
      inFlight--;
    });
    await loop.start();
    for (let i = 0; i < 20; i++) {
      void loop.trigger();
      await sleep(3);
    }
    await loop.stop();
    expect(runs).toBeGreaterThan(2);
    expect(mostInFlight).toBe(1);
  });

  it('runs once more after the run in flight, however often it is triggered meanwhile', async () => {
    const registry = new SchedulerRegistry();
    const { state, task } = gatedTask();
    const loop = new Loop({ name: 'triggered', intervalMs: 60_000, registry }, task);
    const started = loop.start();
    await sleep(5);
    let triggeredRunEnded = false;
    const triggered = loop.trigger().then(() => (triggeredRunEnded = true));
    void loop.trigger();
    void loop.trigger();
    state.release();
    await started;
    await sleep(5);
    expect(state.runs).toBe(2);
    expect(triggeredRunEnded).toBe(false);
    state.release();
    await triggered;
    await sleep(5);
    expect(state.runs).toBe(2);
    await loop.stop();
  });

  it('runs again intervalMs after each run ends', async () => {
    const registry = new SchedulerRegistry();
    let runs = 0;
    const loop = new Loop({ name: 'periodic', intervalMs: 20, registry }, async () => void runs++);
    await loop.start();
    expect(registry.getTimeouts()).toHaveLength(1);
    await sleep(110);
    await loop.stop();
    expect(runs).toBeGreaterThanOrEqual(3);
  });

  it('stop cancels the timer, waits for the run in flight and leaves no timer in the registry', async () => {
    const registry = new SchedulerRegistry();
    const { state, task } = gatedTask();
    const loop = new Loop({ name: 'stopping', intervalMs: 10, registry }, task);
    void loop.start();
    await sleep(5);
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await sleep(5);
    expect(stopped).toBe(false);
    state.release();
    await stopping;
    expect(registry.getTimeouts()).toEqual([]);
    await sleep(30);
    expect(state.runs).toBe(1);
    await loop.trigger();
    expect(state.runs).toBe(1);
  });

  it('stop leaves no timer when it comes between runs', async () => {
    const registry = new SchedulerRegistry();
    const loop = new Loop({ name: 'idle', intervalMs: 60_000, registry }, async () => undefined);
    await loop.start();
    expect(registry.getTimeouts()).toHaveLength(1);
    await loop.stop();
    expect(registry.getTimeouts()).toEqual([]);
  });
});

describe('DelayedActions', () => {
  it('keeps one pending action per key, and cancels every one', async () => {
    const registry = new SchedulerRegistry();
    const actions = new DelayedActions('look-again', registry);
    const done: string[] = [];
    actions.schedule('a', 10, () => done.push('a first'));
    actions.schedule('a', 20, () => done.push('a again'));
    actions.schedule('b', 10, () => done.push('b'));
    expect(actions.has('a')).toBe(true);
    expect(registry.getTimeouts()).toHaveLength(2);
    await sleep(40);
    expect(done.sort()).toEqual(['a again', 'b']);
    expect(registry.getTimeouts()).toEqual([]);
    actions.schedule('c', 10, () => done.push('c'));
    actions.cancelAll();
    expect(registry.getTimeouts()).toEqual([]);
    await sleep(20);
    expect(done).not.toContain('c');
  });
});
