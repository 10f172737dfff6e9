// `npm run bench -- sharding`: the bounded-load assignment's balance and movement, at
// replicas ∈ {3, 10, 50} × clusters ∈ {100, 1,000, 10,000}; the last line is 10 replicas × 1,000.
import { performance } from 'node:perf_hooks';
import { legacyShard, roundRobinShards } from '../src/sharding/argo-algorithms.js';
import { assign, hash53, type Key, type Member } from '../src/sharding/bounded-load.js';

const SALTS = 30;

interface Figures {
  maxOverCap: number;
  maxOverMean: number;
  movedOnAddOverOptimal: number;
  movedOnRemoveOverOptimal: number;
  excessMovedP95: number;
  churnPerClusterChange: number;
  pinnedMoved: number;
  deterministic: boolean;
}

const members = (n: number, salt: number): Member[] => Array.from({ length: n }, (_, i) => ({ id: `regatta-${i}-${salt}` }));
const keys = (n: number, salt: number): Key[] => Array.from({ length: n }, (_, i) => ({ id: `https://cluster-${i}.fleet-${salt}.example.com`, ...(i % 100 === 7 ? { pinnedTo: `regatta-0-${salt}` } : {}) }));

function measure(replicas: number, clusters: number): Figures {
  let maxOverCap = 0;
  let maxOverMean = 0;
  let addRatio = 0;
  let removeRatio = 0;
  let churn = 0;
  let pinnedMoved = 0;
  let deterministic = true;
  const excess: number[] = [];
  for (let salt = 0; salt < SALTS; salt++) {
    const m = members(replicas, salt);
    const k = keys(clusters, salt);
    const base = assign(m, k);
    const loads = new Map<string, number>();
    for (const owner of base.owners.values()) loads.set(owner, (loads.get(owner) ?? 0) + 1);
    for (const [member, load] of loads) maxOverCap = Math.max(maxOverCap, load / base.caps.get(member)!);
    maxOverMean = Math.max(maxOverMean, Math.max(...loads.values()) / (clusters / replicas));
    const shuffled = assign([...m].reverse(), [...k].reverse());
    deterministic &&= JSON.stringify([...shuffled.owners]) === JSON.stringify([...base.owners]);

    const added = assign([...m, { id: `regatta-new-${salt}` }], k).owners;
    const movedAdd = k.filter((key) => added.get(key.id) !== base.owners.get(key.id));
    addRatio += movedAdd.length / (clusters / (replicas + 1));
    excess.push(movedAdd.filter((key) => added.get(key.id) !== `regatta-new-${salt}`).length / clusters);
    pinnedMoved += movedAdd.filter((key) => key.pinnedTo).length;

    const gone = m[1 + (salt % (replicas - 1))].id;
    const removed = assign(m.filter((x) => x.id !== gone), k).owners;
    const movedRemove = k.filter((key) => removed.get(key.id) !== base.owners.get(key.id));
    removeRatio += movedRemove.length / (clusters / replicas);
    excess.push(movedRemove.filter((key) => base.owners.get(key.id) !== gone).length / clusters);
    pinnedMoved += movedRemove.filter((key) => key.pinnedTo).length;

    const extra = { id: `https://new-cluster.fleet-${salt}.example.com` };
    const withKey = assign(m, [...k, extra]).owners;
    churn += k.filter((key) => withKey.get(key.id) !== base.owners.get(key.id)).length;
  }
  excess.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    maxOverCap: round(maxOverCap),
    maxOverMean: round(maxOverMean),
    movedOnAddOverOptimal: round(addRatio / SALTS),
    movedOnRemoveOverOptimal: round(removeRatio / SALTS),
    excessMovedP95: round(excess[Math.floor(excess.length * 0.95)]),
    churnPerClusterChange: round(churn / SALTS),
    pinnedMoved,
    deterministic,
  };
}

console.log('sharding: bounded-load (weighted rendezvous + deferred acceptance, ε = 0.10), means over 30 salted fleets');
console.log('replicas clusters  maxOverCap maxOverMean add/opt remove/opt excessP95 churn pinnedMoved deterministic');
let headline: Figures | undefined;
for (const replicas of [3, 10, 50]) {
  for (const clusters of [100, 1000, 10000]) {
    if (clusters === 10000 && replicas === 50) continue;
    const f = measure(replicas, clusters);
    if (replicas === 10 && clusters === 1000) headline = f;
    console.log(
      `${String(replicas).padStart(8)} ${String(clusters).padStart(8)}  ${String(f.maxOverCap).padStart(10)} ${String(f.maxOverMean).padStart(11)} ${String(f.movedOnAddOverOptimal).padStart(7)} ${String(f.movedOnRemoveOverOptimal).padStart(10)} ${String(f.excessMovedP95).padStart(9)} ${String(f.churnPerClusterChange).padStart(5)} ${String(f.pinnedMoved).padStart(11)} ${f.deterministic}`,
    );
  }
}
/** Argo CD's algorithms on the same fleets: balance, moves when a replica joins, churn per added cluster. */
function measureArgo(replicas: number, clusters: number, algorithm: 'legacy' | 'round-robin') {
  let maxOverMean = 0;
  let addRatio = 0;
  let churn = 0;
  for (let salt = 0; salt < SALTS; salt++) {
    const fleet = Array.from({ length: clusters }, (_, i) => ({ id: `uid-${salt}-${hash53(`${salt}/${i}`).toString(16)}` }));
    const shards = (n: number, list: typeof fleet) =>
      algorithm === 'legacy' ? new Map(list.map((c) => [c.id, legacyShard(c, n)])) : roundRobinShards(list, n);
    const base = shards(replicas, fleet);
    const loads = new Array(replicas).fill(0);
    for (const shard of base.values()) loads[shard]++;
    maxOverMean = Math.max(maxOverMean, Math.max(...loads) / (clusters / replicas));
    const grown = shards(replicas + 1, fleet);
    addRatio += fleet.filter((c) => grown.get(c.id) !== base.get(c.id)).length / (clusters / (replicas + 1));
    const withOne = shards(replicas, [...fleet, { id: `uid-${salt}-${hash53(`new/${salt}`).toString(16)}` }]);
    churn += fleet.filter((c) => withOne.get(c.id) !== base.get(c.id)).length;
  }
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return { maxOverMean: round(maxOverMean), movedOnAddOverOptimal: round(addRatio / SALTS), churnPerClusterChange: round(churn / SALTS) };
}

console.log('');
console.log("Argo CD's algorithms on comparable fleets (consistent-hashing not ported yet)");
console.log('algorithm   replicas clusters  maxOverMean add/opt  churn');
for (const algorithm of ['legacy', 'round-robin'] as const) {
  for (const replicas of [3, 10, 50]) {
    for (const clusters of [100, 1000, 10000]) {
      const f = measureArgo(replicas, clusters, algorithm);
      console.log(`${algorithm.padEnd(11)} ${String(replicas).padStart(8)} ${String(clusters).padStart(8)}  ${String(f.maxOverMean).padStart(11)} ${String(f.movedOnAddOverOptimal).padStart(7)} ${String(f.churnPerClusterChange).padStart(6)}`);
    }
  }
}

const start = performance.now();
assign(members(50, 0), keys(10000, 0));
const assignMs10kx50 = Math.round(performance.now() - start);
console.log(`one full assignment of 10,000 clusters to 50 replicas: ${assignMs10kx50} ms`);
console.log(JSON.stringify({ bench: 'sharding', ...headline!, assignMs10kx50 }));
