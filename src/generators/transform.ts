import type { ApplicationSet, ApplicationSetNestedGenerator, ApplicationSetTemplate, GeneratorTemplate } from '../api/application-set.js';
import { flattenParams } from '../templating/flatten.js';
import { isPlainObject, ownEntry, setEntry } from '../lib/json-values.js';
import { render, renderString, RenderError, type RenderOptions } from '../templating/render.js';
import { GeneratorError, type GeneratorContext, type ParamSet } from './generator.js';
import { compileLabelSelector, LabelSelectorError } from './label-selector.js';
import type { GeneratorRegistry } from './registry.js';

/** Generator keys in the order Argo CD's ApplicationSetGenerator declares them; `placement` is Regatta's. */
export const GENERATOR_KINDS = [
  'list',
  'clusters',
  'git',
  'scmProvider',
  'clusterDecisionResource',
  'pullRequest',
  'matrix',
  'merge',
  'plugin',
  'placement',
] as const;

export interface TransformResult {
  params: ParamSet[];
  template: ApplicationSetTemplate;
}

export function renderOptionsOf(appSet: ApplicationSet, context: Pick<GeneratorContext, 'templateTimeoutMs'>): RenderOptions {
  return { goTemplate: appSet.spec.goTemplate === true, goTemplateOptions: appSet.spec.goTemplateOptions, timeoutMs: context.templateTimeoutMs };
}

/** The generator kinds set in one `generators[]` entry (Argo CD runs each of them). */
export function kindsIn(entry: ApplicationSetNestedGenerator, field: string): string[] {
  const kinds: string[] = [];
  for (const key of Object.keys(entry)) {
    if (key === 'selector' || (entry as Record<string, unknown>)[key] == null) continue;
    if (!(GENERATOR_KINDS as readonly string[]).includes(key)) {
      throw new GeneratorError(`unrecognized generator: ${key}`, `${field}.${key}`);
    }
  }
  for (const kind of GENERATOR_KINDS) {
    if ((entry as Record<string, unknown>)[kind] != null) kinds.push(kind);
  }
  return kinds;
}

/**
 * One `generators[]` entry → parameter sets and the template to render them with, as Argo CD's
 * Transform: the entry is first interpolated with `inherited` parameters (the first matrix
 * child's), each generator it names is run, and the entry's post-selector filters the result.
 * Throws on the first failure, so a failed generation never looks like an empty one.
 */
export async function transformGenerator(
  entry: ApplicationSetNestedGenerator,
  baseTemplate: GeneratorTemplate,
  appSet: ApplicationSet,
  registry: GeneratorRegistry,
  context: GeneratorContext,
  inherited: ParamSet,
  field: string,
): Promise<TransformResult[]> {
  const options = renderOptionsOf(appSet, context);
  let matches: (labels: Record<string, string>) => boolean;
  try {
    matches = compileLabelSelector(entry.selector, `${field}.selector`);
  } catch (error) {
    throw new GeneratorError(`error parsing label selector: ${(error as Error).message}`, `${field}.selector`);
  }
  const hasSelector = entry.selector != null;
  const interpolated = Object.keys(inherited).length ? await interpolateGenerator(entry, inherited, options, field) : entry;

  const results: TransformResult[] = [];
  for (const kind of kindsIn(entry, field)) {
    const generator = registry.get(kind);
    const kindField = `${field}.${kind}`;
    if (!generator) throw new GeneratorError(`the ${kind} generator is not supported here`, kindField);
    const spec = (interpolated as Record<string, unknown>)[kind];
    const template = mergeTemplates((spec as { template?: GeneratorTemplate }).template, baseTemplate);
    let params: ParamSet[];
    try {
      params = await generator.generateParams(spec, appSet, context);
    } catch (error) {
      throw locate(error, kindField);
    }
    results.push({
      params: hasSelector ? params.filter((p) => matches(flattenParams(p))) : params,
      template: template as ApplicationSetTemplate,
    });
  }
  return results;
}

