/**
 * Argo CD's fasttemplate mode: `{{ key }}` placeholders replaced by string parameters.
 *
 * A tag is whatever stands between `{{` and the next `}}`; its surrounding whitespace is trimmed
 * before lookup. Tags naming no parameter, or a parameter whose value is not a string, are left
 * exactly as written. A `{{` with no closing `}}` after it makes the whole string invalid.
 */

type Segment = string | { tag: string };

export class FastTemplateError extends Error {}

function parse(text: string): Segment[] {
  const segments: Segment[] = [];
  let rest = text;
  for (;;) {
    const start = rest.indexOf('{{');
    if (start < 0) {
      if (rest) segments.push(rest);
      return segments;
    }
    if (start > 0) segments.push(rest.slice(0, start));
    rest = rest.slice(start + 2);
    const end = rest.indexOf('}}');
    if (end < 0) {
      throw new FastTemplateError(`invalid template: Cannot find end tag="}}" in the template=${JSON.stringify(text)} starting from ${JSON.stringify(rest)}`);
    }
    segments.push({ tag: rest.slice(0, end) });
    rest = rest.slice(end + 2);
  }
}

/** A string compiled for many parameter sets: it renders as renderFastTemplate would, throwing when that would. */
export type FastTemplate = (params: Record<string, unknown>) => string;

/** Argo CD only runs fasttemplate on strings holding `{{…}}` within one line. */
const TEMPLATED = /\{\{.*\}\}/;

export function compileFastTemplate(text: string): FastTemplate {
  if (!TEMPLATED.test(text)) return () => text;
  let segments: Segment[];
  try {
    segments = parse(text);
  } catch (error) {
    return () => {
      throw error;
    };
  }
  // A tag naming no parameter, or a parameter that is not a string, is kept as written.
  const parts = segments.map((segment) => (typeof segment === 'string' ? segment : { key: segment.tag.trim(), written: `{{${segment.tag}}}` }));
  const substitute = (part: { key: string; written: string }, params: Record<string, unknown>): string => {
    const value = part.key ? params[part.key] : undefined;
    return typeof value === 'string' ? value : part.written;
  };
  if (parts.length === 1 && typeof parts[0] !== 'string') {
    const only = parts[0];
    return (params) => substitute(only, params);
  }
  return (params) => {
    let out = '';
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      out += typeof part === 'string' ? part : substitute(part, params);
    }
    return out;
  };
}

const compiledCache = new Map<string, FastTemplate>();
const COMPILED_CACHE_LIMIT = 20_000;

export function renderFastTemplate(text: string, params: Record<string, unknown>): string {
  if (!TEMPLATED.test(text)) return text;
  let compiled = compiledCache.get(text);
  if (!compiled) {
    compiled = compileFastTemplate(text);
    if (compiledCache.size >= COMPILED_CACHE_LIMIT) compiledCache.clear();
    compiledCache.set(text, compiled);
  }
  return compiled(params);
}
