import { isPlainObject, ownEntry, setEntry } from './json-values.js';

/**
 * A JSON merge patch that removes what `live` has under `desired`'s objects and `desired` lacks:
 * fields other writers added, which a server-side apply alone would keep.
 */
export function removalPatch(desired: unknown, live: unknown): Record<string, unknown> | undefined {
  if (!isPlainObject(desired) || !isPlainObject(live)) return undefined;
  let patch: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(live)) {
    const inner = Object.hasOwn(desired, key) ? removalPatch(desired[key], value) : null;
    if (inner === undefined) continue;
    patch ??= {};
    setEntry(patch, key, inner);
  }
  return patch;
}

/** A JSON merge patch that turns `previous` into exactly `next`: keys `next` lacks are set to null. */
export function replacementPatch(next: unknown, previous: unknown): unknown {
  if (!isPlainObject(next) || !isPlainObject(previous)) return next;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(previous)) if (ownEntry(next, key) === undefined) setEntry(patch, key, null);
  for (const [key, value] of Object.entries(next)) if (value !== undefined) setEntry(patch, key, replacementPatch(value, ownEntry(previous, key)));
  return patch;
}
