import type { ApplyRecord, ClusterStore, WriteRecord } from './cluster-store.js';

/** What the simulated clusters saw of the syncs made to them, counted from their write logs alone. */
export interface SyncAudit {
  /** Complete applications of an Application's manifests to a cluster. */
  syncs: number;
  /** Of those, ones that applied exactly the manifests an earlier one had applied, changing nothing: a revision synced again. */
  repeatedSyncs: number;
  /**
   * Writes by a Regatta replica to a cluster whose lease another replica held when the write
   * arrived: two writers at once (only with `SimFleet.auditLeases`).
   */
  nonOwnerWrites: number;
  /** Writes that arrived while no replica held the cluster's lease (it lapsed, or Redis lost it). */
  unleasedWrites: number;
  /** Per cluster, the replicas that wrote to it, in the order they first did. */
  writers: Record<string, string[]>;
  /** The first repeated syncs found, to tell which fault caused them. */
  repeats: RepeatedSync[];
}

/** One revision synced again: where, and when (process.hrtime, ms) each sync of those manifests started, by whom. */
export interface RepeatedSync {
  cluster: string;
  application: string;
  syncs: { atMs: number; writers: string[] }[];
}

/** Enough to find the fault behind repeats; a run that repeats often shows the same shape many times. */
const REPEATS_KEPT = 20;

/** The replica a Regatta User-Agent names: `regatta/0.1.0 (replica NAME)`. */
export const replicaOf = (userAgent: string | undefined): string | undefined => /\(replica ([^)\s]+)\)/.exec(userAgent ?? '')?.[1];

interface Pass {
  /** object → content digest */
  contents: Map<string, string>;
  changed: boolean;
  startedAt: bigint;
  /** Who applied it: a sync resumed by another replica has two. */
  writers: Set<string>;
}

/**
 * A sync sends its applies back to back; a pause this long between two applies of one Application
 * by one writer ends a pass (a sync that stalled midway is joined again by `joinResumed`).
 */
const PASS_GAP_NS = 300_000_000n;

/**
 * Splits one writer's applies of one Application into passes: a pass ends where an object it
 * already applied is applied again, or after a pause. A sync that failed midway leaves a shorter
 * pass, so its retry is not mistaken for a repeat.
 */
function passes(writer: string, applies: ApplyRecord[]): Pass[] {
  const found: Pass[] = [];
  let current: Pass | undefined;
  let lastAt = 0n;
  for (const apply of applies) {
    if (!current || current.contents.has(apply.object) || apply.at - lastAt > PASS_GAP_NS) {
      found.push((current = { contents: new Map(), changed: false, startedAt: apply.at, writers: new Set([writer]) }));
    }
    current.contents.set(apply.object, apply.content);
    current.changed ||= apply.changed;
    lastAt = apply.at;
  }
  return found;
}

/**
 * Joins a sync cut short to the pass that resumed it, by any writer: with ApplyOutOfSyncOnly the
 * resumption applies only the objects the first pass did not reach, so neither alone is whole.
 * Passes are taken in the order they started; a pass joins the one before it when it applies only
 * objects that one lacks.
 */
function joinResumed(all: Pass[], objectCount: number): Pass[] {
  const joined: Pass[] = [];
  for (const pass of [...all].sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0))) {
    const previous = joined.at(-1);
    const resumes =
      previous !== undefined &&
      previous.contents.size < objectCount &&
      previous.contents.size + pass.contents.size <= objectCount &&
      [...pass.contents.keys()].every((object) => !previous.contents.has(object));
    if (resumes) {
      for (const [object, content] of pass.contents) previous.contents.set(object, content);
      previous.changed ||= pass.changed;
      for (const writer of pass.writers) previous.writers.add(writer);
    } else joined.push({ ...pass, contents: new Map(pass.contents), writers: new Set(pass.writers) });
  }
  return joined;
}

const sameContents = (a: Map<string, string>, b: Map<string, string>) => a.size === b.size && [...a].every(([object, content]) => b.get(object) === content);

/**
 * Counts syncs, repeated syncs and non-owner writes from what each cluster recorded since `sinceNs`:
 * independent of what Regatta writes in an Application's status.
 */
export function auditSyncs(clusters: Record<string, ClusterStore>, sinceNs = 0n): SyncAudit {
  const audit: SyncAudit = { syncs: 0, repeatedSyncs: 0, nonOwnerWrites: 0, unleasedWrites: 0, writers: {}, repeats: [] };
  for (const [name, store] of Object.entries(clusters)) {
    const byApplication = new Map<string, Map<string, ApplyRecord[]>>();
    for (const apply of store.applies) {
      if (apply.at < sinceNs) continue;
      const writer = `${apply.identity} ${apply.userAgent ?? ''}`;
      let writers = byApplication.get(apply.application);
      if (!writers) byApplication.set(apply.application, (writers = new Map()));
      const applies = writers.get(writer);
      if (applies) applies.push(apply);
      else writers.set(writer, [apply]);
    }
    for (const [application, writers] of byApplication) {
      const split = [...writers].flatMap(([writer, applies]) => passes(writer, applies));
      // Every object the Application's syncs applied: on a loaded cluster one sync's applies can arrive further apart than a pause, each its own pass.
      const all = joinResumed(split, new Set(split.flatMap((pass) => [...pass.contents.keys()])).size);
      // A pass that a later one applied again with more objects, the same manifests for its own, is a sync cut short and retried;
      // a sync that skipped objects already in sync (a resumed one) is not, though an earlier revision's sync applied more.
      const covered = (pass: Pass) =>
        all.some(
          (other) =>
            other.startedAt > pass.startedAt &&
            other.contents.size > pass.contents.size &&
            [...pass.contents].every(([object, content]) => other.contents.get(object) === content),
        );
      const complete = all.filter((pass) => !covered(pass));
      audit.syncs += complete.length;
      // A pass that changed nothing and applied what another did: the objects already held those manifests.
      for (const pass of complete) {
        if (pass.changed) continue;
        const same = complete.filter((other) => sameContents(other.contents, pass.contents));
        if (same.length < 2) continue;
        audit.repeatedSyncs++;
        if (audit.repeats.length < REPEATS_KEPT)
          audit.repeats.push({
            cluster: name,
            application,
            syncs: same.map((sync) => ({ atMs: Number(sync.startedAt / 1_000_000n), writers: [...sync.writers] })),
          });
      }
    }
    const regattaWrites: (WriteRecord | ApplyRecord)[] = [...store.writes, ...store.applies.filter((apply) => !apply.changed)];
    const writers = new Set<string>();
    for (const write of regattaWrites) {
      const replica = write.at >= sinceNs ? replicaOf(write.userAgent) : undefined;
      if (!replica) continue;
      writers.add(replica);
      if (write.leaseHolder === '') audit.unleasedWrites++;
      else if (write.leaseHolder !== undefined && write.leaseHolder !== replica) audit.nonOwnerWrites++;
    }
    if (writers.size) audit.writers[name] = [...writers];
  }
  return audit;
}
