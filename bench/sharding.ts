// `npm run bench -- sharding`: balance and movement of every sharding algorithm (Regatta's
// bounded-load default and Argo CD's legacy, round-robin and consistent-hashing) at replicas ∈
// {3, 10, 50} × clusters ∈ {100, 1,000, 10,000}; the last line is the default at 10 × 1,000.
import { performance } from 'node:perf_hooks';
import { legacyShard, roundRobinShards } from '../src/sharding/argo-algorithms.js';
import { assign, type PreviousAssignment } from '../src/sharding/bounded-load.js';
import { hash53 } from '../src/lib/rendezvous-score.js';
import { consistentHashingShards } from '../src/sharding/consistent-hashing.js';

const SALTS = 30;
const EPSILON = 0.1;

interface Cluster {
  id: string;
  /** Index of the replica it is pinned to (a cluster Secret's `shard`). */
  pin?: number;
}

/**
 * An algorithm: replica names (ordinal order), clusters and the assignment being replaced in,
 * owner replica per cluster id out. Only Regatta's leader uses the previous assignment.
 */
type Algorithm = (replicas: string[], clusters: Cluster[], previous?: PreviousAssignment) => Map<string, string>;
const DEFAULT = 'bounded-load';
/** Argo CD's shards are StatefulSet ordinals, so scaling down removes the last; Regatta's members may leave in any order. */
const anyMemberLeaves = new Set([DEFAULT, 'bounded-load, no history']);

const byShard = (replicas: string[], shards: Map<string, number>) => new Map([...shards].map(([id, shard]) => [id, replicas[shard]]));
const argoCluster = (c: Cluster) => ({ id: c.id, ...(c.pin !== undefined ? { shard: c.pin } : {}) });

const boundedLoad: Algorithm = (replicas, clusters, previous) =>
  assign(
    replicas.map((id) => ({ id })),
    clusters.map((c) => ({ id: c.id, ...(c.pin !== undefined ? { pinnedTo: replicas[c.pin] } : {}) })),
    { epsilon: EPSILON, previous },
  ).owners;

const algorithms: Record<string, Algorithm> = {
  // As the dynamic-membership leader runs it: each generation from the published one.
  [DEFAULT]: boundedLoad,
  // As static membership runs it (and a leader with nothing published): from members and keys alone.
  'bounded-load, no history': (replicas, clusters) => boundedLoad(replicas, clusters),
  legacy: (replicas, clusters) => byShard(replicas, new Map(clusters.map((c) => [c.id, legacyShard(argoCluster(c), replicas.length)]))),
  'round-robin': (replicas, clusters) => byShard(replicas, roundRobinShards(clusters.map(argoCluster), replicas.length)),
  // Argo CD counts load in Applications; one per cluster makes its bound a bound on clusters.
  'consistent-hashing': (replicas, clusters) =>
    byShard(
      replicas,
      consistentHashingShards(
        clusters.map((c) => ({ ...argoCluster(c), apps: 1 })),
        replicas.length,
      ),
    ),
};

interface Figures {
  maxOverCap: number;
  maxOverMean: number;
  movedOnAddOverOptimal: number;
  movedOnRemoveOverOptimal: number;
  excessMovedP95: number;
  churnOnAdd: number;
  churnOnRemove: number;
  churnPerClusterChange: number;
  pinnedMoved: number;
  deterministic: boolean;
}

/** Cluster ids shaped like the Secret uids Argo CD hashes; 1 % pinned to the first replica. */
function fleet(clusters: number, salt: number): Cluster[] {
  return Array.from({ length: clusters }, (_, i) => ({
    id: `${hash53(`${salt}/${i}`).toString(16).padStart(14, '0')}-${salt}-${i}`,
    ...(i % 100 === 7 ? { pin: 0 } : {}),
  }));
}

const countMoved = (clusters: Cluster[], before: Map<string, string>, after: Map<string, string>) =>
  clusters.filter((c) => before.get(c.id) !== after.get(c.id));

