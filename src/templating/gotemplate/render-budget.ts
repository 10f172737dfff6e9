import { performance } from 'node:perf_hooks';
import { OffThreadWork, WorkNeeded } from './off-thread-work.js';

/** What one render (one Application, or one string rendered on its own) may spend. */
export interface RenderLimits {
  /** Wall-clock time the template engine may run, in milliseconds (key generation off the event loop not counted). */
  timeoutMs: number;
  /** The largest string or list any one function may build, in bytes (a list element counts 8). */
  maxValueBytes: number;
  /** Everything functions build in one render, added up (garbage included). */
  maxAllocatedBytes: number;
  /** Calls that generate keys or hash passwords in one render (genPrivateKey, genCA, genSelfSignedCert, genSignedCert, bcrypt, htpasswd, derivePassword). */
  maxOffThreadCalls: number;
}

export const DEFAULT_RENDER_LIMITS: RenderLimits = {
  timeoutMs: 1000,
  maxValueBytes: 8 * 1024 * 1024,
  maxAllocatedBytes: 64 * 1024 * 1024,
  maxOffThreadCalls: 8,
};

/** The clock is read once this much work (roughly: characters processed) has been done since the last reading. */
const WORK_PER_CLOCK_READING = 64 * 1024;

/** A budget ran out; the message says which. */
class RenderBudgetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderBudgetError';
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

let active: RenderBudget | undefined;

/** Makes `budget` the running render's; returns the one it replaces. */
function activate(budget: RenderBudget | undefined): RenderBudget | undefined {
  const previous = active;
  active = budget;
  return previous;
}

/**
 * The per-render budget template functions draw on. The engine is synchronous, so the render that
 * is running is the one whose budget is active; functions reach it through the module functions
 * below rather than through their arguments, which are the template's.
 */
export class RenderBudget {
  // Made on first use: most renders need neither, and they are made per render.
  private offThreadWork: OffThreadWork | undefined;
  private memoMap: Map<string, unknown> | undefined;
  private remainingMs: number;
  private deadline = Infinity;
  private allocated = 0;
  private work = 0;

  constructor(readonly limits: RenderLimits = DEFAULT_RENDER_LIMITS) {
    this.remainingMs = limits.timeoutMs;
  }

  /** Keys and password hashes made off the event loop for this render. */
  get offThread(): OffThreadWork {
    return (this.offThreadWork ??= new OffThreadWork(this.limits.maxOffThreadCalls));
  }

  /** What functions compute once per render (compiled regular expressions); dropped with the render. */
  get memo(): Map<string, unknown> {
    return (this.memoMap ??= new Map());
  }

  /** Runs one synchronous pass of the engine; only time spent inside passes counts against the timeout. */
  run<T>(pass: () => T): T {
    if (active === this) return pass();
    const start = performance.now();
    this.deadline = start + this.remainingMs;
    const previous = activate(this);
    try {
      return pass();
    } finally {
      activate(previous);
      this.remainingMs -= performance.now() - start;
      this.deadline = Infinity;
    }
  }

  /**
   * Runs passes until one completes with every key and hash it asked for, computing the missing
   * ones off the event loop between passes. `templateText` (all the template's text) is read only then.
   * Ends: each extra pass follows a new result, and a pass may ask for at most maxOffThreadCalls.
   */
  async runPasses<T>(pass: () => T, templateText: () => string): Promise<T> {
    return this.runPassesSyncFirst(pass, templateText);
  }

  /** runPasses, returning synchronously when the first pass needs nothing made off the event loop, as most renders. */
  runPassesSyncFirst<T>(pass: () => T, templateText: () => string): T | Promise<T> {
    this.offThreadWork?.startPass();
    try {
      return this.run(pass);
    } catch (error) {
      if (!(error instanceof WorkNeeded)) throw error;
    }
    return this.offThread.run(templateText).then(() => this.runPassesSyncFirst(pass, templateText));
  }

  get timeoutMessage(): string {
    return `template execution exceeded its budget of ${formatSeconds(this.limits.timeoutMs)} (--template-timeout)`;
  }

  expired(): boolean {
    return performance.now() > this.deadline;
  }

  checkDeadline(): void {
    if (this.expired()) throw new RenderBudgetError(this.timeoutMessage);
  }

  /** Counts work done (characters, elements, comparisons); reads the clock once in a while. */
  spend(units: number): void {
    this.work += units;
    if (this.work >= WORK_PER_CLOCK_READING) {
      this.work = 0;
      this.checkDeadline();
    }
  }

  /** Called before building a string of `bytes` characters: refuses it when too big, before anything is allocated. */
  checkValueSize(bytes: number): void {
    if (bytes > this.limits.maxValueBytes) {
      throw new RenderBudgetError(`would build a value of ${bytes} bytes, more than the ${this.limits.maxValueBytes} bytes one value may hold`);
    }
  }

  /** Adds what a render built to its total (the executor charges every string result and the output). */
  charge(bytes: number): void {
    this.allocated += bytes;
    if (this.allocated > this.limits.maxAllocatedBytes) {
      throw new RenderBudgetError(`template values exceeded their budget of ${this.limits.maxAllocatedBytes} bytes`);
    }
    this.spend(bytes);
  }

  /** Called before building a list or map of `bytes` bytes: checks its size and charges it. */
  allocate(bytes: number): void {
    this.checkValueSize(bytes);
    this.charge(bytes);
  }
}

/** The running render's budget, if a render is running. */
export function activeBudget(): RenderBudget | undefined {
  return active;
}

/** The largest value one function may build in the running render. */
export function valueLimit(): number {
  return (active?.limits ?? DEFAULT_RENDER_LIMITS).maxValueBytes;
}

/** See RenderBudget.checkValueSize; strings need only this: the executor charges every string result. */
export function checkValueSize(bytes: number): void {
  if (active) active.checkValueSize(bytes);
  else if (bytes > DEFAULT_RENDER_LIMITS.maxValueBytes) new RenderBudget().checkValueSize(bytes);
}

/** See RenderBudget.allocate; for lists and maps. */
export function allocate(bytes: number): void {
  if (active) active.allocate(bytes);
  else checkValueSize(bytes);
}

/** See RenderBudget.spend. */
export function spend(units: number): void {
  active?.spend(units);
}

/** For functions that run long in one go (bcrypt, scrypt, signing): stops the render once its time is up. */
export function checkDeadline(): void {
  active?.checkDeadline();
}

/** Bytes a list of `length` elements takes (a pointer each), as budgets count it. */
export function listBytes(length: number): number {
  return length * 8;
}
