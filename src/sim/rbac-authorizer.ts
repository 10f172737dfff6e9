import type { ClusterStore } from './cluster-store.js';

type Obj = Record<string, any>;

/** SubjectAccessReview's spec.resourceAttributes / nonResourceAttributes. */
export interface AccessAttributes {
  verb: string;
  namespace?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  name?: string;
  /** A non-resource request (`/healthz`, `/metrics`) when set. */
  path?: string;
}

export interface AccessUser {
  username: string;
  groups: string[];
}

export interface AccessDecision {
  allowed: boolean;
  reason: string;
}

const RBAC = 'rbac.authorization.k8s.io/v1';

/**
 * Kubernetes' RBAC authorizer over the Roles, ClusterRoles and their bindings stored in a
 * simulated cluster: a request is allowed when a binding whose subject is the user (or one of
 * its groups, or its ServiceAccount) grants a rule matching verb, API group, resource and name.
 * RBAC only allows; anything else is "no opinion", which the API server reports as not allowed.
 */
export function authorize(store: ClusterStore, user: AccessUser, attributes: AccessAttributes): AccessDecision {
  // RoleBindings never apply to non-resource paths.
  const namespace = attributes.path === undefined ? attributes.namespace : undefined;
  for (const { binding, label, subject, rules } of grants(store, user, namespace)) {
    if (rules.some((rule) => ruleAllows(rule, attributes))) {
      return { allowed: true, reason: `RBAC: allowed by ${label} of ${binding.roleRef.kind} "${binding.roleRef.name}" to ${subject.kind} "${subject.name}"` };
    }
  }
  return { allowed: false, reason: '' };
}

/** Every rule a user holds in a namespace (cluster-wide ones only without one), as SelfSubjectRulesReview lists them. */
export function rulesOf(store: ClusterStore, user: AccessUser, namespace: string | undefined): Obj[] {
  return grants(store, user, namespace).flatMap((grant) => grant.rules);
}

/** The bindings naming the user: ClusterRoleBindings everywhere, RoleBindings in their own namespace; each with its role's rules. */
function grants(store: ClusterStore, user: AccessUser, namespace: string | undefined): { binding: Obj; label: string; subject: Obj; rules: Obj[] }[] {
  const kinds = (kind: string) => store.list(store.typeForKind(RBAC, kind)!);
  const roleRules = (bindingNamespace: string | undefined, ref: Obj): Obj[] | undefined => {
    if (ref?.kind === 'ClusterRole') return kinds('ClusterRole').find((r) => r.metadata.name === ref.name)?.rules;
    if (ref?.kind === 'Role' && bindingNamespace)
      return kinds('Role').find((r) => r.metadata.namespace === bindingNamespace && r.metadata.name === ref.name)?.rules;
    return undefined;
  };
  const bindings = [
    ...kinds('ClusterRoleBinding').map((binding) => ({ binding, label: `ClusterRoleBinding "${binding.metadata.name}"` })),
    ...(namespace
      ? kinds('RoleBinding')
          .filter((b) => b.metadata.namespace === namespace)
          .map((binding) => ({ binding, label: `RoleBinding "${binding.metadata.name}/${binding.metadata.namespace}"` }))
      : []),
  ];
  return bindings.flatMap(({ binding, label }) => {
    const subject = (binding.subjects ?? []).find((s: Obj) => subjectMatches(s, user, binding.metadata.namespace));
    return subject ? [{ binding, label, subject, rules: roleRules(binding.metadata.namespace, binding.roleRef) ?? [] }] : [];
  });
}

function subjectMatches(subject: Obj, user: AccessUser, bindingNamespace: string | undefined): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === user.username;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount':
      return user.username === `system:serviceaccount:${subject.namespace || bindingNamespace}:${subject.name}`;
    default:
      return false;
  }
}

const has = (list: string[] | undefined, value: string) => (list ?? []).includes('*') || (list ?? []).includes(value);

function ruleAllows(rule: Obj, attributes: AccessAttributes): boolean {
  if (!has(rule.verbs, attributes.verb)) return false;
  if (attributes.path !== undefined) {
    return (rule.nonResourceURLs ?? []).some(
      (url: string) => url === '*' || url === attributes.path || (url.endsWith('*') && attributes.path!.startsWith(url.slice(0, -1))),
    );
  }
  if (!has(rule.apiGroups, attributes.group ?? '')) return false;
  const resource = attributes.subresource ? `${attributes.resource}/${attributes.subresource}` : (attributes.resource ?? '');
  const resources: string[] = rule.resources ?? [];
  const resourceMatches = resources.some((r) => r === '*' || r === resource || (attributes.subresource !== undefined && r === `*/${attributes.subresource}`));
  if (!resourceMatches) return false;
  const names: string[] = rule.resourceNames ?? [];
  return names.length === 0 || (attributes.name !== undefined && names.includes(attributes.name));
}
