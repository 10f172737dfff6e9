import { describe, expect, it } from 'vitest';
import { pathspecMatcher } from '../../src/git/pathspec.js';
import { estimateProgramSize, GoRegExp, MAX_PROGRAM_SIZE } from '../../src/templating/go-regexp.js';

/** Go's regexp semantics (the examples are Go's documentation's), on a linear-time engine. */
const re = (pattern: string) => GoRegExp.compile(pattern);

describe('Go regexp semantics', () => {
  it('ReplaceAllString: $1W names group "1W", ${1}W is group 1 then W, $$ is $', () => {
    const ab = re('a(x*)b');
    expect(ab.replaceAll('-ab-axxb-', 'T')).toBe('-T-T-');
    expect(ab.replaceAll('-ab-axxb-', '$1')).toBe('--xx-');
    expect(ab.replaceAll('-ab-axxb-', '$1W')).toBe('---');
    expect(ab.replaceAll('-ab-axxb-', '${1}W')).toBe('-W-xxW-');
    expect(ab.replaceAll('-ab-', '$$1 ${x')).toBe('-$1 ${x-');
    expect(re('(?P<first>\\w+)\\s(?P<last>\\w+)').replaceAll('Alan Turing', '${last} $first')).toBe('Turing Alan');
    expect(ab.replaceAllLiteral('-ab-axxb-', '$1')).toBe('-$1-$1-');
  });

  it('an empty match right after a match is skipped, as Go does (JavaScript would replace it)', () => {
    expect(re('a*').replaceAll('baaac', 'X')).toBe('XbXcX');
    expect(re('a*').findAll('baaab', -1)).toEqual(['', 'aaa', '']);
    expect(re('').replaceAll('😀x', '-')).toBe('-😀-x-');
  });

  it('FindAllString and Split with n', () => {
    expect(re('a.').findAll('paranormal', -1)).toEqual(['ar', 'an', 'al']);
    expect(re('a.').findAll('paranormal', 2)).toEqual(['ar', 'an']);
    expect(re('a.').findAll('paranormal', 0)).toEqual([]);
    expect(re('a*').split('abaabaccadaaae', 5)).toEqual(['', 'b', 'b', 'c', 'cadaaae']);
    expect(re('a').split('banana', -1)).toEqual(['b', 'n', 'n', '']);
    expect(re('a').split('banana', 0)).toEqual([]);
    expect(re('a').split('banana', 1)).toEqual(['banana']);
    expect(re('z+').split('pizza', -1)).toEqual(['pi', 'a']);
    expect(re('').split('abc', -1)).toEqual(['a', 'b', 'c']);
  });

  it('RE2 syntax: Perl classes, POSIX classes, Unicode classes, flags, \\A and \\z, anchors in context', () => {
    expect(re('\\d+').find('ab123c')).toBe('123');
    expect(re('[[:alpha:]]+').find('12abc3')).toBe('abc');
    expect(re('\\pL+').find('1héllo2')).toBe('héllo');
    expect(re('(?i)^PROD').test('production')).toBe(true);
    expect(re('a.b').test('a\nb')).toBe(false);
    expect(re('(?s)a.b').test('a\nb')).toBe(true);
    expect(re('\\Aab\\z').test('ab')).toBe(true);
    expect(re('\\Aab\\z').test('ab\n')).toBe(false);
    expect(re('^a').replaceAll('aaa', 'X')).toBe('Xaa');
    expect(re('.').find('😀x')).toBe('😀');
    expect(re('(a)|(b)').submatches('b')).toEqual(['b', undefined, 'b']);
  });

  it("reports Go's errors for what RE2 does not have", () => {
    expect(() => re('(')).toThrow('error parsing regexp: missing closing ): `(`');
    expect(() => re('a(?=b)')).toThrow('error parsing regexp: invalid or unsupported Perl syntax: `(?=`');
    expect(() => re('(a)\\1')).toThrow('error parsing regexp: invalid escape sequence: `\\1`');
    expect(() => re('a{1001}')).toThrow('error parsing regexp: invalid repeat count: `{1001}`');
  });
});

describe('bounded cost', () => {
  it.each([
    ['(a+)+$', `${'a'.repeat(100_000)}b`, false],
    ['^(a|aa)+$', `${'a'.repeat(100_000)}b`, false],
    ['(x+x+)+y', 'x'.repeat(100_000), false],
    ['^(\\w+\\s?)*$', `${'word '.repeat(20_000)}!`, false],
    ['^(a+)+b$', `${'a'.repeat(100_000)}b`, true],
  ])('%s, which backtracks catastrophically in JavaScript, answers in linear time', (pattern, text, expected) => {
    expect(re(pattern).test(text)).toBe(expected);
  });

  it('estimates what a pattern compiles to before compiling it, and refuses one too large', () => {
    expect(estimateProgramSize('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')).toBeLessThan(50);
    expect(estimateProgramSize('a{1000}')).toBeGreaterThanOrEqual(1000);
    expect(estimateProgramSize('(ab{10}){10}')).toBeGreaterThanOrEqual(100);
    expect(estimateProgramSize('\\Q{1000}\\E')).toBeLessThan(20);
    expect(estimateProgramSize('[{1000}]')).toBe(1);
    const pattern = Array.from({ length: 50 }, (_, i) => `c${i}{999}`).join('|');
    expect(() => re(pattern)).toThrow(
      `error parsing regexp: expression too large: about ${estimateProgramSize(pattern)} instructions, more than the ${MAX_PROGRAM_SIZE} a pattern may compile to`,
    );
  });

  it('refuses a search whose program size times input length is too costly, naming the pattern', () => {
    expect(() => re('(\\pL|\\pN){500}z').find('a'.repeat(100_000))).toThrow(
      /^regexp "\(\\\\pL\|\\\\pN\)\{500\}z" is too costly for an input of 100000 characters/,
    );
  });
});

describe('git pathspecs are matched by RE2', () => {
  const stars = `${'*a'.repeat(30)}*b`;
  const path = 'a'.repeat(300);

  it('a git files pathspec with many stars answers at once', () => {
    expect(pathspecMatcher(stars)(path)).toBe(false);
    expect(pathspecMatcher(stars)(`${path}b`)).toBe(true);
  });
});
