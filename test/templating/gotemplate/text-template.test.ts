import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseGoTemplateOptions, renderGoTemplate } from '../../../src/templating/gotemplate/index.js';

/**
 * Go's text/template grammar, builtins, fmt verbs and missingkey modes. Each case's expected
 * output or error text was produced by Go's own text/template (Go 1.19) executing the same
 * template on the same JSON data under the name "base", as Argo CD names it.
 */
interface Case {
  template: string;
  options?: string[];
  output?: string;
  error?: string;
}

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/go-text-template-cases.json', import.meta.url), 'utf8')) as { data: unknown; cases: Case[] };

describe('Go text/template semantics', () => {
  for (const c of fixture.cases) {
    const title = `${JSON.stringify(c.template)}${c.options ? ` ${c.options.join(' ')}` : ''}`;
    it(title, () => {
      const render = () => renderGoTemplate('base', c.template, structuredClone(fixture.data), parseGoTemplateOptions(c.options));
      if (c.error !== undefined) expect(render).toThrow(c.error);
      else expect(render()).toBe(c.output);
    });
  }
});
