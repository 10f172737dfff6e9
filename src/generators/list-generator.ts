import type { ApplicationSet, ListGenerator } from '../api/application-set.js';
import { parseKubeYaml } from '../api/kube-yaml.js';
import { isPlainObject, setEntry } from '../lib/json-values.js';
import { GeneratorError, type Generator, type ParamSet } from './generator.js';

/**
 * `list`: one parameter set per element. In fasttemplate mode each element must hold string
 * values (and an optional `values` map of strings, exposed as `values.<key>`); in goTemplate
 * mode elements pass through as they are. `elementsYaml` elements are appended unchanged.
 */
export class ListGeneratorImpl implements Generator<ListGenerator> {
  readonly kind = 'list';

  async generateParams(spec: ListGenerator, appSet: ApplicationSet): Promise<ParamSet[]> {
    const goTemplate = appSet.spec.goTemplate === true;
    const result: ParamSet[] = (spec.elements ?? []).map((element, i) => {
      if (!isPlainObject(element)) {
        throw new GeneratorError(`error unmarshling list element: expected an object, got ${describe(element)}`, `elements[${i}]`);
      }
      return goTemplate ? element : stringParams(element, i);
    });
    if (spec.elementsYaml) {
      let parsed: unknown;
      try {
        parsed = parseKubeYaml(spec.elementsYaml);
      } catch (error) {
        throw new GeneratorError(`error unmarshling decoded ElementsYaml: ${(error as Error).message}`, 'elementsYaml');
      }
      if (parsed == null) return result;
      if (!Array.isArray(parsed) || !parsed.every(isPlainObject)) {
        throw new GeneratorError('error unmarshling decoded ElementsYaml: expected a list of objects', 'elementsYaml');
      }
      result.push(...(parsed as ParamSet[]));
    }
    return result;
  }

  requeueAfterSeconds(): number | undefined {
    return undefined;
  }
}

function stringParams(element: Record<string, unknown>, index: number): ParamSet {
  const params: ParamSet = {};
  for (const key of Object.keys(element)) {
    const value = element[key];
    if (key === 'values') {
      if (!isPlainObject(value)) throw new GeneratorError('error parsing values map', `elements[${index}].values`);
      for (const [name, inner] of Object.entries(value)) {
        if (typeof inner !== 'string') {
          throw new GeneratorError(`error parsing value as string: got ${describe(inner)}`, `elements[${index}].values.${name}`);
        }
        params[`values.${name}`] = inner;
      }
    } else if (typeof value !== 'string') {
      throw new GeneratorError(
        `error parsing value as string: got ${describe(value)} (without goTemplate, list elements hold strings only)`,
        `elements[${index}].${key}`,
      );
    } else {
      setEntry(params, key, value);
    }
  }
  return params;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}
