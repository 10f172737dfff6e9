import { setEntry } from '../lib/json-values.js';
import type { KubeObject } from './meta.js';

/**
 * A core/v1 Secret as the API server stores it: each stringData value base64-encoded into data
 * (over a data value of the same key), stringData gone, since the server never returns it.
 * Anything else, or a Secret without stringData, is returned as it is; the argument is never changed.
 */
export function withStringDataInData<T extends KubeObject>(object: T): T {
  if (object.apiVersion !== 'v1' || object.kind !== 'Secret') return object;
  const stringData = object.stringData;
  if (!stringData || typeof stringData !== 'object' || Array.isArray(stringData)) return object;
  const { stringData: _merged, ...rest } = object;
  const data: Record<string, unknown> = { ...((rest.data as Record<string, unknown> | undefined) ?? {}) };
  // As gitops-engine's NormalizeSecret: a value that is not a string is kept, for validation to refuse.
  for (const [key, value] of Object.entries(stringData)) setEntry(data, key, typeof value === 'string' ? Buffer.from(value, 'utf8').toString('base64') : value);
  return { ...rest, data } as unknown as T;
}
