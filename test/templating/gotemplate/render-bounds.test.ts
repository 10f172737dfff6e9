import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { renderGoTemplate, renderGoTemplateAsync } from '../../../src/templating/gotemplate/index.js';
import type { Application } from '../../../src/api/application.js';
import { render, RenderError, type RenderOptions } from '../../../src/templating/render.js';
import { applyTemplatePatch } from '../../../src/templating/template-patch.js';

/**
 * Hostile templates: each fails with an error naming the field, before allocating what it asks
 * for (the message gives the size it refused to build). One that did allocate or backtrack would
 * not return within the test's timeout.
 */
const go: RenderOptions = { goTemplate: true };

async function failure(
  template: Record<string, unknown>,
  options: RenderOptions = go,
  params: Record<string, unknown> = { n: 1 },
): Promise<{ error: RenderError }> {
  try {
    await render(template, params, options);
  } catch (error) {
    if (error instanceof RenderError) return { error };
    throw error;
  }
  throw new Error('rendered without failing');
}

describe('allocation bombs fail before allocating, naming the field', () => {
  it.each([
    ['repeat', '{{ repeat 1000000000 "x" }}', /error calling repeat: would build a value of 1000000000 bytes, more than the 8388608 bytes one value may hold/],
    ['indent', '{{ indent 100000000 "a\\nb" }}', /error calling indent: would build a value of 200000003 bytes/],
    ['nindent', '{{ nindent 100000000 "a" }}', /error calling nindent: would build a value of 100000002 bytes/],
    ['until', '{{ range until 1000000000 }}x{{ end }}', /error calling until: would build a value of 8000000000 bytes/],
    ['untilStep', '{{ untilStep 0 4000000000 2 }}', /error calling untilStep: would build a value of 16000000000 bytes/],
    ['seq', '{{ seq 1 100000000 }}', /error calling seq: would build a value of 1000000000 bytes/],
    ['randAlpha', '{{ randAlpha 1000000000 }}', /error calling randAlpha: would build a value of 1000000000 bytes/],
    ['randAlphaNum', '{{ randAlphaNum 900000000 }}', /error calling randAlphaNum: would build a value/],
    ['randNumeric', '{{ randNumeric 900000000 }}', /error calling randNumeric: would build a value/],
    ['randAscii', '{{ randAscii 900000000 }}', /error calling randAscii: would build a value/],
    ['randBytes', '{{ randBytes 900000000 }}', /error calling randBytes: would build a value of 1200000000 bytes/],
    ['replace', '{{ replace "" (repeat 1000 "y") (repeat 10000 "x") }}', /error calling replace: would build a value of 10011000 bytes/],
    ['wrapWith', '{{ wrapWith 1 (repeat 100000 "y") (repeat 1000 "a ") }}', /error calling wrapWith: would build a value/],
    ['printf width', '{{ printf "%9999999d" 1 }}', /error calling printf: would build a value of 9999999 bytes/],
    [
      'printf of a doubled string',
      '{{ $s := "xxxxxxxx" }}{{ range until 30 }}{{ $s = printf "%s%s" $s $s }}{{ end }}',
      /error calling printf: would build a value of \d+ bytes/,
    ],
    ['cat', '{{ $s := repeat 4000000 "x" }}{{ cat $s $s $s }}', /error calling cat: would build a value of 12000002 bytes/],
    ['join', '{{ $s := repeat 3000000 "x" }}{{ join "," (list $s $s $s) }}', /error calling join: would build a value of 9000002 bytes/],
    ['concat', '{{ $l := until 400000 }}{{ concat $l $l $l $l }}', /error calling concat: would build a value of 12800000 bytes/],
  ])('%s', async (_name, text, message) => {
    const { error } = await failure({ spec: { source: { path: text } } });
    expect(error.field).toBe('spec.source.path');
    expect(error.message).toMatch(/^failed to execute go template .*: template: spec\.source\.path:1:\d+: executing "spec\.source\.path" at </);
    expect(error.message).toMatch(message);
  });

  it("a list grown by append in a range runs into the render's allocation budget", async () => {
    const { error } = await failure({ metadata: { name: '{{ $l := list }}{{ range until 100000 }}{{ $l = append $l . }}{{ end }}{{ len $l }}' } });
    expect(error.field).toBe('metadata.name');
    expect(error.message).toMatch(/error calling append: template values exceeded their budget of 67108864 bytes/);
  });

  it('a value that prints exponentially larger than it is (a list of itself, twice, 40 deep) is refused by toJson, toYaml and printing', async () => {
    const dag = '{{ $l := list "x" }}{{ range until 40 }}{{ $l = list $l $l }}{{ end }}';
    for (const [use, name] of [
      ['toJson $l', 'toJson'],
      ['toPrettyJson $l', 'toPrettyJson'],
      ['printf "%v" $l', 'printf'],
      ['deepCopy $l', 'deepCopy'],
    ]) {
      const { error } = await failure({ spec: { info: `${dag}{{ ${use} }}` } });
      expect(error.message).toMatch(new RegExp(`error calling ${name}: would build a value of \\d+ bytes, more than the 8388608`));
    }
    const { error } = await failure({ spec: { info: `${dag}{{ $l }}` } });
    expect(error.message).toMatch(/would build a value of \d+ bytes/);
    const yaml = await failure({ spec: { info: `${dag}{{ toYaml $l }}` } });
    expect(yaml.error.message).toMatch(/error calling toYaml: would write more than the 524288 bytes of YAML a template may write/);
  });

  it('YAML, which this engine parses far slower than Go, is parsed up to 128 KiB: fromYaml and the rendered templatePatch', async () => {
    const big = `a: "${'x'.repeat(200_000)}"`;
    const { error } = await failure({ spec: { info: '{{ (fromYaml .big).a | len }}' } }, go, { big });
    expect(error.message).toMatch(/error calling fromYaml: 200005 bytes of YAML, more than the 131072 a template may parse/);
    expect(renderGoTemplate('t', '{{ (fromYaml .small).a }}', { small: 'a: b' })).toBe('b');
    const application = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'a' }, spec: { project: 'default' } } as Application;
    expect(() => applyTemplatePatch(application, big)).toThrow('the rendered templatePatch is 200005 bytes, more than the 131072 bytes of YAML Regatta parses');
  });

  it("Go's fmt takes a width past 1e6 digits as garbage: %!(NOVERB), as Go prints it", () => {
    expect(renderGoTemplate('t', '{{ printf "%999999999d" 5 }}', {})).toBe('%!(NOVERB)%!(EXTRA int=5)');
  });

  it("int arithmetic wraps at 64 bits as Go's does, so repeated squaring stays small", () => {
    expect(renderGoTemplate('t', '{{ $x := 3 }}{{ range until 200 }}{{ $x = mul $x $x }}{{ end }}{{ $x }}', {})).toBe(
      String(
        BigInt.asIntN(
          64,
          [...Array(200)].reduce((x: bigint) => BigInt.asIntN(64, x * x), 3n),
        ),
      ),
    );
    expect(renderGoTemplate('t', '{{ add 9223372036854775807 1 }}', {})).toBe('-9223372036854775808');
  });

  it('trimAll with a long cutset takes linear time; shuffle is a permutation, drawn in blocks', () => {
    expect(renderGoTemplate('t', '{{ trimAll .cut .text | len }}', { cut: `${'b'.repeat(2_000_000)}a`, text: 'a'.repeat(2_000_000) })).toBe('0');
    const shuffled = renderGoTemplate('t', '{{ shuffle .s }}', { s: 'abcdefghijklmnopqrstuvwxyz0123456789' });
    expect([...shuffled].sort().join('')).toBe('0123456789abcdefghijklmnopqrstuvwxyz');
    expect(renderGoTemplate('t', '{{ randAscii 64 }}', {})).toMatch(/^[!-~]{64}$/);
  });

  it("chunk of size 0 fails as Go's panics, instead of looping forever", () => {
    expect(() => renderGoTemplate('t', '{{ chunk 0 (list 1 2) }}', {})).toThrow(/error calling chunk: runtime error: makeslice: len out of range/);
  });

  it('an integer literal past uint64 is an integer overflow, or illegal when it overflows float64, parsed in no time', () => {
    // parse.newNumber: ParseFloat reads it, but without . e or p it is an integer too large for 64 bits.
    expect(() => renderGoTemplate('t', '{{ 100000000000000000000000 }}', {})).toThrow('template: t:1: integer overflow: "100000000000000000000000"');
    expect(() => renderGoTemplate('t', `{{ ${'9'.repeat(1_000_000)} }}`, {})).toThrow(/illegal number syntax/);
  });

  it('text longer than an int64 converts without parsing a million digits: 0 through cast, the clamped value through atoi', () => {
    // cast.ToInt returns 0 on ParseInt's range error; strconv.Atoi returns the nearest int64 with it, and sprig's atoi drops the error.
    expect(renderGoTemplate('t', '{{ int .big }}/{{ atoi .big }}/{{ int "99999999999999999999" }}', { big: '9'.repeat(1_000_000) })).toBe(
      '0/9223372036854775807/0',
    );
  });

  it('text that is almost a float converts to 0 in one pass over it, however long (strconv.ParseFloat fails in Go)', () => {
    const digitsThenX = { big: `${'9'.repeat(1_000_000)}x`, dotted: `${'9'.repeat(500_000)}.${'9'.repeat(500_000)}x` };
    expect(renderGoTemplate('t', '{{ float64 .big }}/{{ float64 .dotted }}/{{ addf .big 1 }}', digitsThenX)).toBe('0/0/1');
  });
});

