import { compileFastTemplate, renderFastTemplate } from './fasttemplate.js';
import { hasKeys, isPlainObject, setEntry } from '../lib/json-values.js';
import {
  compileGoTemplate,
  DEFAULT_RENDER_LIMITS,
  parseGoTemplateOptions,
  RenderBudget,
  renderGoTemplate,
  type GoTemplateOptions,
  type RenderLimits,
} from './gotemplate/index.js';

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

function limitsFor(options: RenderOptions): RenderLimits {
  return options.timeoutMs === undefined ? DEFAULT_RENDER_LIMITS : { ...DEFAULT_RENDER_LIMITS, timeoutMs: options.timeoutMs };
}

function budgetFor(options: RenderOptions): RenderBudget {
  return new RenderBudget(limitsFor(options));
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
    throw goRenderError(error, text, field);
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
 * does for an Application template. With no parameters, or nothing to render, the template itself
 * is returned. The whole template is one render: its strings share one time, memory and key budget.
 */
export async function render<T>(template: T, params: Record<string, unknown>, options: RenderOptions): Promise<T> {
  if (!hasKeys(params) || rendersToItself(template)) return template;
  return compileTemplate(template, options)(params);
}

/**
 * Whether rendering would only copy the value: no string or key holds `{{` and no map entry is
 * null (rendering drops those). Checked without allocating, as a matrix renders its second child
 * once for each of the first child's parameter sets.
 */
function rendersToItself(value: unknown): boolean {
  if (typeof value === 'string') return !value.includes('{{');
  if (Array.isArray(value)) return value.every(rendersToItself);
  if (isPlainObject(value)) {
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      const item = value[key];
      if (key.includes('{{') || item === null || item === undefined || !rendersToItself(item)) return false;
    }
  }
  return true;
}

/**
 * A template compiled for many parameter sets; each call renders as `render` does, synchronously
 * unless the template generates keys or hashes passwords (made off the event loop).
 */
export type CompiledRender<T> = (params: Record<string, unknown>) => T | Promise<T>;

/** What one string, key or container of a template becomes: built anew on every render. */
type RenderPart = (params: Record<string, unknown>, budget: RenderBudget | undefined) => unknown;

/**
 * Compiles a template once for a generation's many parameter sets: which strings hold templates,
 * their parsed and compiled form, their field paths and the render's limits are settled here, so a
 * render only runs them. The template must not change while the result is in use.
 */
export function compileTemplate<T>(template: T, options: RenderOptions): CompiledRender<T> {
  const renderAll = compileValue(template, options, '');
  if (!options.goTemplate) {
    return (params) => (hasKeys(params) ? (renderAll(params, undefined) as T) : template);
  }
  const limits = limitsFor(options);
  const templateText = () => JSON.stringify(template);
  return (params) => {
    if (!hasKeys(params)) return template;
    const budget = new RenderBudget(limits);
    return budget.runPassesSyncFirst(() => renderAll(params, budget) as T, templateText);
  };
}

function compileValue(value: unknown, options: RenderOptions, path: string): RenderPart {
  if (typeof value === 'string') return compileString(value, options, path || 'base');
  if (Array.isArray(value)) {
    const items = value.map((item, i) => compileValue(item, options, `${path}[${i}]`));
    return (params, budget) => {
      const out = new Array<unknown>(items.length);
      for (let i = 0; i < items.length; i++) out[i] = items[i](params, budget);
      return out;
    };
  }
  if (isPlainObject(value)) {
    const entries: { key: string; renderKey?: RenderPart; item: RenderPart }[] = [];
    for (const [key, item] of Object.entries(value)) {
      if (item === null || item === undefined) continue;
      const childPath = path ? `${path}.${key}` : key;
      entries.push({ key, renderKey: key.includes('{{') ? compileString(key, options, childPath) : undefined, item: compileValue(item, options, childPath) });
    }
    return (params, budget) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < entries.length; i++) {
        const { key, renderKey, item } = entries[i];
        setEntry(out, renderKey ? (renderKey(params, budget) as string) : key, item(params, budget));
      }
      return out;
    };
  }
  return () => value;
}

/** renderStringWith, decided once for one string of a template. */
function compileString(text: string, options: RenderOptions, field: string): RenderPart {
  if (!options.goTemplate) {
    const fast = compileFastTemplate(text);
    return (params) => {
      try {
        return fast(params);
      } catch (error) {
        throw new RenderError((error as Error).message, field);
      }
    };
  }
  if (!text.includes('{{')) return () => text;
  let goTemplate;
  try {
    goTemplate = compileGoTemplate(field, text, goOptions(options.goTemplateOptions));
  } catch (error) {
    goTemplate = () => {
      throw error;
    };
  }
  const compiled = goTemplate;
  return (params, budget) => {
    try {
      return compiled(params, budget);
    } catch (error) {
      throw goRenderError(error, text, field);
    }
  };
}

function goRenderError(error: unknown, text: string, field: string): unknown {
  if (!(error instanceof Error)) return error;
  const message = error.message;
  const phase = message.includes(': executing ') ? 'failed to execute go template' : 'failed to parse template';
  return new RenderError(`${phase} ${text}: ${message}`, field);
}
