import { describe, expect, it } from 'vitest';
import type { ApplicationSetDetail } from '../../src/api-server/application-set-view.js';
import { LiveApplicationSets } from '../../src/api-server/live-application-sets.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const detail = (phase: string) => ({ name: 'guestbook', namespace: 'argocd', rollout: { phase } }) as unknown as ApplicationSetDetail;

describe('LiveApplicationSets', () => {
  it('polls once per ApplicationSet for all its pages, emits only changes, and stops with the last page', async () => {
    let reads = 0;
    let current = detail('Progressing');
    const live = new LiveApplicationSets({ get: async () => (reads++, current) }, 20);
    const seen: string[][] = [[], []];
    const pages = seen.map((log) => live.watch('argocd', 'guestbook').subscribe((d) => log.push(d!.rollout!.phase)));
    await sleep(150);
    current = detail('Paused');
    await sleep(150);
    expect(seen).toEqual([
      ['Progressing', 'Paused'],
      ['Progressing', 'Paused'],
    ]);
    // Two pages over ~300 ms at 20 ms: one poll per tick, not one per page.
    expect(reads).toBeLessThan(25);
    pages.forEach((page) => page.unsubscribe());
    const after = reads;
    await sleep(100);
    expect(reads).toBe(after);
    // A new page starts a new poll and sees the latest state at once.
    const late: string[] = [];
    const page = live.watch('argocd', 'guestbook').subscribe((d) => late.push(d!.rollout!.phase));
    await sleep(50);
    page.unsubscribe();
    expect(late).toEqual(['Paused']);
  });
});