describe('runaway execution stops at its budget', () => {
  it('a range over a huge int stops at the step budget, even with an empty body', async () => {
    const { error } = await failure({ spec: { destination: { namespace: '{{ range 1000000000000 }}{{ end }}' } } });
    expect(error.field).toBe('spec.destination.namespace');
    expect(error.message).toMatch(/template execution exceeded its budget of 1000000 steps/);
  });

  it('recursion through define/template stops at the depth limit', async () => {
    const { error } = await failure({ metadata: { name: '{{ define "loop" }}{{ template "loop" . }}{{ end }}{{ template "loop" . }}' } });
    expect(error.field).toBe('metadata.name');
    expect(error.message).toMatch(/exceeded maximum template depth \(1000\)/);
  });

  it('branching recursion (two calls a level, 2^1000 in all) stops at the step budget', async () => {
    const { error } = await failure({ metadata: { name: '{{ define "t" }}{{ template "t" . }}{{ template "t" . }}{{ end }}{{ template "t" . }}' } });
    expect(error.message).toMatch(/exceeded its budget of 1000000 steps|exceeded maximum template depth/);
  });

  it('a render that runs past --template-timeout stops with the timeout named, where it was', async () => {
    const { error } = await failure(
      { spec: { source: { repoURL: '{{ range until 800000 }}{{ sha256sum "abc" }}{{ end }}' } } },
      { goTemplate: true, timeoutMs: 50 },
    );
    expect(error.field).toBe('spec.source.repoURL');
    expect(error.message).toMatch(/template execution exceeded its budget of 50ms \(--template-timeout\)/);
  });

  it('the timeout covers all the strings of one render together', async () => {
    const slow = '{{ range until 20000 }}{{ sha256sum "abc" }}{{ end }}';
    await render({ warm: slow }, { n: 1 }, go);
    const begin = performance.now();
    await render({ a: slow }, { n: 1 }, go);
    // Calibrated on this machine: one string takes a quarter of the budget; 32 together need eight times it.
    const timeoutMs = Math.ceil(4 * (performance.now() - begin)) + 5;
    await expect(render({ a: slow }, { n: 1 }, { goTemplate: true, timeoutMs })).resolves.toBeDefined();
    const { error } = await failure(Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`s${i}`, slow])), { goTemplate: true, timeoutMs });
    expect(error.message).toMatch(/template execution exceeded its budget of [\d.]+m?s \(--template-timeout\)/);
  });

  it('a single function call stops at the deadline: deepEqual of two equal 2^40-node values compares until time is up', async () => {
    const twins = '{{ $a := list "x" }}{{ $b := list "x" }}{{ range until 40 }}{{ $a = list $a $a }}{{ $b = list $b $b }}{{ end }}';
    const { error } = await failure({ spec: { x: `${twins}{{ deepEqual $a $b }}` } }, { goTemplate: true, timeoutMs: 200 });
    expect(error.message).toMatch(/error calling deepEqual: template execution exceeded its budget of 200ms/);
  });

  it('a catastrophic regular expression runs in linear time (RE2), and answers as Go does', async () => {
    expect(
      renderGoTemplate('t', '{{ regexMatch "(a+)+$" .s }}|{{ regexMatch "^(a|aa)+$" .s }}|{{ regexMatch "(x+x+)+y" .x }}|{{ regexMatch "^(a+)+b$" .s }}', {
        s: `${'a'.repeat(50_000)}b`,
        x: 'x'.repeat(5_000),
      }),
    ).toBe('false|false|false|true');
  });

  it('a regular expression too large to compile quickly is refused, as Go refuses its too-large ones', () => {
    const pattern = Array.from({ length: 100 }, (_, i) => `c${i}{999}`).join('|');
    expect(() => renderGoTemplate('t', `{{ mustRegexMatch "${pattern}" "x" }}`, {})).toThrow(
      /error calling mustRegexMatch: error parsing regexp: expression too large/,
    );
    // sprig's regexMatch drops regexp.MatchString's error and answers false.
    expect(renderGoTemplate('t', `{{ regexMatch "${pattern}" "x" }}`, {})).toBe('false');
  });

  it("renders nested from inside a function (Helm's tpl) stop at a nesting limit", () => {
    const funcs = { tpl: (text: string, data: unknown) => renderGoTemplate('inner', text, data, { funcs }) };
    expect(() => renderGoTemplate('outer', '{{ tpl "{{ tpl .t . }}" . }}', { t: '{{ tpl .t . }}' }, { funcs })).toThrow(
      /exceeded maximum nesting of renders \(100\)/,
    );
  });

  it("Argo CD's function set has no tpl: a template cannot render text it builds", () => {
    expect(() => renderGoTemplate('t', '{{ tpl "x" . }}', {})).toThrow(/function "tpl" not defined/);
  });
});

