import { SchedulerRegistry } from '@nestjs/schedule';

/**
 * Periodic and delayed work for every part of Regatta. Timers live in a `SchedulerRegistry` of
 * @nestjs/schedule: in a Nest application the ScheduleModule's registry, which cancels every timer
 * before shutdown; outside Nest (the CLI, unit tests) a registry of the caller's own. Names are made
 * unique per timer so two parts of one process (two replicas in a test) never collide.
 */
let sequence = 0;
const uniqueName = (name: string) => `${name}#${++sequence}`;

export interface LoopOptions {
  /** What the loop does, for the registry's listing: `membership`, `source-poll`. */
  name: string;
  /** Pause between the end of one run and the start of the next; read before each pause, so configuration may change it. */
  intervalMs: number | (() => number);
  registry: SchedulerRegistry;
}

/**
 * Runs a task again `intervalMs` after each run ends, never two runs at once; `trigger` runs it
 * now (a run requested while one is in flight runs once more right after it); `stop` cancels the
 * timer and waits for the run in flight.
 */
export class Loop {
  private readonly timerName: string;
  private running?: Promise<void>;
  /** The run requested while one was in flight: it starts when that one ends. */
  private next?: Promise<void>;
  private stopped = true;

  constructor(
    private readonly options: LoopOptions,
    private readonly task: () => Promise<void>,
  ) {
    this.timerName = uniqueName(options.name);
  }

  /** Between `start` and `stop`. */
  get started(): boolean {
    return !this.stopped;
  }

  /** Runs the task once, waits for it, then keeps it going. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.trigger();
  }

  /** Runs the task now, or once more right after the run in flight; resolves when that run ends. */
  trigger(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.next) return this.next;
    if (this.running) {
      this.next = this.running.then(() => {
        this.next = undefined;
        return this.trigger();
      });
      return this.next;
    }
    this.cancelTimer();
    this.running = this.task()
      .catch(() => undefined)
      .finally(() => {
        this.running = undefined;
        if (!this.next) this.arm();
      });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer();
    await this.running;
    await this.next;
  }

  private arm(): void {
    if (this.stopped) return;
    const interval = typeof this.options.intervalMs === 'function' ? this.options.intervalMs() : this.options.intervalMs;
    const timer = setTimeout(
      () => {
        this.options.registry.deleteTimeout(this.timerName);
        void this.trigger();
      },
      Math.max(0, interval),
    );
    timer.unref?.();
    this.options.registry.addTimeout(this.timerName, timer);
  }

  private cancelTimer(): void {
    if (this.options.registry.doesExist('timeout', this.timerName)) this.options.registry.deleteTimeout(this.timerName);
  }
}

/**
 * One pending delayed action per key (look at this Application again in 30 s): scheduling a key
 * again replaces its timer; `cancelAll` clears every one on shutdown.
 */
export class DelayedActions {
  private readonly prefix: string;
  private readonly keys = new Set<string>();
  private stopped = false;

  constructor(
    name: string,
    private readonly registry: SchedulerRegistry,
  ) {
    this.prefix = uniqueName(name);
  }

  schedule(key: string, delayMs: number, action: () => void): void {
    if (this.stopped) return;
    this.cancel(key);
    const timerName = `${this.prefix}:${key}`;
    const timer = setTimeout(
      () => {
        this.keys.delete(key);
        if (this.registry.doesExist('timeout', timerName)) this.registry.deleteTimeout(timerName);
        if (!this.stopped) action();
      },
      Math.max(0, delayMs),
    );
    timer.unref?.();
    this.registry.addTimeout(timerName, timer);
    this.keys.add(key);
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  cancel(key: string): void {
    const timerName = `${this.prefix}:${key}`;
    if (this.registry.doesExist('timeout', timerName)) this.registry.deleteTimeout(timerName);
    this.keys.delete(key);
  }

  cancelAll(): void {
    this.stopped = true;
    for (const key of [...this.keys]) this.cancel(key);
  }
}
