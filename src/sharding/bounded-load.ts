/**
 * Bounded-load assignment of keys (clusters, ApplicationSets) to members (replicas).
 *
 * Why not the `consistent-hash` package the design names (1.2.2, measured with 10 replicas ×
 * 1,000 clusters): two processes disagree on 949 of 1,000 keys (virtual nodes placed with
 * Math.random()); max/mean load 1.49 (1.16 with `distribution: 'uniform'`) with no way to bound it;
 * `add()` after `remove()` throws ("Cannot read properties of null"); its 24-bit PJW hash put
 * `app-0`…`app-7` on 2 replicas. No wrapper fixes determinism or the bound.
 *
 * Here: weighted rendezvous (HRW) hashing gives every key a preference order over members;
 * loads are bounded by deferred acceptance (a stable matching): keys propose down their order,
 * a full member keeps the keys that rank it highest. The result is unique, so it does not depend
 * on input order, and two processes given the same members and keys agree byte for byte.
 * Adding a member moves only keys that now rank it first (plus the few a cap displaces).
 *
 * From scratch, the caps still move a few keys between members that stay: whether a member is
 * over its cap, and by how much, changes with the keys a joining member takes from it or a leaving
 * one leaves it, so keys it had pushed out come back or others go. That is 0.012 of the keys at the
 * 95th percentile at 10 replicas × 1,000 clusters (`npm run bench -- sharding`), and no choice of
 * which key a full member drops changed it. Given the previous generation, every key stays with
 * its member unless a member that joined since ranks above it or the caps push it out, and members
 * keep their incumbents first; then a leaving member moves only its own keys, a joining one takes
 * what ranks it first plus what the caps push out (0.004 at the 95th percentile), the result is
 * still a stable matching (so still unique and order-free), and a member that leaves and comes
 * back gets its keys back. Only a single author of generations may use it (see `assignOwnership`).
 *
 * Caps are staggered. With every cap at ⌈(1+ε)·keys·weight/totalWeight⌉, all equal-weight caps
 * rise together whenever that crosses an integer, and each full member then takes back its best
 * rejected key, which frees a slot elsewhere, and so on: on `npm run bench -- sharding`'s fleets,
 * adding one cluster moved 1.73 others on average at 10 replicas × 1,000 clusters, 20.7 at
 * 50 × 1,000. Here a member's cap is ⌊q + φ⌋ (never above ⌈q⌉; q its quota
 * (1+ε)·keys·weight/totalWeight, φ ∈ (0,1) a hash of its id), so caps rise one member at a time:
 * 0.47 / 0.43 others moved per cluster added / removed at 10 × 1,000, 1.2 / 1.3 at 50 × 1,000,
 * with unchanged moves on member changes at 10 × 1,000 (1.065× / 1.03× the optimum). The price is
 * half a key of slack per member on average, which shows only with few keys per member
 * (50 × 1,000: 1.61× the optimum on a member joining, 1.35× before). When the staggered caps cannot
 * hold every key (tiny fleets, pins), the members nearest to their next step get ⌈q⌉ first.
 */
import { hash53, score } from '../lib/rendezvous-score.js';

export interface Member {
  id: string;
  /** Relative capacity; default 1. */
  weight?: number;
}

export interface Key {
  id: string;
  /** A member this key must stay on (a cluster Secret's `shard`), whatever the loads. */
  pinnedTo?: string;
}

export interface AssignmentOptions {
  /** Load slack ε: no member holds more than ⌈(1+ε)·keys·weight/totalWeight⌉ (default 0.10). */
  epsilon?: number;
  /**
   * The assignment this one replaces, e.g. the last published generation. Keys stay with their
   * previous member unless a member that has joined since ranks above it or the caps push them
   * out; without it the assignment is computed from scratch.
   */
  previous?: PreviousAssignment;
}

export interface PreviousAssignment {
  members: readonly string[];
  /** key → member. */
  owners: ReadonlyMap<string, string>;
}

export interface Assignment {
  /** key → member, in key order. */
  owners: Map<string, string>;
  /** member → its cap. */
  caps: Map<string, number>;
}

const PHASE_SEED = 0x5ca1ab1e;

/**
 * Each member's cap min(⌈q⌉, ⌊q + φ⌋) (see above), raised to ⌈q⌉ for the members nearest to their
 * next step while the room left beside pinned keys is short of the free keys.
 */
function staggeredCaps(members: Member[], keyCount: number, pinned: Map<string, number>, freeCount: number, epsilon: number): Map<string, number> {
  const totalWeight = members.reduce((sum, m) => sum + (m.weight ?? 1), 0);
  const quotas = members.map((m) => {
    const quota = ((1 + epsilon) * keyCount * (m.weight ?? 1)) / totalWeight;
    const phase = (hash53(m.id, PHASE_SEED) + 0.5) / 2 ** 53;
    return { id: m.id, ceiling: Math.ceil(quota), staggered: Math.floor(quota + phase), nearness: (quota + phase) % 1 };
  });
  const caps = new Map(quotas.map((q) => [q.id, Math.min(q.ceiling, q.staggered)]));
  let room = quotas.reduce((sum, { id }) => sum + Math.max(0, caps.get(id)! - pinned.get(id)!), 0);
  const nearestFirst = quotas.filter((q) => q.staggered < q.ceiling).sort((a, b) => b.nearness - a.nearness || (a.id < b.id ? -1 : 1));
  for (const { id, ceiling } of nearestFirst) {
    if (room >= freeCount) break;
    if (ceiling > pinned.get(id)!) room += ceiling - Math.max(caps.get(id)!, pinned.get(id)!);
    caps.set(id, ceiling);
  }
  return caps;
}

