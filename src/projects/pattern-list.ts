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
/** Answers already found: every refresh of every Application asks the same few questions again. */
const answers = new Map<string, boolean>();
const ANSWER_LIMIT = 10_000;

/** Whether `pattern` matches anywhere in `text` (Argo CD's regexp2 is unanchored too); invalid or runaway patterns match nothing. */
export function boundedRegexMatch(pattern: string, text: string): boolean {
  const key = `${pattern}\0${text}`;
  let answer = answers.get(key);
  if (answer === undefined) {
    Object.assign(sandbox, { pattern, text });
    try {
      answer = test.runInContext(sandbox, { timeout: REGEX_TIME_LIMIT_MS }) === true;
    } catch {
      answer = false;
    }
    if (answers.size >= ANSWER_LIMIT) answers.delete(answers.keys().next().value!);
    answers.set(key, answer);
  }
  return answer;
}

export function matchStringInList(list: readonly string[] | undefined, item: string, matching: ListMatching): boolean {
  return (list ?? []).some((entry) => {
    if (matching === 'exact') return entry === item;
    if (matching === 'regexp' && entry.length >= 2 && entry.startsWith('/') && entry.endsWith('/') && boundedRegexMatch(entry.slice(1, -1), item)) return true;
    return globMatch(entry, item);
  });
}
