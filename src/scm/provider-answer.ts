import { ScmError } from './rate-limit.js';

/**
 * Reading an SCM provider's JSON, which is untrusted: a field of the wrong type reads as absent
 * instead of crashing the generation, and a page that is not a list fails it with a clear message.
 */
export function textAt(value: unknown, ...path: string[]): string {
  const found = path.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), value);
  return typeof found === 'string' ? found : '';
}

/** The list under `key` of a page, failing the listing when the page has none. */
export function itemsOf(page: unknown, key: string, what: string): Record<string, unknown>[] {
  const items = page !== null && typeof page === 'object' ? (page as Record<string, unknown>)[key] : undefined;
  if (!Array.isArray(items)) throw new ScmError(`${what}: the answer has no "${key}" list`);
  return items.filter((item): item is Record<string, unknown> => item !== null && typeof item === 'object');
}

/** The pull requests of a page with their numbers (under `idKey`); one without a whole number is skipped. */
export function numberedItems(page: unknown, key: string, idKey: string, what: string): { pull: Record<string, unknown>; number: number }[] {
  return itemsOf(page, key, what).flatMap((pull) => {
    const number = pull[idKey];
    return typeof number === 'number' && Number.isSafeInteger(number) ? [{ pull, number }] : [];
  });
}

/** How many pages a listing reads at most: far past any real repository, short of a provider that pages forever. */
export const MAX_PAGES = 1000;
