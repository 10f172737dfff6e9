import { assignOwnership, type ShardingAlgorithm } from './shard-assignment.js';
import { OwnershipHolder, type ShardKeys, type ShardView } from './shard-view.js';

/**
 * Static membership, as Argo CD's `--replicas`: the members are the StatefulSet's pods
 * `<name>-0` … `<name>-(N-1)`, named after this replica's own pod name; every replica computes the
 * same assignment from the same keys, always from scratch (no replica's history is shared). With
 * one replica it owns everything.
 */
export class StaticShards extends OwnershipHolder implements ShardView {
  private readonly members: string[];
  private generation = 0;
  private fingerprint = '';

  constructor(
    replica: string,
    replicas: number,
    private readonly algorithm: ShardingAlgorithm,
    private readonly keys: () => ShardKeys,
    private readonly epsilon = 0.1,
  ) {
    super(replica);
    const base = /^(.*)-\d+$/.exec(replica)?.[1];
    this.members = replicas > 1 && base ? Array.from({ length: replicas }, (_, i) => `${base}-${i}`) : [replica];
  }

  async start(): Promise<void> {
    this.keysChanged();
  }

  async stop(): Promise<void> {}

  keysChanged(): void {
    const keys = this.keys();
    const next = assignOwnership(this.algorithm, this.members, keys.clusters, keys.appSets, { epsilon: this.epsilon });
    const fingerprint = JSON.stringify(next);
    if (fingerprint === this.fingerprint) return;
    this.fingerprint = fingerprint;
    this.adopt({ generation: ++this.generation, ...next });
  }
}
