import { renderFastTemplate } from './fasttemplate.js';
import { isPlainObject } from './flatten.js';
import { parseGoTemplateOptions, renderGoTemplate, type GoTemplateOptions } from './gotemplate/index.js';

export interface RenderOptions {
  goTemplate?: boolean;
  goTemplateOptions?: string[];
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

/**
 * Argo CD's `Replace`: renders one string with the parameters, in fasttemplate or goTemplate
 * mode. `field` names the string for error messages (Go's template name).
 */
export function renderString(text: string, params: Record<string, unknown>, options: RenderOptions, field = 'base'): string {
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
    return renderGoTemplate(field, text, params, goOptions(options.goTemplateOptions));
  } catch (error) {
    const message = (error as Error).message;
    const phase = message.includes(': executing ') ? 'failed to execute go template' : 'failed to parse template';
    throw new RenderError(`${phase} ${text}: ${message}`, field);
  }
}

/**
 * Renders every string value of a JSON-like template at any depth, and every map key, as Argo CD
 * does for an Application template. With no parameters the template is returned untouched.
 */
export function render<T>(template: T, params: Record<string, unknown>, options: RenderOptions): T {
  if (Object.keys(params).length === 0) return template;
  return renderValue(template, params, options, '') as T;
}

function renderValue(value: unknown, params: Record<string, unknown>, options: RenderOptions, path: string): unknown {
  if (typeof value === 'string') return renderString(value, params, options, path || 'base');
  if (Array.isArray(value)) return value.map((item, i) => renderValue(item, params, options, `${path}[${i}]`));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item === null || item === undefined) continue;
      const childPath = path ? `${path}.${key}` : key;
      const renderedKey = key.includes('{{') ? renderString(key, params, options, childPath) : key;
      out[renderedKey] = renderValue(item, params, options, childPath);
    }
    return out;
  }
  return value;
}
