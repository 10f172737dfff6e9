import { describe, expect, it } from 'vitest';
import { DEFAULT_RENDER_LIMITS, goMethod, helmFunctions, RenderBudget, renderGoTemplate, TemplateGroup } from '../../../src/templating/gotemplate/index.js';

/**
 * Templates of text and `{{ .a.b }}` actions, the shape of most Application templates, are printed
 * without walking the tree; these are the edges where that must still give the walk's result:
 * values that are not plain strings, methods, and every limit, with the walk's error positions.
 */
const budgetOf = (maxAllocatedBytes: number) => new RenderBudget({ ...DEFAULT_RENDER_LIMITS, maxAllocatedBytes });

describe('templates that only print fields', () => {
  it('print strings, and every other kind of value as Go prints it', () => {
    const data = { s: 'x', m: { k: 'v', n: 1e6, t: true, nil: null, list: ['a', 2] } };
    expect(renderGoTemplate('t', 'a-{{ .s }}-{{ .m.k }}.', data)).toBe('a-x-v.');
    expect(renderGoTemplate('t', '{{ .m.n }} {{ .m.t }} {{ .m.nil }} {{ .m.missing }} {{ .m.list }} {{ .m }}', data)).toBe(
      '1e+06 true <no value> <no value> [a 2] map[k:v list:[a 2] n:1e+06 nil:<nil> t:true]',
    );
  });

  it("read a map's own entries only, not what every object inherits", () => {
    expect(renderGoTemplate('t', '{{ .constructor }}/{{ .toString }}', {})).toBe('<no value>/<no value>');
    expect(renderGoTemplate('t', '{{ .constructor }}', { constructor: 'own' })).toBe('own');
  });

  it('call a method of the data instead of printing it', () => {
    expect(renderGoTemplate('t', '{{ .chart.Name }}', { chart: { Name: goMethod(() => 'called') } })).toBe('called');
  });

  it('fail at the field that is missing under missingkey=error, or that is read from something not a map', () => {
    expect(() => renderGoTemplate('t', '{{ .s }}{{ .missing }}', { s: 'x' }, { missingKey: 'error' })).toThrow(
      'template: t:1:11: executing "t" at <.missing>: map has no entry for key "missing"',
    );
    expect(() => renderGoTemplate('t', 'x{{ .s.k }}', { s: null })).toThrow('template: t:1:6: executing "t" at <.s.k>: nil pointer evaluating interface {}.k');
  });

  it('stop at the output limit where the walk stops', () => {
    expect(() => renderGoTemplate('t', '{{ .s }}{{ .s }}', { s: 'x'.repeat(60) }, { maxOutputBytes: 100 })).toThrow(
      'template: t:1:11: executing "t" at <.s>: template output exceeded its budget of 100 bytes',
    );
  });

  it('stop at the step limit where the walk stops', () => {
    expect(() => renderGoTemplate('t', '{{ .s }}-{{ .s }}', { s: 'x' }, { maxSteps: 4 })).toThrow(
      'template: t:1:12: executing "t" at <{{.s}}>: template execution exceeded its budget of 4 steps',
    );
  });

  it("charge their output to the render's budget, failing at the template's last node", () => {
    const budget = budgetOf(150);
    expect(renderGoTemplate('t', '{{ .s }}', { s: 'x'.repeat(100) }, {}, budget)).toBe('x'.repeat(100));
    expect(() => renderGoTemplate('t', '{{ .s }}!', { s: 'x'.repeat(100) }, {}, budget)).toThrow(
      'template: t:1:8: executing "t" at <!>: template values exceeded their budget of 150 bytes',
    );
  });

  it("in a group, fail naming the file the template was defined in, and run the clone's own definition", () => {
    const options = { missingKey: 'default' as const, limits: { maxSteps: 1000, maxOutputBytes: 1000, maxDepth: 10 }, maxNesting: 10 };
    const group = TemplateGroup.parse(
      [{ name: 'a/_helpers.tpl', text: '\n{{ define "name" }}{{ .first }}-{{ .last }}{{ end }}' }],
      () => helmFunctions,
      options,
    );
    expect(group.execute('name', { first: 'a', last: 'b' })).toBe('a-b');
    expect(() => group.execute('name', { first: 'x'.repeat(100), last: 'b' }, budgetOf(50))).toThrow(
      'template: a/_helpers.tpl:2:35: executing "name" at <.last>: template values exceeded their budget of 50 bytes',
    );
    const clone = group.parseInto({ name: 'tpl', text: '{{ define "name" }}{{ .first | upper }}{{ end }}{{ template "name" . }}' });
    expect(clone.execute('name', { first: 'a', last: 'b' })).toBe('A');
    expect(group.parseInto({ name: 'tpl', text: '{{ define "other" }}{{ .last }}{{ end }}' }).execute('name', { first: 'a', last: 'b' })).toBe('a-b');
  });
});
