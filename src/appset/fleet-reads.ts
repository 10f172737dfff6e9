import type { Secret } from '../api/meta.js';
import type { ClusterSource, GeneratorContext, RegisteredCluster } from '../generators/generator.js';

/** Which cluster Secrets one generation depended on: every one, or those its selectors accept and those it was given. */
export type FleetInterest = 'all' | { selectors: ((labels: Record<string, string>) => boolean)[]; secrets: Set<string> };

const secretKey = (namespace: string | undefined, name: string | undefined) => `${namespace ?? ''}/${name ?? ''}`;

/**
 * Records, for one generation, what it read of the fleet: each `clusters.list()` through the
 * context it gives out counts as a read of every cluster unless the generator narrowed it with
 * `readClusters(selector)`, so a generator that says nothing is never missed.
 */
export class FleetReads {
  private lists = 0;
  private readonly selectors: ((labels: Record<string, string>) => boolean)[] = [];
  private listed: RegisteredCluster[] = [];
  private everything = false;

  /** `context` with its cluster reads recorded here. */
  wrap(context: GeneratorContext): GeneratorContext {
    const clusters: ClusterSource = {
      list: async () => {
        this.lists++;
        this.listed = await context.clusters.list();
        return this.listed;
      },
    };
    return { ...context, clusters, inputs: { readClusters: (selects) => this.selectors.push(selects) } };
  }

  /** Something outside the generators (a destination that names no known cluster) depends on the whole fleet. */
  readAll(): void {
    this.everything = true;
  }

  /** Undefined when the generation did not read the fleet at all. */
  interest(): FleetInterest | undefined {
    if (this.everything || this.lists > this.selectors.length) return 'all';
    if (this.lists === 0) return undefined;
    const secrets = new Set<string>();
    for (const cluster of this.listed) {
      if (cluster.secret && this.selectors.some((selects) => selects(cluster.labels))) secrets.add(secretKey(cluster.secret.namespace, cluster.secret.name));
    }
    return { selectors: this.selectors, secrets };
  }
}

/** Whether a change to `secret` (added, changed or deleted) can change a generation with this interest: it was read, or would be now. */
export function isAffectedBy(interest: FleetInterest, secret: Secret): boolean {
  if (interest === 'all') return true;
  if (interest.secrets.has(secretKey(secret.metadata?.namespace, secret.metadata?.name))) return true;
  const labels = secret.metadata?.labels ?? {};
  return interest.selectors.some((selects) => selects(labels));
}