export function assign(members: Member[], keys: Key[], options: AssignmentOptions = {}): Assignment {
  const epsilon = options.epsilon ?? 0.1;
  const sortedMembers = [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const sortedKeys = [...keys].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const owners = new Map<string, string>();
  if (sortedMembers.length === 0) return { owners, caps: new Map() };
  const pinned = new Map(sortedMembers.map((m) => [m.id, 0]));
  const memberIds = new Set(sortedMembers.map((m) => m.id));
  const free: string[] = [];
  for (const key of sortedKeys) {
    if (key.pinnedTo && memberIds.has(key.pinnedTo)) {
      owners.set(key.id, key.pinnedTo);
      pinned.set(key.pinnedTo, pinned.get(key.pinnedTo)! + 1);
    } else free.push(key.id);
  }
  const caps = staggeredCaps(sortedMembers, sortedKeys.length, pinned, free.length, epsilon);

  const previous = options.previous?.owners;
  const veterans = new Set(options.previous?.members);
  // Each member's accepted keys, as a min-heap by rank, so a better proposal can replace the worst.
  const held = new Map<string, Proposal[]>(sortedMembers.map((m) => [m.id, []]));
  const preferences = new Map<string, Proposal[]>();
  const next = new Map<string, number>();
  const preferencesOf = (key: string) => {
    let list = preferences.get(key);
    if (!list) {
      const incumbent = previous?.get(key);
      list = sortedMembers
        .map((m) => ({ key, member: m.id, score: score(key, m.id, m.weight ?? 1), incumbent: m.id === incumbent }))
        .sort((a, b) => b.score - a.score || (a.member < b.member ? -1 : 1));
      if (incumbent && memberIds.has(incumbent)) list = stayingFirst(list, veterans);
      preferences.set(key, list);
    }
    return list;
  };

  while (free.length) {
    const key = free.pop()!;
    const list = preferencesOf(key);
    const index = next.get(key) ?? 0;
    if (index >= list.length) continue;
    next.set(key, index + 1);
    const proposal = list[index];
    const heap = held.get(proposal.member)!;
    const capacity = caps.get(proposal.member)! - pinned.get(proposal.member)!;
    if (heap.length < capacity) {
      heapPush(heap, proposal);
    } else if (heap.length > 0 && outranks(proposal, heap[0])) {
      const displaced = heapPop(heap)!;
      heapPush(heap, proposal);
      free.push(displaced.key);
    } else free.push(key);
  }
  for (const [member, heap] of held) for (const { key } of heap) owners.set(key, member);
  return { owners: new Map(sortedKeys.filter((k) => owners.has(k.id)).map((k) => [k.id, owners.get(k.id)!])), caps };
}

/** A key's offer to a member; the member keeps its incumbents first, then the keys that score it highest. */
interface Proposal {
  key: string;
  member: string;
  score: number;
  incumbent: boolean;
}

const outranks = (a: Proposal, b: Proposal) => (a.incumbent !== b.incumbent ? a.incumbent : a.score !== b.score ? a.score > b.score : a.key < b.key);

/**
 * A key's order when it had a member before: newcomers (members that have joined since) it ranks
 * above that member, then that member, then the other newcomers, then everyone else, each
 * group in rendezvous order. So a joining member takes the keys that rank it first plus what caps
 * push out, and between the members that stay only what the caps push out moves.
 */
function stayingFirst(list: Proposal[], veterans: Set<string>): Proposal[] {
  const at = list.findIndex((p) => p.incumbent);
  const group = (p: Proposal, i: number) => (p.incumbent ? 1 : veterans.has(p.member) ? 3 : i < at ? 0 : 2);
  return list
    .map((p, i) => ({ p, g: group(p, i), i }))
    .sort((a, b) => a.g - b.g || a.i - b.i)
    .map(({ p }) => p);
}

function heapPush(heap: Proposal[], item: Proposal): void {
  heap.push(item);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!outranks(heap[parent], heap[i])) break;
    [heap[parent], heap[i]] = [heap[i], heap[parent]];
    i = parent;
  }
}

function heapPop(heap: Proposal[]): Proposal | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length && last) {
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let lowest = i;
      if (l < heap.length && outranks(heap[lowest], heap[l])) lowest = l;
      if (r < heap.length && outranks(heap[lowest], heap[r])) lowest = r;
      if (lowest === i) break;
      [heap[lowest], heap[i]] = [heap[i], heap[lowest]];
      i = lowest;
    }
  }
  return top;
}
