import type { ApplicationSet, MergeGenerator } from '../api/application-set.js';
import { childParams, soonestRequeue } from './child-generators.js';
import { GeneratorError, type Generator, type GeneratorContext, type ParamSet } from './generator.js';
import { deepMerge } from '../lib/json-values.js';
import type { GeneratorRegistry } from './registry.js';

/**
 * `merge`: the first child is the base; each later child overrides the base parameter sets that
 * share its `mergeKeys` values. Base sets without a match pass through; unmatched later sets are
 * dropped. Argo CD emits the result in Go map order (random); Regatta keeps the base's order.
 */
export class MergeGeneratorImpl implements Generator<MergeGenerator> {
  readonly kind = 'merge';

  constructor(private readonly children: GeneratorRegistry) {}

  async generateParams(spec: MergeGenerator, appSet: ApplicationSet, context: GeneratorContext): Promise<ParamSet[]> {
    const generators = spec.generators ?? [];
    if (generators.length < 2) throw new GeneratorError('found less than two generators, Merge requires two or more', 'generators');
    const mergeKeys = [...new Set(spec.mergeKeys ?? [])].sort();
    const goTemplate = appSet.spec.goTemplate === true;

    const paramSets: ParamSet[][] = [];
    for (let i = 0; i < generators.length; i++) {
      try {
        paramSets.push(await childParams(generators[i], appSet, this.children, context, {}, `generators[${i}]`));
      } catch (error) {
        const cause = error as GeneratorError;
        throw new GeneratorError(
          `error getting param sets from generators: error getting params from generator ${i + 1} of ${generators.length}: ${cause.message}`,
          cause.field ?? `generators[${i}]`,
        );
      }
    }

    const base = indexByMergeKey(mergeKeys, paramSets[0]);
    for (const overrides of paramSets.slice(1)) {
      const byKey = indexByMergeKey(mergeKeys, overrides);
      for (const [key, baseSet] of base) {
        const override = byKey.get(key);
        if (!override) continue;
        if (goTemplate) deepMerge(baseSet, override);
        else Object.assign(baseSet, override);
      }
    }
    return [...base.values()];
  }

  requeueAfterSeconds(spec: MergeGenerator): number | undefined {
    return soonestRequeue(spec.generators ?? [], this.children);
  }
}

function indexByMergeKey(mergeKeys: string[], paramSets: ParamSet[]): Map<string, ParamSet> {
  if (mergeKeys.length < 1) throw new GeneratorError('no merge keys were specified, Merge requires at least one', 'mergeKeys');
  const byKey = new Map<string, ParamSet>();
  for (const paramSet of paramSets) {
    const key = goJsonMarshal(Object.fromEntries(mergeKeys.map((k) => [k, paramSet[k] ?? null])));
    if (byKey.has(key)) {
      throw new GeneratorError(
        `error getting param sets by merge key: the parameters from a generator were not unique by the given mergeKeys, Merge requires all param sets to be unique. Duplicate key was ${key}`,
        'mergeKeys',
      );
    }
    byKey.set(key, structuredClone(paramSet));
  }
  return byKey;
}

/** encoding/json's output for a sorted-key map of JSON values: HTML-significant characters escaped. */
function goJsonMarshal(value: Record<string, unknown>): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
