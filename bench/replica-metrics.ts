// What a replica's own Prometheus metrics say about a stretch of its run: how many ApplicationSet
// reconciles it made and how long they took, the share of the time its garbage collector ran, and how
// late its event loop ran callbacks. Read over HTTP from `/metrics`, the way Prometheus reads them.

/** One scrape: each sample's `name{labels}` → its value. */
export type Scrape = Map<string, number>;

export async function scrapeReplica(port: number): Promise<Scrape> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (!response.ok) throw new Error(`the replica's /metrics answered ${response.status}`);
  const samples: Scrape = new Map();
  for (const line of (await response.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

export interface ReplicaCosts {
  reconciles: number;
  /** Mean wall time of a reconcile, and the histogram bucket its 95th percentile falls in (an upper bound). */
  reconcileMeanMs: number;
  reconcileP95AtMostMs: number;
  /** Garbage collection's share of the wall time between the scrapes. */
  gcShare: number;
  /** How late the event loop ran its callbacks between the scrapes (prom-client resets its histogram at each scrape). */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
}

/** Sums of the samples of `name` (over every label set), after less before. */
function delta(before: Scrape, after: Scrape, name: string): number {
  let total = 0;
  for (const [sample, value] of after) {
    if (sample !== name && !sample.startsWith(`${name}{`)) continue;
    total += value - (before.get(sample) ?? 0);
  }
  return total;
}

/** The replica's costs between two scrapes taken `wallMs` apart; the second scrape carries the event loop's delays since the first. */
export function replicaCosts(before: Scrape, after: Scrape, wallMs: number): ReplicaCosts {
  const reconciles = delta(before, after, 'argocd_appset_reconcile_count');
  // Reconciles at or under each bucket's bound between the scrapes, summed over every label set.
  const within = new Map<number, number>();
  for (const [sample, value] of after) {
    const le = /^argocd_appset_reconcile_bucket\{.*le="([^"]+)"/.exec(sample)?.[1];
    if (le === undefined || le === '+Inf') continue;
    within.set(Number(le), (within.get(Number(le)) ?? 0) + value - (before.get(sample) ?? 0));
  }
  const p95Bound = [...within.keys()].sort((a, b) => a - b).find((le) => within.get(le)! >= 0.95 * reconciles);
  const ms = (seconds: number) => Math.round(seconds * 1000);
  return {
    reconciles,
    reconcileMeanMs: reconciles ? ms(delta(before, after, 'argocd_appset_reconcile_sum') / reconciles) : 0,
    reconcileP95AtMostMs: p95Bound === undefined ? Infinity : ms(p95Bound),
    gcShare: Number(((delta(before, after, 'nodejs_gc_duration_seconds_sum') * 1000) / wallMs).toFixed(3)),
    eventLoopDelayMs: {
      p50: ms(after.get('nodejs_eventloop_lag_p50_seconds') ?? Number.NaN),
      p99: ms(after.get('nodejs_eventloop_lag_p99_seconds') ?? Number.NaN),
      max: ms(after.get('nodejs_eventloop_lag_max_seconds') ?? Number.NaN),
    },
  };
}
