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

function expectGoResult(c: Case, options: string[] | undefined): void {
  const render = () => renderGoTemplate('base', c.template, structuredClone(fixture.data), parseGoTemplateOptions(options));
  if (c.error !== undefined) expect(render).toThrow(c.error);
  else expect(render()).toBe(c.output);
}

describe('Go text/template semantics', () => {
  for (const c of fixture.cases) {
    const title = `${JSON.stringify(c.template)}${c.options ? ` ${c.options.join(' ')}` : ''}`;
    it(title, () => expectGoResult(c, c.options));
  }
});

/**
 * Issue #25's last corners, each printed by real Go (1.19's text/template) with sprig v3.3.0's
 * GenericFuncMap as Argo CD installs it (mergo v1.0.2, decimal v1.4.0, semver v3.4.0, xstrings v1.5.0),
 * on the fixture's data under missingkey=error. The comment above each group names the Go or sprig
 * code that gives its results.
 */
const corners: Case[] = [
  // sprig's slice replaces text/template's in Argo CD's FuncMap: mustSlice, reflect.Value.Slice's bounds, reflect.TypeOf(nil) panics
  { template: '{{ slice .list 1 2 }}', output: '[b]' },
  {
    template: '{{ slice .list 2 1 }}',
    error: 'template: base:1:3: executing "base" at <slice .list 2 1>: error calling slice: reflect.Value.Slice: slice index out of bounds',
  },
  {
    template: '{{ slice .list 4 }}',
    error: 'template: base:1:3: executing "base" at <slice .list 4>: error calling slice: reflect.Value.Slice: slice index out of bounds',
  },
  { template: '{{ slice .list 3 }}', output: '[]' },
  {
    template: '{{ slice .list -1 }}',
    error: 'template: base:1:3: executing "base" at <slice .list -1>: error calling slice: reflect.Value.Slice: slice index out of bounds',
  },
  {
    template: '{{ slice .list 1 -1 }}',
    error: 'template: base:1:3: executing "base" at <slice .list 1 -1>: error calling slice: reflect.Value.Slice: slice index out of bounds',
  },
  { template: '{{ slice .list 0 1 2 }}', output: '[a]' },
  { template: '{{ slice .list 0 2 1 }}', output: '[a b]' },
  { template: '{{ slice .list 0 1 5 }}', output: '[a]' },
  { template: '{{ slice .list 0 1 2 3 }}', output: '[a]' },
  {
    template: '{{ slice .name 1 3 }}',
    error: 'template: base:1:3: executing "base" at <slice .name 1 3>: error calling slice: list should be type of slice or array but string',
  },
  {
    template: '{{ slice .name 1 2 3 }}',
    error: 'template: base:1:3: executing "base" at <slice .name 1 2 3>: error calling slice: list should be type of slice or array but string',
  },
  {
    template: '{{ slice .name 8 }}',
    error: 'template: base:1:3: executing "base" at <slice .name 8>: error calling slice: list should be type of slice or array but string',
  },
  {
    template: '{{ slice .name 3 1 }}',
    error: 'template: base:1:3: executing "base" at <slice .name 3 1>: error calling slice: list should be type of slice or array but string',
  },
  {
    template: '{{ slice .nil }}',
    error: 'template: base:1:3: executing "base" at <slice .nil>: error calling slice: runtime error: invalid memory address or nil pointer dereference',
  },
  {
    template: '{{ slice .nil 0 }}',
    error: 'template: base:1:3: executing "base" at <slice .nil 0>: error calling slice: runtime error: invalid memory address or nil pointer dereference',
  },
  {
    template: '{{ slice nil }}',
    error: 'template: base:1:3: executing "base" at <slice nil>: error calling slice: runtime error: invalid memory address or nil pointer dereference',
  },
  {
    template: '{{ slice .m 0 }}',
    error: 'template: base:1:3: executing "base" at <slice .m 0>: error calling slice: list should be type of slice or array but map',
  },
  { template: '{{ slice .list "a" }}', output: '[a b c]' },
  { template: '{{ slice .list 1.5 }}', output: '[b c]' },
  { template: '{{ slice .list }}', output: '[a b c]' },
  {
    template: '{{ slice .name }}',
    error: 'template: base:1:3: executing "base" at <slice .name>: error calling slice: list should be type of slice or array but string',
  },
  // text/template index: indexArg lets the length through, then reflect.Value.Index panics
  {
    template: '{{ index .list 9223372036854775808 }}',
    error: 'template: base:1:15: executing "base" at <9223372036854775808>: 9223372036854775808 overflows int',
  },
  {
    template: '{{ index .list 1.0 }}',
    error: 'template: base:1:3: executing "base" at <index .list 1.0>: error calling index: cannot index slice/array with type float64',
  },
  {
    template: '{{ index .list 1.5 }}',
    error: 'template: base:1:3: executing "base" at <index .list 1.5>: error calling index: cannot index slice/array with type float64',
  },
  { template: '{{ index .list 3 }}', error: 'template: base:1:3: executing "base" at <index .list 3>: error calling index: reflect: slice index out of range' },
  { template: '{{ index .list -1 }}', error: 'template: base:1:3: executing "base" at <index .list -1>: error calling index: index out of range: -1' },
  { template: '{{ index .list 1 }}', output: 'b' },
  { template: '{{ index .name 0 }}', output: '112' },
  { template: '{{ index .name 99 }}', error: 'template: base:1:3: executing "base" at <index .name 99>: error calling index: index out of range: 99' },
  { template: '{{ index .m "zz" }}', output: '<no value>' },
  { template: '{{ index .m 1 }}', error: 'template: base:1:3: executing "base" at <index .m 1>: error calling index: value has type int; should be string' },
  { template: '{{ index .nil 0 }}', error: 'template: base:1:3: executing "base" at <index .nil 0>: error calling index: index of untyped nil' },
  { template: '{{ index nil 0 }}', error: 'template: base:1:3: executing "base" at <index nil 0>: error calling index: index of untyped nil' },
  {
    template: '{{ index .nums 0 0 }}',
    error: 'template: base:1:3: executing "base" at <index .nums 0 0>: error calling index: can\'t index item of type float64',
  },
  {
    template: '{{ index .list "a" }}',
    error: 'template: base:1:3: executing "base" at <index .list "a">: error calling index: cannot index slice/array with type string',
  },
  {
    template: '{{ index .emptyList 0 }}',
    error: 'template: base:1:3: executing "base" at <index .emptyList 0>: error calling index: reflect: slice index out of range',
  },
  // text/template HTMLEscaper, JSEscaper, URLQueryEscaper: evalArgs prints an untyped nil as <no value>
  { template: '{{ printf "%T" 1+2i }}', output: 'complex128' },
  { template: '{{ printf "%T" 2i }}', output: 'complex128' },
  { template: '{{ printf "%T" 0x1p-2 }}', output: 'float64' },
  { template: '{{ printf "%T" 0x10 }}', output: 'int' },
  { template: '{{ printf "%T" 1e3 }}', output: 'float64' },
  { template: '{{ printf "%T" \'a\' }}', output: 'int' },
  { template: '{{ printf "%v" 1+2i }}', output: '(1+2i)' },
  { template: '{{ printf "%.2f" 1+2i }}', output: '(1.00+2.00i)' },
  { template: '{{ printf "%T" 1i }}', output: 'complex128' },
  { template: '{{ print 1.5+0i }}', output: '(1.5+0i)' },
  { template: '{{ print 9223372036854775808 }}', error: 'template: base:1:9: executing "base" at <9223372036854775808>: 9223372036854775808 overflows int' },
  {
    template: '{{ printf "%v" 9223372036854775808 }}',
    error: 'template: base:1:15: executing "base" at <9223372036854775808>: 9223372036854775808 overflows int',
  },
  { template: '{{ html .nil }}', output: '&lt;no value&gt;' },
  { template: '{{ js .nil }}', output: '\\u003Cno value\\u003E' },
  { template: '{{ urlquery .nil }}', output: '%3Cno+value%3E' },
  { template: '{{ html nil }}', output: '&lt;no value&gt;' },
  { template: '{{ js nil }}', output: '\\u003Cno value\\u003E' },
  { template: '{{ urlquery nil }}', output: '%3Cno+value%3E' },
  { template: '{{ .nil | html }}', output: '&lt;no value&gt;' },
  { template: '{{ .nil | js }}', output: '\\u003Cno value\\u003E' },
  { template: '{{ .nil | urlquery }}', output: '%3Cno+value%3E' },
  { template: '{{ html .nil .nil }}', output: '&lt;no value&gt;&lt;no value&gt;' },
  { template: '{{ js .nil "a" }}', output: '\\u003Cno value\\u003Ea' },
  { template: '{{ html "a" .nil }}', output: 'a&lt;no value&gt;' },
  { template: '{{ print nil }}', output: '<nil>' },
  { template: '{{ print .nil }}', output: '<nil>' },
  { template: '{{ html }}', output: '' },
  { template: '{{ js }}', output: '' },
  { template: '{{ html .missing }}', error: 'template: base:1:8: executing "base" at <.missing>: map has no entry for key "missing"' },
  { template: '{{ printf "%v" nil }}', output: '<nil>' },
  { template: '{{ html .emptyMap.k }}', error: 'template: base:1:17: executing "base" at <.emptyMap.k>: map has no entry for key "k"' },
  { template: '{{ printf "%5.1f|" 2i }}', output: '(  0.0 +2.0i)|' },
  { template: '{{ printf "%d" 2i }}', output: '%!d(complex128=(0+2i))' },
  { template: '{{ 1.0 | printf "%T" }}', output: 'float64' },
  // text/template walkRange (`=` assigns the enclosing variables with setVar) and parse's pipeline declarations
  { template: '{{ $x := 0 }}{{ range $x = .list }}{{ $x }}{{ end }}-{{ $x }}', output: 'abc-c' },
  { template: '{{ $i := 9 }}{{ $e := "z" }}{{ range $i, $e = .list }}{{ $i }}{{ $e }}{{ end }}-{{ $i }}{{ $e }}', output: '0a1b2c-2c' },
  { template: '{{ $x := 0 }}{{ range $x = .emptyList }}{{ $x }}{{ end }}-{{ $x }}', output: '-[]' },
  { template: '{{ $x := 0 }}{{ range $x = .emptyList }}{{ else }}else{{ end }}-{{ $x }}', output: 'else-[]' },
  { template: '{{ $x := 0 }}{{ range $x = .list }}{{ if eq $x "b" }}{{ break }}{{ end }}{{ end }}-{{ $x }}', output: '-b' },
  { template: '{{ $k := "" }}{{ range $k, $v := .m }}{{ $k }}{{ end }}-{{ $k }}', output: 'abnested-' },
  { template: '{{ $k := "" }}{{ $v := "" }}{{ range $k, $v = .m }}{{ end }}-{{ $k }}-{{ $v }}', output: '-nested-map[k:v]' },
  { template: '{{ range $x = .list }}{{ end }}', error: 'template: base:1:14: executing "base" at <.list>: undefined variable: $x' },
  { template: '{{ $x := 1 }}{{ range $x := .list }}{{ $x }}{{ end }}-{{ $x }}', output: 'abc-1' },
  { template: '{{ $x := 1 }}{{ range $x = .list }}{{ $y := 2 }}{{ $x }}{{ end }}-{{ $x }}', output: 'abc-c' },
  { template: '{{ $a := 0 }}{{ $b := 0 }}{{ range $a, $b = .nums }}{{ end }}{{ $a }}{{ $b }}', output: '23' },
  { template: '{{ $x := 0 }}{{ range $i, $x := .list }}{{ end }}{{ $x }}', output: '0' },
  { template: '{{ $x := 0 }}{{ with $x = 5 }}{{ $x }}{{ end }}-{{ $x }}', output: '5-5' },
  { template: '{{ $x := 0 }}{{ if $x = 5 }}{{ $x }}{{ end }}-{{ $x }}', output: '5-5' },
  { template: '{{ range $i, $e, $f := .list }}{{ end }}', error: 'template: base:1: too many declarations in range' },
  { template: '{{ range $i = .list }}{{ end }}', error: 'template: base:1:14: executing "base" at <.list>: undefined variable: $i' },
  { template: '{{ $x = 1 }}', error: 'template: base:1:8: executing "base" at <1>: undefined variable: $x' },
  { template: '{{ if true }}{{ $x = 1 }}{{ end }}', error: 'template: base:1:21: executing "base" at <1>: undefined variable: $x' },
  { template: '{{ $x := 0 }}{{ range $x, $y = .list }}{{ end }}', error: 'template: base:1:31: executing "base" at <.list>: undefined variable: $y' },
  { template: '{{ range $i, $e, $f = .list }}{{ end }}', error: 'template: base:1: too many declarations in range' },
  { template: '{{ range $i, := .list }}{{ end }}', error: 'template: base:1: range can only initialize variables' },
  { template: '{{ with $x = 1 }}{{ end }}', error: 'template: base:1:13: executing "base" at <1>: undefined variable: $x' },
  // text/template lexNumber, parse.newNumber (strconv ParseUint/ParseInt/ParseFloat with Go literal syntax, fmt.Sscan for complex constants) and exec idealConstant (overflows int)
  { template: '{{ 1+2i }}', output: '(1+2i)' },
  { template: '{{ 2i }}', output: '(0+2i)' },
  { template: '{{ -1.5i }}', output: '(0-1.5i)' },
  { template: '{{ 1e3+0i }}', output: '(1000+0i)' },
  { template: '{{ 0x1p-2 }}', output: '0.25' },
  { template: '{{ 0x1.8p1 }}', output: '3' },
  { template: '{{ 0X1P+3 }}', output: '8' },
  { template: '{{ 0x.8p0 }}', output: '0.5' },
  { template: '{{ 1_000_000 }}', output: '1000000' },
  { template: '{{ 0x_FF }}', output: '255' },
  { template: '{{ 0b1010 }}', output: '10' },
  { template: '{{ 0B_1 }}', output: '1' },
  { template: '{{ 0o17 }}', output: '15' },
  { template: '{{ 0O17 }}', output: '15' },
  { template: '{{ 017 }}', output: '15' },
  { template: '{{ 1_0.2_5 }}', output: '10.25' },
  { template: '{{ 1e1_0 }}', output: '1e+10' },
  { template: "{{ 'a' }}", output: '97' },
  { template: "{{ '\\n' }}", output: '10' },
  { template: '{{ 1__0 }}', error: 'template: base:1: illegal number syntax: "1__0"' },
  { template: '{{ 1_ }}', error: 'template: base:1: illegal number syntax: "1_"' },
  { template: '{{ 0x_ }}', error: 'template: base:1: illegal number syntax: "0x_"' },
  { template: '{{ 0x1p }}', error: 'template: base:1: illegal number syntax: "0x1p"' },
  { template: '{{ 0x1.8 }}', error: 'template: base:1: illegal number syntax: "0x1.8"' },
  { template: '{{ 0x1e2 }}', output: '482' },
  { template: '{{ 09 }}', error: 'template: base:1: integer overflow: "09"' },
  { template: '{{ 08.5 }}', output: '8.5' },
  { template: '{{ 1+2 }}', error: 'template: base:1: bad number syntax: "1+2"' },
  { template: '{{ 1i+2 }}', error: 'template: base:1: bad number syntax: "1i+2"' },
  { template: '{{ 9223372036854775807 }}', output: '9223372036854775807' },
  { template: '{{ 9223372036854775808 }}', error: 'template: base:1:3: executing "base" at <9223372036854775808>: 9223372036854775808 overflows int' },
  { template: '{{ -9223372036854775808 }}', output: '-9223372036854775808' },
  { template: '{{ -9223372036854775809 }}', error: 'template: base:1: integer overflow: "-9223372036854775809"' },
  { template: '{{ 18446744073709551615 }}', error: 'template: base:1:3: executing "base" at <18446744073709551615>: 18446744073709551615 overflows int' },
  { template: '{{ 18446744073709551616 }}', error: 'template: base:1: integer overflow: "18446744073709551616"' },
  { template: '{{ 0xFFFFFFFFFFFFFFFF }}', error: 'template: base:1:3: executing "base" at <0xFFFFFFFFFFFFFFFF>: 0xFFFFFFFFFFFFFFFF overflows int' },
  { template: '{{ 0x8000000000000000 }}', error: 'template: base:1:3: executing "base" at <0x8000000000000000>: 0x8000000000000000 overflows int' },
  { template: '{{ 99999999999999999999999 }}', error: 'template: base:1: integer overflow: "99999999999999999999999"' },
  { template: '{{ 1e100 }}', output: '1e+100' },
  { template: '{{ add 9223372036854775808 1 }}', error: 'template: base:1:7: executing "base" at <9223372036854775808>: 9223372036854775808 overflows int' },
  { template: '{{ + }}', error: 'template: base:1: illegal number syntax: "+"' },
  { template: '{{ - }}', error: 'template: base:1: illegal number syntax: "-"' },
  { template: '{{ .5 }}', output: '0.5' },
  { template: '{{ 5. }}', output: '5' },
  { template: '{{ -0 }}', output: '0' },
  { template: '{{ -0.0 }}', output: '-0' },
  { template: '{{ 1e400 }}', error: 'template: base:1: illegal number syntax: "1e400"' },
  { template: '{{ 0x1p2000 }}', error: 'template: base:1: illegal number syntax: "0x1p2000"' },
  { template: '{{ 1.5e3i }}', output: '(0+1500i)' },
  { template: '{{ 0b1i }}', error: 'template: base:1: illegal number syntax: "0b1i"' },
  { template: '{{ 0123i }}', output: '(0+123i)' },
  { template: '{{ 1+2j }}', error: 'template: base:1: bad number syntax: "1+2j"' },
  { template: '{{ 1 +2i }}', error: 'template: base:1:3: executing "base" at <1>: can\'t give argument to non-function 1' },
  { template: '{{ eq 1i 1i }}', output: 'true' },
  { template: '{{ if 0i }}t{{ else }}f{{ end }}', output: 'f' },
  { template: '{{ 0x1P-1074 }}', output: '5e-324' },
  { template: '{{ 1e+3+2e-1i }}', output: '(1000+0.2i)' },
  { template: '{{ 0x10+1i }}', error: 'template: base:1: strconv.ParseFloat: parsing "0x10": invalid syntax' },
  { template: '{{ toJson 1i }}', output: '' },
  { template: '{{ 1_000.5e1_0 }}', output: '1.0005e+13' },
  { template: '{{ 0_7 }}', output: '7' },
  { template: '{{ 0o_7 }}', output: '7' },
  { template: '{{ 08 }}', error: 'template: base:1: integer overflow: "08"' },
  { template: '{{ 0.i }}', output: '(0+0i)' },
];

describe('Go text/template corners, checked against Go', () => {
  for (const c of corners) it(c.template, () => expectGoResult(c, ['missingkey=error']));
});
