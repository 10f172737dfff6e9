import { describe, expect, it } from 'vitest';
import { filepathMatch, globError, globMatch } from '../../src/projects/glob.js';
import { boundedRegexMatch, matchStringInList } from '../../src/projects/pattern-list.js';

describe('gobwas glob (Argo CD util/glob)', () => {
  it.each([
    ['', '', true],
    ['', 'b', false],
    ['abc', 'abc', true],
    ['a*c', 'a12345c', true],
    ['a?c', 'a1c', true],
    ['?at', 'at', false],
    ['*ä', 'åä', true],
    ['\\*', '*', true],
    ['\\*', 'x', false],
    ['sta', 'stagnation', false],
    ['sta?n', 'stagnation', false],
    ['*is', 'this is a test', false],
    ['**is**a***test*', 'this is a test', true],
    ['?*?', 'ac', true],
    ['[!a]*', 'this is a test3', true],
    ['[a-z][!a-x]*cat*[h][!b]*eyes*', 'my cat has very bright eyes', true],
    ['[a-z][!a-x]*cat*[h][!b]*eyes*', 'my dog has very bright eyes', false],
    ['{abc,abcd}a', 'abcda', true],
    ['{a,ab}{bc,f}', 'abc', true],
    ['{*,**}{a,b}', 'ac', false],
    ['/{rate,[0-9][0-9][0-9]}*', '/rate', true],
    ['{https://*.google.*,*yandex.*,*yahoo.*,*mail.ru}', 'http://yahoo.com', true],
    ['{https://*.google.*,*yandex.*,*yahoo.*,*mail.ru}', 'http://google.com', false],
    // Outside braces `,` and `}` are plain characters; an unclosed `{` ends with the pattern.
    ['a,b}', 'a,b}', true],
    ['team-{a,b', 'team-b', true],
    ['team-{a,}', 'team-', true],
    // A class holds a list or one range, never both; `-` last is a plain character.
    ['[abc-]', '-', true],
    ['[a-c]', 'd', false],
  ])('%j matches %j: %s', (pattern, value, expected) => {
    expect(globMatch(pattern, value)).toBe(expected);
  });

  it('keeps `*` and `?` within separators, while `**` and classes cross them', () => {
    expect(globMatch('a.*', 'a.b', '.')).toBe(true);
    expect(globMatch('a.*', 'a.b.c', '.')).toBe(false);
    expect(globMatch('a.**', 'a.b.c', '.')).toBe(true);
    expect(globMatch('a.?.c', 'a.bb.c', '.')).toBe(false);
    expect(globMatch('*', 'a.b.c', '.')).toBe(false);
    expect(globMatch('*', 'a.b.c')).toBe(true);
    expect(globMatch('a[!x]b', 'a.b', '.')).toBe(true);
    expect(globMatch('{*.google.*,yandex.*}', 'www.yandex.com', '.')).toBe(false);
    expect(globMatch('{*.google.*,yandex.*}', 'yandex.com', '.')).toBe(true);
  });

  it('matches nothing with a pattern that does not compile, and says why', () => {
    for (const pattern of ['[', '[]', '[!]', '[a-z0-9]', '[z-a]', 'a[bc']) {
      expect(globMatch(pattern, pattern)).toBe(false);
      expect(globError(pattern)).toEqual(expect.any(String));
    }
    expect(globError('team-*')).toBeUndefined();
  });

  it('stays linear on patterns and values built to make backtracking matchers explode', () => {
    // A backtracking matcher takes exponential time on these; this one a few milliseconds.
    const pattern = `${'*a'.repeat(50)}b`;
    const value = 'a'.repeat(2_000);
    expect(globMatch(pattern, value)).toBe(false);
    expect(globMatch('{a,aa,aaa}*{a,aa}*x', value)).toBe(false);
  });
});

describe('Go filepath.Match (AppProject resource whitelists and blacklists)', () => {
  it.each([
    ['*', 'Deployment', true],
    ['', '', true],
    ['', 'apps', false],
    ['Cluster*', 'ClusterRoleBinding', true],
    ['*Binding', 'RoleBinding', true],
    ['team1-*', 'team1-namespace', true],
    ['team1-*', 'other-namespace', false],
    ['*', 'a/b', false],
    ['?', '/', false],
    ['[^a-c]', 'd', true],
    ['[^a-c]', 'b', false],
    ['[a-c0-9]x', '7x', true],
    ['[!a]', '!', true],
    ['\\*', '*', true],
    ['{a,b}', 'a', false],
    ['{a,b}', '{a,b}', true],
  ])('%j matches %j: %s', (pattern, value, expected) => {
    expect(filepathMatch(pattern, value)).toBe(expected);
  });

  it('matches nothing with a malformed pattern', () => {
    for (const pattern of ['[', '[]', '[]a]', '[-a]', '[a-]', 'a\\', '[^]']) expect(filepathMatch(pattern, pattern)).toBe(false);
  });
});

describe('list matching (glob.MatchStringInList)', () => {
  it('treats /…/ entries as unanchored regular expressions where regexps are allowed, otherwise as globs', () => {
    expect(matchStringInList(['/^team-[0-9]+$/'], 'team-42', 'regexp')).toBe(true);
    expect(matchStringInList(['/^team-[0-9]+$/'], 'team-x', 'regexp')).toBe(false);
    expect(matchStringInList(['/team/'], 'my-team-a', 'regexp')).toBe(true);
    expect(matchStringInList(['/team/'], 'my-team-a', 'glob')).toBe(false);
    expect(matchStringInList(['team-*'], 'team-a', 'regexp')).toBe(true);
    expect(matchStringInList(['team-*'], 'team-a', 'exact')).toBe(false);
    expect(matchStringInList(['team-a'], 'team-a', 'exact')).toBe(true);
    expect(matchStringInList(undefined, 'team-a', 'regexp')).toBe(false);
  });

  it('gives up on a regular expression that runs away, and on one that does not compile', () => {
    expect(boundedRegexMatch('^(a+)+$', `${'a'.repeat(40)}!`)).toBe(false);
    expect(matchStringInList(['/(unclosed/'], '(unclosed', 'regexp')).toBe(false);
  });
});
