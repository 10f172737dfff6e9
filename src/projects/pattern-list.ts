import { Script, createContext } from 'node:vm';
import { globMatch } from './glob.js';

/**
 * How Argo CD's glob.MatchStringInList compares an item with each entry: `exact` strings, `glob`
 * patterns, or `regexp` (a `/…/` entry is a regular expression, any other a glob).
 */
export type ListMatching = 'exact' | 'glob' | 'regexp';

/** A regular expression from an AppProject runs at most this long: a pattern that backtracks without end counts as no match. */
const REGEX_TIME_LIMIT_MS = 50;
const sandbox = createContext({ pattern: '', text: '' });
const test = new Script('new RegExp(pattern).test(text)');

/** Whether `pattern` matches anywhere in `text` (Argo CD's regexp2 is unanchored too); invalid or runaway patterns match nothing. */
export function boundedRegexMatch(pattern: string, text: string): boolean {
  Object.assign(sandbox, { pattern, text });
  try {
    return test.runInContext(sandbox, { timeout: REGEX_TIME_LIMIT_MS }) === true;
  } catch {
    return false;
  }
}

export function matchStringInList(list: readonly string[] | undefined, item: string, matching: ListMatching): boolean {
  return (list ?? []).some((entry) => {
    if (matching === 'exact') return entry === item;
    if (matching === 'regexp' && entry.length >= 2 && entry.startsWith('/') && entry.endsWith('/') && boundedRegexMatch(entry.slice(1, -1), item)) return true;
    return globMatch(entry, item);
  });
}
