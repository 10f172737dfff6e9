import type { IncomingHttpHeaders } from 'node:http';
import { groupsOf } from './access-reviews.js';
import { ApiError } from './api-error.js';
import { authorize, type AccessAttributes, type AccessUser } from './rbac-authorizer.js';
import type { SimCluster } from './sim-cluster.js';

const SERVICE_ACCOUNT = /^system:serviceaccount:([^:]+):([^:]+)$/;

const headerValues = (value: string | string[] | undefined) =>
  value === undefined ? [] : Array.isArray(value) ? value : value.split(',').map((v) => v.trim());

/** The API server's Forbidden text for a request RBAC does not allow. */
export function forbidden(user: string, attributes: AccessAttributes): ApiError {
  if (attributes.path !== undefined) return new ApiError(403, 'Forbidden', `forbidden: User "${user}" cannot ${attributes.verb} path "${attributes.path}"`);
  const group = attributes.group ?? '';
  const resource = attributes.subresource ? `${attributes.resource}/${attributes.subresource}` : (attributes.resource ?? '');
  const qualified = `${attributes.resource}${group ? `.${group}` : ''}`;
  const subject = attributes.name ? `${qualified} "${attributes.name}"` : qualified;
  const scope = attributes.namespace ? `in the namespace "${attributes.namespace}"` : 'at the cluster scope';
  return new ApiError(
    403,
    'Forbidden',
    `${subject} is forbidden: User "${user}" cannot ${attributes.verb} resource "${resource}" in API group "${group}" ${scope}`,
    {
      ...(attributes.name ? { name: attributes.name } : {}),
      group,
      kind: attributes.resource,
    },
  );
}

/**
 * The API server's impersonation filter: a request with Impersonate-User (and Impersonate-Group)
 * runs as that user once RBAC allows the caller to `impersonate` it (`serviceaccounts` in the
 * account's namespace for a ServiceAccount, `users` otherwise, `groups` for each group). The
 * impersonated user has the groups asked for, a ServiceAccount's implied groups, and
 * system:authenticated. Undefined when the request impersonates no one.
 */
export function impersonatedUser(cluster: SimCluster, caller: string, headers: IncomingHttpHeaders): AccessUser | undefined {
  const username = headers['impersonate-user'];
  const groups = headerValues(headers['impersonate-group']);
  if (typeof username !== 'string' || username === '') {
    if (groups.length) throw new ApiError(500, 'InternalError', 'requested impersonation of groups without impersonating a user');
    return undefined;
  }
  const callerUser = { username: caller, groups: groupsOf(cluster, caller) };
  const serviceAccount = SERVICE_ACCOUNT.exec(username);
  const checks: AccessAttributes[] = [
    serviceAccount
      ? { verb: 'impersonate', group: '', resource: 'serviceaccounts', namespace: serviceAccount[1], name: serviceAccount[2] }
      : { verb: 'impersonate', group: '', resource: 'users', name: username },
    ...groups.map((group) => ({ verb: 'impersonate', group: '', resource: 'groups', name: group })),
  ];
  for (const check of checks) if (!authorize(cluster.store, callerUser, check).allowed) throw forbidden(caller, check);
  const implied = serviceAccount && !groups.length ? ['system:serviceaccounts', `system:serviceaccounts:${serviceAccount[1]}`] : [];
  return { username, groups: [...new Set([...groups, ...implied, 'system:authenticated'])] };
}

/** Refuses the request unless RBAC allows the (impersonated) user to make it. */
export function requireAllowed(cluster: SimCluster, user: AccessUser, attributes: AccessAttributes): void {
  if (!authorize(cluster.store, user, attributes).allowed) throw forbidden(user.username, attributes);
}
