/** Label and field selectors as the API server parses them from query strings. */
import { SelectorError, splitTopLevel } from '../lib/label-selector-text.js';

export { parseLabelSelector, SelectorError } from '../lib/label-selector-text.js';

/** metadata.name and metadata.namespace field selectors. */
export function parseFieldSelector(text: string | null | undefined): (object: { metadata?: { name?: string; namespace?: string } }) => boolean {
  if (!text) return () => true;
  const checks = splitTopLevel(text).map((part) => {
    const m = /^(metadata\.name|metadata\.namespace)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw new SelectorError(`field label not supported: ${part.split(/[=!]/)[0]}`);
    const [, field, op, value] = m;
    const get = (o: { metadata?: { name?: string; namespace?: string } }) => (field === 'metadata.name' ? o.metadata?.name : o.metadata?.namespace) ?? '';
    return op === '!='
      ? (o: { metadata?: { name?: string; namespace?: string } }) => get(o) !== value
      : (o: { metadata?: { name?: string; namespace?: string } }) => get(o) === value;
  });
  return (object) => checks.every((c) => c(object));
}
