import type { AppProject } from '../api/app-project.js';
import type { Application } from '../api/application.js';
import { globError, globMatch } from './glob.js';

/** argocd-cm: syncs run as the project's destinationServiceAccounts (off unless "true"). */
export const IMPERSONATION_ENABLED_KEY = 'application.sync.impersonation.enabled';
/** argocd-cm: with impersonation on, a sync without a matching ServiceAccount is refused (unless "false"). */
export const IMPERSONATION_ENFORCED_KEY = 'application.sync.impersonation.enforced';

/** What a sync to the destination runs as: a user to impersonate, the controller's own credentials, or why it may not run. */
export type SyncIdentity = { impersonate?: string } | { refused: string };

/** Characters a defaultServiceAccount may not hold: it names one account, never a pattern or a path. */
const DISALLOWED_SERVICE_ACCOUNT_CHARACTERS = '!*[]{}\\/';

/**
 * DeriveServiceAccountToImpersonate: the first destinationServiceAccounts entry whose server and
 * namespace globs match the destination names the account, `namespace:name` or a name in the
 * destination namespace (the Application's own when it has none).
 */
export function serviceAccountToImpersonate(project: AppProject, application: Application, server: string): { user?: string } | { error: string } {
  const namespace = application.spec.destination.namespace ?? '';
  for (const item of project.spec.destinationServiceAccounts ?? []) {
    const serverProblem = globError(item.server ?? '');
    if (serverProblem) return { error: `invalid glob pattern for destination server: ${serverProblem}` };
    const namespaceProblem = globError(item.namespace ?? '');
    if (namespaceProblem) return { error: `invalid glob pattern for destination namespace: ${namespaceProblem}` };
    if (!globMatch(item.server ?? '', server) || !globMatch(item.namespace ?? '', namespace)) continue;
    const account = item.defaultServiceAccount ?? '';
    if (account.trim() === '' || [...account].some((c) => DISALLOWED_SERVICE_ACCOUNT_CHARACTERS.includes(c)))
      return { error: `default service account contains invalid chars '${account}'` };
    if (account.includes(':')) return { user: `system:serviceaccount:${account}` };
    return { user: `system:serviceaccount:${namespace || (application.metadata.namespace ?? '')}:${account}` };
  }
  return {};
}

/** Whom a sync runs as under argocd-cm's impersonation settings, with Argo CD's operation messages when it may not run. */
export function syncIdentity(settings: Record<string, string> | undefined, project: AppProject, application: Application, server: string): SyncIdentity {
  if (settings?.[IMPERSONATION_ENABLED_KEY] !== 'true') return {};
  const derived = serviceAccountToImpersonate(project, application, server);
  if ('error' in derived) return { refused: `failed to derive service account to impersonate: ${derived.error}` };
  if (derived.user) return { impersonate: derived.user };
  if (settings[IMPERSONATION_ENFORCED_KEY] === 'false') return {};
  return { refused: `no matching service account found for destination server ${server} and namespace ${application.spec.destination.namespace ?? ''}` };
}