function measure(name: string, replicas: number, clusters: number): Figures {
  const algorithm = algorithms[name];
  const cap = Math.ceil(((1 + EPSILON) * clusters) / replicas);
  let maxOverCap = 0;
  let maxOverMean = 0;
  let addRatio = 0;
  let removeRatio = 0;
  let churnOnAdd = 0;
  let churnOnRemove = 0;
  let pinnedMoved = 0;
  let deterministic = true;
  const excess: number[] = [];
  for (let salt = 0; salt < SALTS; salt++) {
    // StatefulSet ordinals: Argo CD's shards are positions in this list; a replica joins at the end.
    const names = Array.from({ length: replicas + 1 }, (_, i) => `regatta-${i}-${salt}`);
    const members = names.slice(0, replicas);
    const keys = fleet(clusters, salt);
    const base = algorithm(members, keys);
    const loads = new Map<string, number>();
    for (const owner of base.values()) loads.set(owner, (loads.get(owner) ?? 0) + 1);
    const maxLoad = Math.max(...loads.values());
    maxOverCap = Math.max(maxOverCap, maxLoad / cap);
    maxOverMean = Math.max(maxOverMean, maxLoad / (clusters / replicas));
    deterministic &&= JSON.stringify([...algorithm(members, [...keys].reverse())].sort()) === JSON.stringify([...base].sort());

    const joined = names[replicas];
    const previous = { members, owners: base };
    const grown = algorithm(names, keys, previous);
    deterministic &&=
      JSON.stringify([...algorithm(names, [...keys].reverse(), { members: [...members].reverse(), owners: new Map([...base].reverse()) })].sort()) ===
      JSON.stringify([...grown].sort());
    const movedAdd = countMoved(keys, base, grown);
    addRatio += movedAdd.length / (clusters / (replicas + 1));
    excess.push(movedAdd.filter((c) => grown.get(c.id) !== joined).length / clusters);
    pinnedMoved += movedAdd.filter((c) => c.pin !== undefined).length;

    const gone = anyMemberLeaves.has(name) ? members[1 + (salt % (replicas - 1))] : members[replicas - 1];
    const shrunk = algorithm(
      members.filter((m) => m !== gone),
      keys,
      previous,
    );
    const movedRemove = countMoved(keys, base, shrunk);
    removeRatio += movedRemove.length / (clusters / replicas);
    excess.push(movedRemove.filter((c) => base.get(c.id) !== gone).length / clusters);
    pinnedMoved += movedRemove.filter((c) => c.pin !== undefined).length;

    const extra = { id: `${hash53(`new/${salt}`).toString(16).padStart(14, '0')}-${salt}-new` };
    churnOnAdd += countMoved(keys, base, algorithm(members, [...keys, extra], previous)).length;
    const dropped = keys[(salt * 37) % clusters];
    const rest = keys.filter((c) => c !== dropped);
    churnOnRemove += countMoved(rest, base, algorithm(members, rest, previous)).length;
  }
  excess.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    maxOverCap: round(maxOverCap),
    maxOverMean: round(maxOverMean),
    movedOnAddOverOptimal: round(addRatio / SALTS),
    movedOnRemoveOverOptimal: round(removeRatio / SALTS),
    excessMovedP95: round(excess[Math.floor(excess.length * 0.95)]),
    churnOnAdd: round(churnOnAdd / SALTS),
    churnOnRemove: round(churnOnRemove / SALTS),
    churnPerClusterChange: round((churnOnAdd + churnOnRemove) / (2 * SALTS)),
    pinnedMoved,
    deterministic,
  };
}

console.log(`sharding: means over ${SALTS} salted fleets, 1 % of clusters pinned to the first replica; cap = ⌈1.1·clusters/replicas⌉`);
console.log('algorithm                replicas clusters  max/cap max/mean add/opt remove/opt excessP95  churn+  churn-   churn pinnedMoved deterministic');
let headline: Figures | undefined;
for (const name of Object.keys(algorithms)) {
  for (const replicas of [3, 10, 50]) {
    for (const clusters of [100, 1000, 10000]) {
      const f = measure(name, replicas, clusters);
      if (name === DEFAULT && replicas === 10 && clusters === 1000) headline = f;
      const cells = [
        f.maxOverCap,
        f.maxOverMean,
        f.movedOnAddOverOptimal,
        f.movedOnRemoveOverOptimal,
        f.excessMovedP95,
        f.churnOnAdd,
        f.churnOnRemove,
        f.churnPerClusterChange,
        f.pinnedMoved,
      ];
      const widths = [8, 8, 7, 10, 9, 7, 7, 7, 11];
      console.log(
        `${name.padEnd(24)} ${String(replicas).padStart(8)} ${String(clusters).padStart(8)} ${cells.map((c, i) => String(c).padStart(widths[i])).join(' ')} ${f.deterministic}`,
      );
    }
  }
}

// One full assignment of 10,000 clusters to 50 replicas: the median of 5 runs after a warm-up.
const members50 = Array.from({ length: 50 }, (_, i) => `regatta-${i}-0`);
const keys10k = fleet(10000, 0);
boundedLoad(members50, keys10k);
const runs = Array.from({ length: 5 }, () => {
  const start = performance.now();
  boundedLoad(members50, keys10k);
  return performance.now() - start;
}).sort((a, b) => a - b);
const assignMs10kx50 = Math.round(runs[2]);
console.log(`one full bounded-load assignment of 10,000 clusters to 50 replicas: ${assignMs10kx50} ms (median of 5)`);
const { churnOnAdd: _add, churnOnRemove: _remove, ...issueFigures } = headline!;
console.log(JSON.stringify({ bench: 'sharding', ...issueFigures, assignMs10kx50 }));
