import type { ApplicationSet, ApplicationSetNestedGenerator } from '../api/application-set.js';
import { GeneratorError, type GeneratorContext, type ParamSet } from './generator.js';
import type { GeneratorRegistry } from './registry.js';
import { kindsIn, transformGenerator } from './transform.js';

/**
 * How Matrix and Merge run their children: through the same transform as top-level entries,
 * with no base template (a child's own template is ignored, as in Argo CD). An entry naming no
 * generator (`{}`) yields no transform result, hence Argo CD's "generated no parameters".
 */
export async function childParams(
  child: ApplicationSetNestedGenerator,
  appSet: ApplicationSet,
  registry: GeneratorRegistry,
  context: GeneratorContext,
  inherited: ParamSet,
  field: string,
): Promise<ParamSet[]> {
  for (const nested of ['matrix', 'merge'] as const) {
    if (child[nested] != null && !registry.get(nested)) {
      throw new GeneratorError(`${nested} generators may be nested only one level deep`, `${field}.${nested}`);
    }
  }
  let results;
  try {
    results = await transformGenerator(child, {}, appSet, registry, context, inherited, field);
  } catch (error) {
    const cause = error as GeneratorError;
    throw new GeneratorError(`child generator returned an error on parameter generation: ${cause.message}`, cause.field ?? field);
  }
  // Argo CD's MatrixGenerator.getParams and MergeGenerator.getParams return these two unwrapped.
  if (results.length === 0) throw new GeneratorError('child generator generated no parameters', field);
  if (results.length > 1) throw new GeneratorError('found more than one generator in matrix.Generators', field);
  return results[0].params;
}

/** The soonest requeue any child asks for; undefined when none asks. */
export function soonestRequeue(children: ApplicationSetNestedGenerator[], registry: GeneratorRegistry): number | undefined {
  let soonest: number | undefined;
  children.forEach((child, i) => {
    let kinds: string[];
    try {
      kinds = kindsIn(child, `generators[${i}]`);
    } catch {
      return;
    }
    for (const kind of kinds) {
      const seconds = registry.get(kind)?.requeueAfterSeconds((child as Record<string, unknown>)[kind]);
      if (seconds !== undefined && (soonest === undefined || seconds < soonest)) soonest = seconds;
    }
  });
  return soonest;
}
