/** The least time between the end of an ApplicationSet's reconcile and the next one Application changes cause. */
const MIN_PAUSE_MS = 500;
/** The most a pause grows to, however long the reconcile before it took. */
const MAX_PAUSE_MS = 1000;
/** How long the changes of one moment (a sync's several writes) are gathered once the pause after a reconcile is over. */
const GATHER_MS = 50;

/** When a reconcile ran (`endedAt` unset while it runs) and how long it took. */
interface ReconcileTiming {
  startedAt: number;
  endedAt?: number;
  durationMs: number;
}

/**
 * How long an ApplicationSet waits before the reconcile its Applications' changes ask for. During a
 * rollout over a large fleet some Application's health, sync or operation changes every moment, and
 * one reconcile sees every change made since the last. After a reconcile ends the next waits out a
 * pause of twice that reconcile's duration, at least 500 ms and at most a second: the lower bound
 * gathers a moment's changes into one reconcile; the upper bound keeps a release (a workload a step
 * waits on turning healthy) from waiting long behind a slow reconcile. A fleet at rest asks for no
 * reconcile at all, since an Application's periodic refresh wakes nothing. A change once the pause
 * is over is acted on at once.
 */
export class ReconcilePacing {
  private readonly timing = new Map<string, ReconcileTiming>();

  constructor(private readonly now: () => number = Date.now) {}

  started(key: string): void {
    this.timing.set(key, { startedAt: this.now(), durationMs: this.timing.get(key)?.durationMs ?? 0 });
  }

  ended(key: string): void {
    const timing = this.timing.get(key);
    if (timing) Object.assign(timing, { endedAt: this.now(), durationMs: this.now() - timing.startedAt });
  }

  forget(key: string): void {
    this.timing.delete(key);
  }

  /** The delay before reconciling `key` for a change to one of its Applications now. */
  delayForChange(key: string): number {
    const timing = this.timing.get(key);
    if (!timing) return GATHER_MS;
    const pause = Math.min(MAX_PAUSE_MS, Math.max(MIN_PAUSE_MS, 2 * timing.durationMs));
    // One running is taken to end when a reconcile as long as the last one would.
    const ends = timing.endedAt ?? Math.max(this.now(), timing.startedAt + timing.durationMs);
    return Math.max(GATHER_MS, ends + pause - this.now());
  }
}
