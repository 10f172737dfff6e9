import { describe, expect, it } from 'vitest';
import { goMethod, helmFunctions, TemplateGroup, type TemplateFile } from '../../../src/templating/gotemplate/index.js';

const OPTIONS = { missingKey: 'zero' as const, limits: { maxSteps: 100_000, maxOutputBytes: 100_000, maxDepth: 100 }, maxNesting: 10 };

function group(files: TemplateFile[]): TemplateGroup {
  return TemplateGroup.parse(files, () => helmFunctions, OPTIONS);
}

describe('TemplateGroup: several files parsed into one set, as Helm parses a chart', () => {
  it("every file's definitions are visible to all; a later definition replaces an earlier one, an empty one does not", () => {
    const set = group([
      { name: 'b/_lib.tpl', text: '{{ define "greet" }}hello from lib{{ end }}{{ define "kept" }}kept{{ end }}' },
      { name: 'a/_helpers.tpl', text: '{{ define "greet" }}hello {{ .name }}{{ end }}{{ define "kept" }}{{ end }}' },
      { name: 'a/page.txt', text: '{{ template "greet" . }} / {{ template "kept" }}' },
    ]);
    expect(set.execute('a/page.txt', { name: 'world' })).toBe('hello world / kept');
  });

  it('an error inside a definition names the file it was defined in and the template executing', () => {
    const set = group([
      { name: 'a/_helpers.tpl', text: '\n{{ define "broken" }}{{ .x.y }}{{ end }}' },
      { name: 'a/page.txt', text: '{{ template "broken" . }}' },
    ]);
    expect(() => set.execute('a/page.txt', {})).toThrow('template: a/_helpers.tpl:2:26: executing "broken" at <.x.y>: nil pointer evaluating interface {}.y');
  });

  it('a text parsed into a group sees its definitions, and its own stay in it', () => {
    const set = group([{ name: 'lib.tpl', text: '{{ define "name" }}lib{{ end }}' }]);
    const clone = set.parseInto({ name: 'gotpl', text: '{{ define "own" }}own{{ end }}{{ template "name" }}+{{ template "own" }}' });
    expect(clone.execute('gotpl', null)).toBe('lib+own');
    expect(() => set.parseInto({ name: 'other', text: '{{ template "own" }}' }).execute('other', null)).toThrow('template "own" not defined');
  });

  it('calls a method of a map or list (.Files.Get "x", .APIVersions.Has "v1") instead of reading a key', () => {
    const versions = ['v1'];
    Object.defineProperty(versions, 'Has', { value: goMethod((v: unknown) => versions.includes(String(v))), enumerable: false });
    const data = { files: { Get: goMethod((name: unknown) => `content of ${String(name)}`) }, versions };
    const set = group([{ name: 'x', text: '{{ .files.Get "a.txt" }} {{ .versions.Has "v1" }} {{ "v2" | .versions.Has }} {{ len .versions }}' }]);
    expect(set.execute('x', data)).toBe('content of a.txt true false 1');
  });

  it('renders nested in one another are bounded', () => {
    const funcs = (g: TemplateGroup) => ({ ...helmFunctions, include: (name: unknown, data: unknown) => g.execute(String(name), data) });
    const set = TemplateGroup.parse([{ name: 'loop', text: '{{ include "loop" . }}' }], funcs, OPTIONS);
    expect(() => set.execute('loop', null)).toThrow(/exceeded maximum nesting of renders \(10\)/);
  });
});
