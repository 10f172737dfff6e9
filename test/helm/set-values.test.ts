import { describe, expect, it } from 'vitest';
import type { Values } from '../../src/helm/chart.js';
import { escapeSetValue, parseSetInto } from '../../src/helm/set-values.js';

function set(expression: string, into: Values = {}): Values {
  parseSetInto(expression, into);
  return into;
}

function setString(expression: string): Values {
  const into: Values = {};
  parseSetInto(expression, into, (text) => text);
  return into;
}

describe("--set as Helm's strvals parses it", () => {
  it('types values: booleans, null, integers without a leading zero; the rest stay strings', () => {
    expect(set('a=true,b=FALSE,c=null,d=0,e=42,f=-7,g=007,h=1.5,i=abc,j=')).toEqual({
      a: true,
      b: false,
      c: null,
      d: 0n,
      e: 42n,
      f: -7n,
      g: '007',
      h: '1.5',
      i: 'abc',
      j: '',
    });
    expect(setString('a=true,b=42')).toEqual({ a: 'true', b: '42' });
  });

  it('dotted names make tables, [N] list elements, {x,y} lists', () => {
    expect(set('image.repository=nginx,image.tag=1.27')).toEqual({ image: { repository: 'nginx', tag: '1.27' } });
    expect(set('hosts[1]=b')).toEqual({ hosts: [null, 'b'] });
    expect(set('servers[0].port=80,servers[0].host=a')).toEqual({ servers: [{ port: 80n, host: 'a' }] });
    expect(set('matrix[0][1]=x')).toEqual({ matrix: [[null, 'x']] });
    expect(set('names={a,b,3}')).toEqual({ names: ['a', 'b', 3n] });
  });

  it('writes into existing values: tables merged, a list element replaced in place', () => {
    expect(set('image.tag=2', { image: { repository: 'nginx', tag: '1' }, hosts: ['a', 'b'] })).toEqual({ image: { repository: 'nginx', tag: 2n }, hosts: ['a', 'b'] });
    expect(set('hosts[0]=z', { hosts: ['a', 'b'] })).toEqual({ hosts: ['z', 'b'] });
  });

  it('a backslash escapes a comma or a dot', () => {
    expect(set('a=b\\,c,d=e')).toEqual({ a: 'b,c', d: 'e' });
    expect(set('annotations.example\\.com/team=web')).toEqual({ annotations: { 'example.com/team': 'web' } });
  });

  it("Argo CD escapes a parameter value's commas unless it is a {list}", () => {
    expect(escapeSetValue('a,b')).toBe('a\\,b');
    expect(escapeSetValue('a\\,b')).toBe('a\\,b');
    expect(escapeSetValue('{a,b}')).toBe('{a,b}');
    expect(set(`csv=${escapeSetValue('a,b')}`)).toEqual({ csv: 'a,b' });
  });

  it("malformed expressions fail with Helm's messages", () => {
    expect(() => set('name')).toThrow('key "name" has no value');
    expect(() => set('a,b=c')).toThrow('key "a" has no value (cannot end with ,)');
    expect(() => set('list[-1]=x')).toThrow('negative -1 index not allowed');
    expect(() => set('list[70000]=x')).toThrow('index of 70000 is greater than maximum supported index of 65536');
    expect(() => set('list={a,b')).toThrow("list must terminate with '}'");
    expect(() => set(`${'a.'.repeat(31)}b=c`)).toThrow('value name nested level is greater than maximum supported nested level of 30');
  });
});
