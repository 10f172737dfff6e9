import type { ApplicationSet } from '../api/application-set.js';
import { renderString } from '../templating/render.js';
import { GeneratorError, type ParamSet } from './generator.js';

/** Renders a generator's `values` with the parameters it already has, as Argo CD does. */
export function addTemplatedValues(params: ParamSet, values: Record<string, string> | undefined, appSet: ApplicationSet): void {
  if (!values) return;
  const options = { goTemplate: appSet.spec.goTemplate === true, goTemplateOptions: appSet.spec.goTemplateOptions };
  const resolved: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    try {
      resolved[key] = renderString(String(value), params, options, `values.${key}`);
    } catch (error) {
      throw new GeneratorError(`failed to replace templated string: ${(error as Error).message}`, `values.${key}`);
    }
  }
  if (options.goTemplate) params.values = resolved;
  else for (const [key, value] of Object.entries(resolved)) params[`values.${key}`] = value;
}
