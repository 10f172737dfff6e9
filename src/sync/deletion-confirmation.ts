import { DELETION_APPROVED_ANNOTATION, SYNC_OPTIONS_ANNOTATION } from '../api/annotations.js';
import type { Application } from '../api/application.js';
import { annotationValues } from './resource-hooks.js';

type Obj = Record<string, any>;

/**
 * Argo CD's `Prune=confirm` and `Delete=confirm`: prunes and deletions of such objects wait until
 * the Application carries `argocd.argoproj.io/deletion-approved` with a time no earlier than the
 * sync started (prunes) or the Application was deleted (deletions).
 */

/** Go's time.Parse(time.RFC3339, …): a full date and time with a zone, fractional seconds allowed. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** As Argo CD's Application.IsDeletionConfirmed: the approval is a valid time at or after `since`. */
export function isDeletionConfirmed(application: Application, since: Date): boolean {
  const approved = application.metadata.annotations?.[DELETION_APPROVED_ANNOTATION];
  if (!approved || !RFC3339.test(approved)) return false;
  const at = Date.parse(approved);
  // RFC 3339 to the second, as Argo CD writes it: the sync's start counts at the same precision.
  return Number.isFinite(at) && at >= Math.floor(since.getTime() / 1000) * 1000;
}

/** The value of `name=value` among options (the first that names it), or undefined. */
function optionValue(options: readonly string[], name: string): string | undefined {
  for (const option of options) {
    const [key, ...value] = option.split('=');
    if (key.trim() === name) return value.join('=').trim();
  }
  return undefined;
}

/** The object's own `name=` option, else the Application's (syncOptions and the operation's). */
const effective = (object: Obj | undefined, defaults: readonly string[], name: string) =>
  (object ? optionValue(annotationValues(object, SYNC_OPTIONS_ANNOTATION), name) : undefined) ?? optionValue(defaults, name);

/** gitops-engine's objRequiresPruneConfirmation: Prune=confirm on the live object, or on the Application when the object sets no Prune. */
export const requiresPruneConfirmation = (live: Obj | undefined, applicationOptions: readonly string[]): boolean =>
  effective(live, applicationOptions, 'Prune') === 'confirm';

/** Argo CD's isObjRequiresDeletionConfirmation: Delete=confirm or Prune=confirm, the object's own or else the Application's. */
export function requiresDeletionConfirmation(object: Obj | undefined, application: Application): boolean {
  if (!object) return false;
  const options = application.spec.syncPolicy?.syncOptions ?? [];
  return effective(object, options, 'Delete') === 'confirm' || effective(object, options, 'Prune') === 'confirm';
}
