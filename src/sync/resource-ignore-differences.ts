import type { Application } from '../api/application.js';
import { keepLiveValues } from '../api/ignore-differences.js';
import { globMatch } from '../projects/glob.js';

type Obj = Record<string, any>;

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');

/**
 * An Application's spec.ignoreDifferences applied to one desired object: the fields its matching
 * rules name (jsonPointers, jqPathExpressions) take the live values, so the comparison does not see
 * them and, with RespectIgnoreDifferences=true, the apply does not change them. Rules match as in
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
    keepLiveValues(result, live, rule, `spec.ignoreDifferences[${i}]`);
  });
  return result;
}
