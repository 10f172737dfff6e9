import type { ClusterStore, WriteRecord } from '../../src/sim/cluster-store.js';

/** The writes a cluster received after `since` (a `process.hrtime.bigint()` mark) that match every given field. */
export function writesSince(
  store: ClusterStore,
  since: bigint,
  match: Partial<Pick<WriteRecord, 'kind' | 'namespace' | 'name' | 'verb' | 'identity'>> = {},
): WriteRecord[] {
  return store.writes.filter((write) => write.at >= since && Object.entries(match).every(([field, value]) => write[field as keyof WriteRecord] === value));
}

/** A mark to count writes from: what an attempt made after it caused. */
export const writeMark = (): bigint => process.hrtime.bigint();
