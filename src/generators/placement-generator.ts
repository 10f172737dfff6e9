import type { ApplicationSet, PlacementGenerator } from '../api/application-set.js';
import { score } from '../lib/rendezvous-score.js';
import { renderString } from '../templating/render.js';
import { childParams, soonestRequeue } from './child-generators.js';
import { ClusterGeneratorImpl } from './cluster-generator.js';
import { GeneratorError, type Generator, type GeneratorContext, type ParamSet } from './generator.js';
import { deepMerge } from '../lib/json-values.js';
import type { GeneratorRegistry } from './registry.js';
import { renderOptionsOf } from './transform.js';

/**
 * `placement` (Regatta extension): for each parameter set of `items`, the `replicas` clusters
 * matching `clusters.selector` that rank highest by rendezvous hashing of the rendered `key`,
 * one parameter set per chosen cluster, in rank order, with the cluster's parameters (exactly the
 * Cluster generator's, in-cluster included when there is no selector) merged over the item's.
 * Each item ranks clusters on its own, so adding a cluster moves only the items that now rank it
 * among their top K, and removing one moves only the items that had it.
 */
export class PlacementGeneratorImpl implements Generator<PlacementGenerator> {
  readonly kind = 'placement';
  private readonly clusters = new ClusterGeneratorImpl();

  constructor(private readonly children: GeneratorRegistry) {}

  async generateParams(spec: PlacementGenerator, appSet: ApplicationSet, context: GeneratorContext): Promise<ParamSet[]> {
    const replicas = spec.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 1) throw new GeneratorError('must be a positive integer', 'replicas');
    if (typeof spec.key !== 'string' || spec.key === '') throw new GeneratorError('must be a template naming each item, such as "{{.name}}"', 'key');
    if (spec.items == null) throw new GeneratorError('must name the generator whose parameter sets are placed', 'items');

    const items = await childParams(spec.items, appSet, this.children, context, {}, 'items');
    const candidates = await this.candidates(spec, appSet, context);
    const options = renderOptionsOf(appSet, context);
    const result: ParamSet[] = [];
    for (const item of items) {
      let key: string;
      try {
        key = await renderString(spec.key, item, options, 'key');
      } catch (error) {
        throw new GeneratorError(`failed to render the key: ${(error as Error).message}`, 'key');
      }
      const chosen = candidates
        .map((cluster) => ({ cluster, rank: score(key, String(cluster.name), 1) }))
        .sort((a, b) => b.rank - a.rank || (String(a.cluster.name) < String(b.cluster.name) ? -1 : 1))
        .slice(0, replicas);
      for (const { cluster } of chosen) result.push(options.goTemplate ? deepMerge(structuredClone(item), cluster) : { ...item, ...cluster });
    }
    return result;
  }

  requeueAfterSeconds(spec: PlacementGenerator): number | undefined {
    return soonestRequeue(spec.items ? [spec.items] : [], this.children);
  }

  /** The clusters the Cluster generator yields for the selector, with its parameters. */
  private async candidates(spec: PlacementGenerator, appSet: ApplicationSet, context: GeneratorContext): Promise<ParamSet[]> {
    try {
      return await this.clusters.generateParams({ selector: spec.clusters?.selector }, appSet, context);
    } catch (error) {
      if (error instanceof GeneratorError) throw new GeneratorError(error.message, `clusters.${error.field ?? 'selector'}`);
      throw error;
    }
  }
}