/** Prefixes a generator failure with where it happened in the ApplicationSet. */
export function locate(error: unknown, field: string): GeneratorError {
  if (error instanceof GeneratorError && error.field?.startsWith('spec.')) return error;
  if (error instanceof GeneratorError) {
    const where = error.field ? `${field}.${error.field}` : field;
    return new GeneratorError(error.message, where);
  }
  if (error instanceof RenderError || error instanceof LabelSelectorError) {
    return new GeneratorError(error.message, field);
  }
  return new GeneratorError((error as Error)?.message ?? String(error), field);
}

/**
 * Renders a matrix child with the first child's parameters. Generators' `values` are resolved
 * leniently, as Argo CD does: a value naming a key the parameters lack is kept as written, to be
 * rendered later with the generator's own parameters.
 */
async function interpolateGenerator(
  entry: ApplicationSetNestedGenerator,
  params: ParamSet,
  options: RenderOptions,
  field: string,
): Promise<ApplicationSetNestedGenerator> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry)) {
    if (!isPlainObject(value) || !isPlainObject(value.values) || key === 'matrix' || key === 'merge') {
      setEntry(out, key, await renderIn(value, params, options, `${field}.${key}`));
      continue;
    }
    const { values, ...rest } = value;
    const resolved: Record<string, string> = {};
    for (const [name, text] of Object.entries(values)) {
      setEntry(resolved, name, await resolveValueLeniently(String(text), params, options, `${field}.${key}.values.${name}`));
    }
    setEntry(out, key, { ...((await renderIn(rest, params, options, `${field}.${key}`)) as object), values: resolved });
  }
  return out as ApplicationSetNestedGenerator;
}

async function renderIn(value: unknown, params: ParamSet, options: RenderOptions, field: string): Promise<unknown> {
  try {
    return await render(value, params, options);
  } catch (error) {
    throw new GeneratorError(`failed to replace parameters in generator: ${(error as Error).message}`, field);
  }
}

async function resolveValueLeniently(text: string, params: ParamSet, options: RenderOptions, field: string): Promise<string> {
  const strict: RenderOptions = options.goTemplate
    ? { ...options, goTemplateOptions: [...(options.goTemplateOptions ?? []).filter((o) => !o.startsWith('missingkey=')), 'missingkey=error'] }
    : options;
  try {
    return await renderString(text, params, strict, field);
  } catch (error) {
    const message = (error as Error).message;
    if (message.includes('map has no entry for key') || message.includes("can't evaluate field")) return text;
    throw new GeneratorError(`failed to pre-resolve Values key: ${message}`, field);
  }
}

/**
 * A generator's own template takes precedence field by field over the ApplicationSet's; empty
 * (Go zero) values fall back to it, as mergo.Merge does in Argo CD.
 */
export function mergeTemplates(own: GeneratorTemplate | undefined, base: GeneratorTemplate): GeneratorTemplate {
  return fillZeroValues(structuredClone(own ?? {}), base) as GeneratorTemplate;
}

function isGoZero(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === 0 || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  return false;
}

function fillZeroValues(own: unknown, base: unknown): unknown {
  if (isPlainObject(own) && isPlainObject(base)) {
    for (const [key, baseValue] of Object.entries(base)) {
      const current = ownEntry(own, key);
      setEntry(own, key, isGoZero(current) ? structuredClone(baseValue) : fillZeroValues(current, baseValue));
    }
    return own;
  }
  return isGoZero(own) ? structuredClone(base) : own;
}

/** Whether any entry, at any nesting depth, uses a generator of this kind. */
export function usesGenerator(entries: ApplicationSetNestedGenerator[] | undefined, kind: string): boolean {
  return (entries ?? []).some(
    (entry) =>
      (entry as Record<string, unknown>)[kind] != null ||
      usesGenerator([...(entry.matrix?.generators ?? []), ...(entry.merge?.generators ?? []), ...(entry.placement ? [entry.placement.items] : [])], kind),
  );
}
