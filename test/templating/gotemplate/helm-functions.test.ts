import { describe, expect, it } from 'vitest';
import { renderGoTemplate } from '../../../src/templating/gotemplate/index.js';
import { helmFunctions } from '../../../src/templating/gotemplate/index.js';

const render = (text: string, data: unknown = {}) => renderGoTemplate('t', text, data, { funcs: helmFunctions });

describe("Helm's conversion functions", () => {
  it('toYaml writes sorted keys without a trailing newline; fromYaml reads a document back', () => {
    expect(render('{{ toYaml .v }}', { v: { b: [1, 2], a: { c: 'x' } } })).toBe('a:\n  c: x\nb:\n- 1\n- 2');
    expect(render('{{ toYaml dict }}')).toBe('{}');
    expect(render('{{ (fromYaml "a: 1\\nb: [x]").b }}')).toBe('[x]');
  });

  it('a document that does not parse comes back with its error in the value, not as a failure', () => {
    expect(render('{{ if (fromYaml "a: [").Error }}error{{ end }}')).toBe('error');
    expect(render('{{ if (fromJson "{").Error }}error{{ end }}')).toBe('error');
    expect(render('{{ len (fromYamlArray "a: 1") }}')).toBe('1');
  });

  it('toJson and fromJson, fromJsonArray', () => {
    expect(render('{{ toJson .v }}', { v: { b: 1, a: '<x>' } })).toBe('{"a":"\\u003cx\\u003e","b":1}');
    expect(render('{{ (fromJson "{\\"a\\": {\\"b\\": 2}}").a.b }}')).toBe('2');
    expect(render('{{ index (fromJsonArray "[1, 2]") 1 }}')).toBe('2');
  });

  it('toToml writes keys, then each table under its header', () => {
    expect(render('{{ toToml .v }}', { v: { name: 'web', port: 80, server: { tls: true, hosts: ['a', 'b'] } } })).toBe(
      'name = "web"\nport = 80.0\n\n[server]\n  hosts = ["a", "b"]\n  tls = true\n',
    );
  });

  it('getHostByName answers nothing, as Helm does without --enable-dns; env is not there', () => {
    expect(render('[{{ getHostByName "example.com" }}]')).toBe('[]');
    expect(() => render('{{ env "HOME" }}')).toThrow('function "env" not defined');
  });
});
