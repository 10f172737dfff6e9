/**
 * Argo CD's fasttemplate mode: `{{ key }}` placeholders replaced by string parameters.
 *
 * A tag is whatever stands between `{{` and the next `}}`; its surrounding whitespace is trimmed
 * before lookup. Tags naming no parameter, or a parameter whose value is not a string, are left
 * exactly as written. A `{{` with no closing `}}` after it makes the whole string invalid.
 */

type Segment = string | { tag: string };

const parsedCache = new Map<string, Segment[]>();
const PARSED_CACHE_LIMIT = 20_000;

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

function parsedSegments(text: string): Segment[] {
  let segments = parsedCache.get(text);
  if (!segments) {
    segments = parse(text);
    if (parsedCache.size >= PARSED_CACHE_LIMIT) parsedCache.clear();
    parsedCache.set(text, segments);
  }
  return segments;
}

/** Argo CD only runs fasttemplate on strings holding `{{…}}` within one line. */
const TEMPLATED = /\{\{.*\}\}/;

export function renderFastTemplate(text: string, params: Record<string, unknown>): string {
  if (!TEMPLATED.test(text)) return text;
  let out = '';
  for (const segment of parsedSegments(text)) {
    if (typeof segment === 'string') {
      out += segment;
      continue;
    }
    const key = segment.tag.trim();
    const value = key ? params[key] : undefined;
    out += typeof value === 'string' ? value : `{{${segment.tag}}}`;
  }
  return out;
}
