import { ClusterDecisionResourceGeneratorImpl } from './cluster-decision-resource-generator.js';
import { ClusterGeneratorImpl } from './cluster-generator.js';
import type { Generator } from './generator.js';
import { GitGeneratorImpl } from './git-generator.js';
import { ListGeneratorImpl } from './list-generator.js';
import { MatrixGeneratorImpl } from './matrix-generator.js';
import { MergeGeneratorImpl } from './merge-generator.js';
import { PlacementGeneratorImpl } from './placement-generator.js';
import { PluginGeneratorImpl } from './plugin-generator.js';
import { PullRequestGeneratorImpl } from './pull-request-generator.js';
import { GeneratorRegistry } from './registry.js';
import { ScmProviderGeneratorImpl } from './scm-provider-generator.js';

/** Generators that produce parameters themselves (children of matrix/merge at any level). */
function terminalGenerators(): Generator<any>[] {
  return [
    new ListGeneratorImpl(),
    new ClusterGeneratorImpl(),
    new GitGeneratorImpl(),
    new ScmProviderGeneratorImpl(),
    new PullRequestGeneratorImpl(),
    new PluginGeneratorImpl(),
    new ClusterDecisionResourceGeneratorImpl(),
  ];
}

/**
 * The registry an ApplicationSet's `generators[]` is run against. As in Argo CD, matrix and merge
 * may contain one more level of matrix/merge, whose children must be terminal generators; the
 * same goes for Regatta's placement and its `items`. `decorate` wraps every generator, at every
 * level (how `regatta generate --explain` learns which generator produced which parameters).
 */
export function createDefaultRegistry(decorate: (generator: Generator<any>) => Generator<any> = (generator) => generator): GeneratorRegistry {
  const withTerminals = () => {
    const registry = new GeneratorRegistry();
    for (const generator of terminalGenerators()) registry.register(decorate(generator));
    return registry;
  };
  const terminal = withTerminals();
  const composing = (children: GeneratorRegistry) =>
    withTerminals()
      .register(decorate(new MatrixGeneratorImpl(children)))
      .register(decorate(new MergeGeneratorImpl(children)))
      .register(decorate(new PlacementGeneratorImpl(children)));
  return composing(composing(terminal));
}
