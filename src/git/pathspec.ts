import { GoRegExp } from '../templating/go-regexp.js';

/**
 * Whether a path matches a git pathspec as `git ls-files -- PATTERN` reads it, which is how
 * Argo CD's Git files generator finds files by default: `*` and `?` match across `/` (so `**` is
 * just `*`), `[...]` is a character class, and a pattern without wildcards names a file or
 * everything below a directory.
 */
export function pathspecMatcher(pattern: string): (path: string) => boolean {
  const clean = pattern.replace(/^\.\//, '').replace(/\/+$/, '');
  if (!/[*?[]/.test(clean)) return (path) => path === clean || path.startsWith(`${clean}/`) || clean === '' || clean === '.';
  const regex = compile(clean);
  return (path) => regex.test(path);
}

/** Matched by RE2: `*` runs compile to `.*` chains that would backtrack exponentially in a JavaScript RegExp. */
function compile(pattern: string): GoRegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '\\' && i + 1 < pattern.length) source += escape(pattern[++i]);
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) source += '\\[';
      else {
        const body = pattern
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        source += `[${body}]`;
        i = close;
      }
    } else source += escape(c);
  }
  return GoRegExp.compile(`(?s)^${source}$`);
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
