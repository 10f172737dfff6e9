import { describe, expect, it } from 'vitest';
import { ReconcilePacing } from '../../src/appset/reconcile-pacing.js';

/** A pacing on a clock the test moves. */
function pacedAt(start = 1_000_000) {
  let now = start;
  const pacing = new ReconcilePacing(() => now);
  return { pacing, advance: (ms: number) => (now += ms) };
}

describe('ReconcilePacing', () => {
  it('acts on a change to an ApplicationSet never reconciled here after gathering that moment', () => {
    const { pacing } = pacedAt();
    expect(pacing.delayForChange('argocd/guestbook')).toBe(50);
  });

  it('after a reconcile, waits out the pause; once the pause is over, a change (a workload turning healthy) is acted on at once', () => {
    const { pacing, advance } = pacedAt();
    pacing.started('argocd/guestbook');
    advance(100);
    pacing.ended('argocd/guestbook');
    expect(pacing.delayForChange('argocd/guestbook')).toBe(500);
    advance(300);
    expect(pacing.delayForChange('argocd/guestbook')).toBe(200);
    advance(10_000);
    expect(pacing.delayForChange('argocd/guestbook')).toBe(50);
  });

  it('lengthens the pause with the reconcile, so reconciles never take most of the time', () => {
    const { pacing, advance } = pacedAt();
    pacing.started('argocd/fleet');
    advance(2_000);
    pacing.ended('argocd/fleet');
    expect(pacing.delayForChange('argocd/fleet')).toBe(4_000);
    // Each ApplicationSet is paced by its own reconciles.
    expect(pacing.delayForChange('argocd/other')).toBe(50);
  });

  it('a change while a reconcile runs waits for its expected end and the pause after it', () => {
    const { pacing, advance } = pacedAt();
    pacing.started('argocd/fleet');
    advance(1_000);
    pacing.ended('argocd/fleet');
    advance(5_000);
    pacing.started('argocd/fleet');
    advance(400);
    expect(pacing.delayForChange('argocd/fleet')).toBe(600 + 2_000);
    // Longer than the last one: from now.
    advance(1_000);
    expect(pacing.delayForChange('argocd/fleet')).toBe(2_000);
  });

  it('forgets a deleted ApplicationSet', () => {
    const { pacing, advance } = pacedAt();
    pacing.started('argocd/gone');
    advance(1_000);
    pacing.ended('argocd/gone');
    pacing.forget('argocd/gone');
    expect(pacing.delayForChange('argocd/gone')).toBe(50);
  });
});
