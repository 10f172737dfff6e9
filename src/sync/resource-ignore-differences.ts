import type { Application } from '../api/application.js';
import { keepLiveValues } from '../api/ignore-differences.js';
import { globMatch } from '../projects/glob.js';

type Obj = Record<string, any>;

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');
const pointerToken = (key: string | number) => String(key).replace(/~/g, '~0').replace(/\//g, '~1');

/** The list index a fieldsV1 item key (`k:{"name":"web"}`, `v:"a"`, `i:0`) names in the live list, or -1. */
function itemIndex(list: unknown[], key: string): number {
  if (key.startsWith('i:')) return Number(key.slice(2));
  try {
    const wanted = JSON.parse(key.slice(2)) as unknown;
    if (key.startsWith('v:')) return list.findIndex((item) => JSON.stringify(item) === JSON.stringify(wanted));
    const keys = Object.entries(wanted as Obj);
    return list.findIndex((item) => item && typeof item === 'object' && keys.every(([k, v]) => JSON.stringify((item as Obj)[k]) === JSON.stringify(v)));
  } catch {
    return -1;
  }
}

/** JSON pointers of the live fields a fieldsV1 set names: its leaves, and the nodes it owns whole (`.`). */
function ownedPointers(fields: Obj, live: unknown, prefix: string): string[] {
  const pointers: string[] = [];
  for (const [key, children] of Object.entries(fields)) {
    let child: unknown;
    let pointer: string;
    if (key.startsWith('f:')) {
      child = live && typeof live === 'object' && !Array.isArray(live) ? (live as Obj)[key.slice(2)] : undefined;
      pointer = `${prefix}/${pointerToken(key.slice(2))}`;
    } else if (/^[kvi]:/.test(key) && Array.isArray(live)) {
      const index = itemIndex(live, key);
      if (index < 0) continue;
      child = live[index];
      pointer = `${prefix}/${index}`;
    } else continue;
    const nested = children && typeof children === 'object' ? Object.keys(children).filter((k) => k !== '.') : [];
    if (!nested.length || '.' in (children as Obj)) pointers.push(pointer);
    else pointers.push(...ownedPointers(children as Obj, child, pointer));
  }
  return pointers;
}

/** managedFieldsManagers: the fields the named managers own on the live object, as JSON pointers. */
function managedBy(live: Obj, managers: string[]): string[] {
  return ((live.metadata?.managedFields ?? []) as Obj[])
    .filter((entry) => managers.includes(entry.manager) && entry.fieldsV1 && typeof entry.fieldsV1 === 'object')
    .flatMap((entry) => ownedPointers(entry.fieldsV1, live, ''));
}

/**
 * An Application's spec.ignoreDifferences applied to one desired object: the fields its matching
 * rules name (jsonPointers, jqPathExpressions, and those managedFieldsManagers own) take the live
 * values, so the comparison does not see them and, with RespectIgnoreDifferences=true, the apply
 * does not change them. Rules match as in
 * Argo CD: group and kind as globs, name and namespace exactly when set. Returns a copy; the
 * desired object is shared and never written to.
 */
export function withIgnoredDifferences(application: Application, desired: Obj, live: Obj | undefined): Obj {
  if (!live) return desired;
  const group = groupOf(String(desired.apiVersion ?? ''));
  const name = desired.metadata?.name ?? '';
  const namespace = desired.metadata?.namespace ?? '';
  let result = desired;
  (application.spec.ignoreDifferences ?? []).forEach((rule, i) => {
    if (!globMatch(rule.group ?? '', group) || !globMatch(rule.kind, desired.kind)) return;
    if ((rule.name && rule.name !== name) || (rule.namespace && rule.namespace !== namespace)) return;
    if (result === desired) result = structuredClone(desired);
    const jsonPointers = [...(rule.jsonPointers ?? []), ...managedBy(live, rule.managedFieldsManagers ?? [])];
    keepLiveValues(result, live, { jsonPointers, jqPathExpressions: rule.jqPathExpressions }, `spec.ignoreDifferences[${i}]`);
  });
  return result;
}
