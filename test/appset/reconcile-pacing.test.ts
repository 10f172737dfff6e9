import { describe, expect, it } from 'vitest';
import { ReconcilePacing } from '../../src/appset/reconcile-pacing.js';

/** A pacing on a clock the test moves. */
function pacedAt(start = 1_000_000) {
  let now = start;
  const pacing = new ReconcilePacing(() => now);
  const advance = (ms: number) => (now += ms);
  /** A reconcile of `key` that takes `ms`. */
  const reconcile = (key: string, ms: number) => {
    pacing.started(key);
    advance(ms);
    pacing.ended(key);
  };
  return { pacing, advance, reconcile };
}

describe('ReconcilePacing', () => {
  it('acts on a change to an ApplicationSet never reconciled here after gathering that moment', () => {
    const { pacing } = pacedAt();
    expect(pacing.delayForChange('argocd/guestbook')).toBe(50);
  });

  it('after a reconcile, waits out the pause; once the pause is over, a change (a workload turning healthy) is acted on at once', () => {
    const { pacing, advance, reconcile } = pacedAt();
    reconcile('argocd/guestbook', 100);
    expect(pacing.delayForChange('argocd/guestbook')).toBe(500);
    advance(300);
    expect(pacing.delayForChange('argocd/guestbook')).toBe(200);
    advance(10_000);
    expect(pacing.delayForChange('argocd/guestbook')).toBe(50);
  });

  it('lengthens the pause with the reconcile, up to a second, so a release does not wait long behind a slow reconcile', () => {
    const { pacing, reconcile } = pacedAt();
    reconcile('argocd/fleet', 300);
    expect(pacing.delayForChange('argocd/fleet')).toBe(600);
    reconcile('argocd/fleet', 2_000);
    expect(pacing.delayForChange('argocd/fleet')).toBe(1_000);
    // Each ApplicationSet is paced by its own reconciles.
    expect(pacing.delayForChange('argocd/other')).toBe(50);
  });

  it('a change while a reconcile runs waits for its expected end and the pause after it', () => {
    const { pacing, advance, reconcile } = pacedAt();
    reconcile('argocd/fleet', 1_000);
    advance(5_000);
    pacing.started('argocd/fleet');
    advance(400);
    expect(pacing.delayForChange('argocd/fleet')).toBe(600 + 1_000);
    // Longer than the last one: from now.
    advance(1_000);
    expect(pacing.delayForChange('argocd/fleet')).toBe(1_000);
  });

  it('forgets a deleted ApplicationSet', () => {
    const { pacing, reconcile } = pacedAt();
    reconcile('argocd/gone', 1_000);
    pacing.forget('argocd/gone');
    expect(pacing.delayForChange('argocd/gone')).toBe(50);
  });
});
