import { describe, expect, it } from 'vitest';
import { DEFAULT_RENDER_LIMITS, GoTemplateError, RenderBudget, renderGoTemplate } from '../../../src/templating/gotemplate/index.js';
import { seededRandom } from '../../support/random.js';

const SEEDS = [
  '{{ .name | upper }}-{{ index .labels "env" }}',
  '{{ range $i, $v := .list }}{{ $i }}:{{ $v }}{{ else }}none{{ end }}',
  '{{ if eq .name "a" }}x{{ else if .t }}y{{ else }}z{{ end }}',
  '{{ with .m }}{{ .k }}{{ end }}{{ define "t" }}[{{ . }}]{{ end }}{{ template "t" .name }}',
  '{{ printf "%05d %-4s %q %v" 42 .name .name .m }}',
  '{{ $x := dict "a" 1 }}{{ $_ := set $x "b" (list 1 2) }}{{ toJson $x }}',
  '{{- .name | trunc 5 | trimSuffix "-" -}} {{ default "main" .missing }}',
  '{{ range until 5 }}{{ . }}{{ end }}{{ len .list | add 1 }}',
];
const PIECES = [
  '{{',
  '}}',
  '{{-',
  '-}}',
  ' ',
  '.',
  '$',
  '|',
  '(',
  ')',
  '"',
  '`',
  ':=',
  '=',
  'range',
  'end',
  'else',
  'if',
  'with',
  'define',
  'template',
  'block',
  'break',
  'nil',
  'index',
  'len',
  'printf',
  '%',
  '1',
  '-1',
  'a',
  '.name',
  '.list',
  '/*',
  '*/',
  '\n',
];
const data = { name: 'value', list: ['a', 'b'], m: { k: 'v' }, labels: { env: 'prod' }, t: true };

function mutate(random: () => number, template: string): string {
  let text = template;
  const edits = 1 + Math.floor(random() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * (text.length + 1));
    const piece = PIECES[Math.floor(random() * PIECES.length)];
    const op = random();
    if (op < 0.4) text = text.slice(0, at) + piece + text.slice(at);
    else if (op < 0.7) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 4));
    else text = text.slice(0, at) + piece + text.slice(at + piece.length);
  }
  return text;
}

describe('goTemplate robustness', () => {
  it('10,000 mutated templates either render or fail with a template error; none crash or hang', () => {
    const random = seededRandom(20261125);
    const unexpected: string[] = [];
    let rendered = 0;
    for (let i = 0; i < 10_000; i++) {
      const template = mutate(random, SEEDS[i % SEEDS.length]);
      try {
        renderGoTemplate(`fuzz${i % 50}`, template, data, { maxSteps: 20_000, maxOutputBytes: 64 * 1024 });
        rendered++;
      } catch (error) {
        if (!(error instanceof GoTemplateError)) unexpected.push(`${JSON.stringify(template)}: ${(error as Error).stack}`);
      }
    }
    expect(unexpected.slice(0, 5)).toEqual([]);
    expect(rendered).toBeGreaterThan(1000);
  });

  it('stops a runaway range, recursion or output at its budget with a clear error', () => {
    // The step, depth and output budgets are what is tested: a loaded machine must not hit the one-second clock first.
    const untimed = () => new RenderBudget({ ...DEFAULT_RENDER_LIMITS, timeoutMs: 60_000 });
    expect(() => renderGoTemplate('t', '{{ range until 1000000 }}{{ range until 1000000 }}x{{ end }}{{ end }}', {}, { maxSteps: 100_000 }, untimed())).toThrow(
      /exceeded its budget of 100000 steps/,
    );
    expect(() => renderGoTemplate('t', '{{ define "loop" }}{{ template "loop" . }}{{ end }}{{ template "loop" . }}', {}, {}, untimed())).toThrow(
      /exceeded maximum template depth/,
    );
    expect(() => renderGoTemplate('t', '{{ range until 100000 }}xxxxxxxxxxxxxxxxxxxx{{ end }}', {}, { maxOutputBytes: 100_000 }, untimed())).toThrow(
      /output exceeded its budget of 100000 bytes/,
    );
  });
});
