import type { ApplicationSet, MatrixGenerator } from '../api/application-set.js';
import { deepMerge, setEntry } from '../lib/json-values.js';
import { childParams, soonestRequeue } from './child-generators.js';
import { GeneratorError, type Generator, type GeneratorContext, type ParamSet } from './generator.js';
import type { GeneratorRegistry } from './registry.js';

/**
 * `matrix`: the cartesian product of two children. The second child is rendered with each of the
 * first child's parameter sets, so it may use them. Fasttemplate parameters must agree on shared
 * keys; in goTemplate mode the first child's values win, merged deeply.
 */
export class MatrixGeneratorImpl implements Generator<MatrixGenerator> {
  readonly kind = 'matrix';

  constructor(private readonly children: GeneratorRegistry) {}

  async generateParams(spec: MatrixGenerator, appSet: ApplicationSet, context: GeneratorContext): Promise<ParamSet[]> {
    const generators = spec.generators ?? [];
    if (generators.length < 2) throw new GeneratorError('found less than two generators, Matrix support only two', 'generators');
    if (generators.length > 2) throw new GeneratorError('found more than two generators, Matrix support only two', 'generators');
    const goTemplate = appSet.spec.goTemplate === true;

    const first = await this.child(0, spec, appSet, context, {}, 'error failed to get params for first generator in matrix generator');
    const result: ParamSet[] = [];
    for (const a of first) {
      const second = await this.child(1, spec, appSet, context, a, 'failed to get params for second generator in the matrix generator');
      for (const b of second) result.push(goTemplate ? deepMerge(deepMerge({}, b), a) : combineStringParams(a, b));
    }
    return result;
  }

  requeueAfterSeconds(spec: MatrixGenerator): number | undefined {
    return soonestRequeue(spec.generators ?? [], this.children);
  }

  private async child(
    index: number,
    spec: MatrixGenerator,
    appSet: ApplicationSet,
    context: GeneratorContext,
    inherited: ParamSet,
    failure: string,
  ): Promise<ParamSet[]> {
    try {
      return await childParams(spec.generators[index], appSet, this.children, context, inherited, `generators[${index}]`);
    } catch (error) {
      const cause = error as GeneratorError;
      throw new GeneratorError(`${failure}: ${cause.message}`, cause.field ?? `generators[${index}]`);
    }
  }
}

/** Go's `%v` of fasttemplate values is their string form; equal keys must agree. */
function combineStringParams(a: ParamSet, b: ParamSet): ParamSet {
  const result: ParamSet = {};
  for (const key of Object.keys(a)) setEntry(result, key, String(a[key]));
  for (const key of Object.keys(b)) {
    const text = String(b[key]);
    if (Object.hasOwn(result, key) && result[key] !== text) {
      throw new GeneratorError(`found duplicate key ${key} with different value, a: ${result[key]} ,b: ${text}`);
    }
    setEntry(result, key, text);
  }
  return result;
}
