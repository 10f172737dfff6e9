import type { ApplicationSet } from '../api/application-set.js';
import { setEntry } from '../lib/json-values.js';
import { renderString } from '../templating/render.js';
import { GeneratorError, type GeneratorContext, type ParamSet } from './generator.js';
import { renderOptionsOf } from './transform.js';

/** Renders a generator's `values` with the parameters it already has, as Argo CD does. */
export async function addTemplatedValues(
  params: ParamSet,
  values: Record<string, string> | undefined,
  appSet: ApplicationSet,
  context: GeneratorContext,
): Promise<void> {
  if (!values) return;
  const options = renderOptionsOf(appSet, context);
  const resolved: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    try {
      setEntry(resolved, key, await renderString(String(value), params, options, `values.${key}`));
    } catch (error) {
      throw new GeneratorError(`failed to replace templated string: ${(error as Error).message}`, `values.${key}`);
    }
  }
  if (options.goTemplate) params.values = resolved;
  else for (const [key, value] of Object.entries(resolved)) params[`values.${key}`] = value;
}