describe('keys and password hashes', () => {
  it('a render may generate at most 8 keys; the ninth request fails naming the function', async () => {
    const { error } = await failure({ spec: { keys: `{{ range until 9 }}{{ genPrivateKey "ecdsa" }}{{ end }}` } });
    expect(error.field).toBe('spec.keys');
    expect(error.message).toMatch(/error calling genPrivateKey: a render may make at most 8 calls that generate keys or hash passwords/);
  });

  it('keys are different within a render and across renders; the template is rendered again with keys made off the event loop', async () => {
    const text = '{{ genPrivateKey "rsa" }}|{{ genPrivateKey "dsa" }}|{{ (genCA "ca" 1).Key }}';
    const [first, second] = await Promise.all([renderGoTemplateAsync('k', text, {}), renderGoTemplateAsync('k', text, {})]);
    const keys = [...first.split('|'), ...second.split('|')];
    expect(new Set(keys).size).toBe(6);
    expect(first.split('|').map((pem) => pem.split('\n')[0])).toEqual([
      '-----BEGIN RSA PRIVATE KEY-----',
      '-----BEGIN DSA PRIVATE KEY-----',
      '-----BEGIN RSA PRIVATE KEY-----',
    ]);
  });

  it('a hash of a random input, different on every pass, stops instead of asking for new hashes forever', async () => {
    const { error } = await failure({ spec: { password: '{{ bcrypt (randAlpha 8) }}' } });
    expect(error.field).toBe('spec.password');
    expect(error.message).toMatch(/error calling bcrypt: a render may compute at most 16 keys and hashes over all its passes; is a hashed input random\?/);
  }, 30_000);

  it('the synchronous renderer refuses to generate an RSA key rather than block the event loop', () => {
    expect(() => renderGoTemplate('t', '{{ genPrivateKey "rsa" }}', {})).toThrow(
      /template: t: generating keys and hashing passwords needs the asynchronous renderer/,
    );
  });
});
