import { describe, expect, it } from 'vitest';
import { renderFastTemplate } from '../../src/templating/fasttemplate.js';

describe('fasttemplate rendering (Argo CD Render.Replace without goTemplate)', () => {
  const cases: [string, string, Record<string, unknown>, string][] = [
    ['simple substitution', '{{one}}', { one: 'two' }, 'two'],
    ['whitespace inside the braces is trimmed', '{{ one }}', { one: 'two' }, 'two'],
    ['tabs and newlines are trimmed too', '{{\tone \t}}', { one: 'two' }, 'two'],
    ['braces that are not a template', '}} {{', { one: 'two' }, '}} {{'],
    ['an empty tag stays as written', '{{ }}', { one: '{{ }}', ' ': 'two', '': 'three' }, '{{ }}'],
    ['a key containing braces is not looked up through them', '{{one}}', { '{{one}}': '{{one}}' }, '{{one}}'],
    ['keys are case sensitive', '{{ONE}}', { one: 'two' }, '{{ONE}}'],
    ['repeated placeholders', '{{one}}{{one}}', { one: 'two' }, 'twotwo'],
    ['different placeholders on a line', '{{one}}{{three}}', { one: 'two', three: 'four' }, 'twofour'],
    ['values are inserted verbatim, quotes included', '{{one}} {{three}}', { one: '"hello" world', three: 'four' }, '"hello" world four'],
    ['unknown placeholders are left verbatim', 'a-{{missing}}-{{ one }}', { one: 'b' }, 'a-{{missing}}-b'],
    [
      'dotted and indexed keys',
      '{{path.basename}}/{{path[0]}}/{{metadata.labels.env}}',
      { 'path.basename': 'app', 'path[0]': 'apps', 'metadata.labels.env': 'prod' },
      'app/apps/prod',
    ],
    ['non-string values are not substituted', '{{n}}-{{b}}-{{m}}', { n: 3, b: true, m: { a: 'b' } }, '{{n}}-{{b}}-{{m}}'],
    ['substituted values are not rendered again', '{{a}}', { a: '{{b}}', b: 'c' }, '{{b}}'],
    ['text without tags is returned as is', 'plain text', { one: 'two' }, 'plain text'],
    ['a tag split over lines is not a template', '{{one\n}}', { one: 'two' }, '{{one\n}}'],
  ];
  for (const [name, template, params, expected] of cases) {
    it(name, () => expect(renderFastTemplate(template, params)).toBe(expected));
  }

  it('rejects a tag that is never closed, naming the template', () => {
    expect(() => renderFastTemplate('{{properly.closed}} {{improperly.closed}', {})).toThrow(
      /Cannot find end tag="}}" in the template="{{properly.closed}} {{improperly.closed}"/,
    );
  });
});
