import { withStringDataInData } from '../api/secret-string-data.js';

type Obj = Record<string, any>;

/** ObjectMeta's fields that are omitted when empty (`omitempty`): a stored object never holds `labels: {}`. */
const OMITTED_WHEN_EMPTY = ['labels', 'annotations', 'finalizers', 'ownerReferences'];

const isEmpty = (value: unknown) =>
  Array.isArray(value) ? value.length === 0 : value !== null && typeof value === 'object' && Object.keys(value as object).length === 0;

/**
 * An object as a real API server keeps it after decoding it into its typed form: a Secret's
 * stringData merged into data and its type defaulted to Opaque, empty metadata maps and lists dropped. What kubectl diff and
 * readers compare against, so a manifest applied twice shows no difference. The object is the
 * store's own copy: its metadata is tidied in place.
 */
export function storedForm(object: Obj): Obj {
  const stored = withStringDataInData(object);
  if (stored.apiVersion === 'v1' && stored.kind === 'Secret' && !stored.type) stored.type = 'Opaque';
  const metadata = stored.metadata;
  if (metadata && typeof metadata === 'object') for (const field of OMITTED_WHEN_EMPTY) if (isEmpty(metadata[field])) delete metadata[field];
  return stored;
}
