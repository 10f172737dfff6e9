import { renderFastTemplate } from './fasttemplate.js';
import { isPlainObject } from '../lib/json-values.js';
import { DEFAULT_RENDER_LIMITS, parseGoTemplateOptions, RenderBudget, renderGoTemplate, type GoTemplateOptions } from './gotemplate/index.js';

export interface RenderOptions {
  goTemplate?: boolean;
  goTemplateOptions?: string[];
  /** Time the template engine may spend on one render (one Application), in ms (--template-timeout); 1 s by default. */
  timeoutMs?: number;
}

/** A template that could not be rendered; `field` is the path of the string that failed. */
export class RenderError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'RenderError';
  }
}

const goOptionsCache = new Map<string, GoTemplateOptions>();

function goOptions(options: string[] | undefined): GoTemplateOptions {
  const key = (options ?? []).join('\n');
  let parsed = goOptionsCache.get(key);
  if (!parsed) {
    parsed = parseGoTemplateOptions(options);
    goOptionsCache.set(key, parsed);
  }
  return parsed;
}

function budgetFor(options: RenderOptions): RenderBudget {
  return new RenderBudget({ ...DEFAULT_RENDER_LIMITS, timeoutMs: options.timeoutMs ?? DEFAULT_RENDER_LIMITS.timeoutMs });
}

/** One string, in one pass of the engine (which stops, without a RenderError, when it needs keys generated). */
function renderStringWith(text: string, params: Record<string, unknown>, options: RenderOptions, field: string, budget: RenderBudget | undefined): string {
  if (!options.goTemplate) {
    try {
      return renderFastTemplate(text, params);
    } catch (error) {
      throw new RenderError((error as Error).message, field);
    }
  }
  // Text without actions renders to itself in Go; skipping it keeps big templates cheap.
  if (!text.includes('{{')) return text;
  try {
    return renderGoTemplate(field, text, params, goOptions(options.goTemplateOptions), budget);
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    const message = error.message;
    const phase = message.includes(': executing ') ? 'failed to execute go template' : 'failed to parse template';
    throw new RenderError(`${phase} ${text}: ${message}`, field);
  }
}

/**
 * Argo CD's `Replace`: renders one string with the parameters, in fasttemplate or goTemplate
 * mode. `field` names the string for error messages (Go's template name). Bounded in time,
 * memory and generated keys; keys are generated off the event loop.
 */
export async function renderString(text: string, params: Record<string, unknown>, options: RenderOptions, field = 'base'): Promise<string> {
  if (!options.goTemplate || !text.includes('{{')) return renderStringWith(text, params, options, field, undefined);
  const budget = budgetFor(options);
  return budget.runPasses(
    () => renderStringWith(text, params, options, field, budget),
    () => text,
  );
}

/**
 * Renders every string value of a JSON-like template at any depth, and every map key, as Argo CD
 * does for an Application template. With no parameters the template is returned untouched. The
 * whole template is one render: its strings share one time, memory and key budget.
 */
export async function render<T>(template: T, params: Record<string, unknown>, options: RenderOptions): Promise<T> {
  if (Object.keys(params).length === 0) return template;
  if (!options.goTemplate) return renderValue(template, params, options, '', undefined) as T;
  const budget = budgetFor(options);
  return budget.runPasses(
    () => renderValue(template, params, options, '', budget) as T,
    () => JSON.stringify(template),
  );
}

function renderValue(value: unknown, params: Record<string, unknown>, options: RenderOptions, path: string, budget: RenderBudget | undefined): unknown {
  if (typeof value === 'string') return renderStringWith(value, params, options, path || 'base', budget);
  if (Array.isArray(value)) return value.map((item, i) => renderValue(item, params, options, `${path}[${i}]`, budget));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item === null || item === undefined) continue;
      const childPath = path ? `${path}.${key}` : key;
      const renderedKey = key.includes('{{') ? renderStringWith(key, params, options, childPath, budget) : key;
      out[renderedKey] = renderValue(item, params, options, childPath, budget);
    }
    return out;
  }
  return value;
}
