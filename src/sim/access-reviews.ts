import { ApiError } from './api-error.js';
import { authorize, rulesOf, type AccessAttributes } from './rbac-authorizer.js';
import type { ResourceType } from './resource-types.js';
import type { SimCluster } from './sim-cluster.js';

type Obj = Record<string, any>;

export const TOKEN_REVIEWS_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';
export const SUBJECT_ACCESS_REVIEWS_PATH = '/apis/authorization.k8s.io/v1/subjectaccessreviews';
export const SELF_SUBJECT_ACCESS_REVIEWS_PATH = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
export const SELF_SUBJECT_RULES_REVIEWS_PATH = '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews';

/** The review kinds in discovery: create-only, answered and never stored. */
export const REVIEW_TYPES: ResourceType[] = [
  {
    group: 'authentication.k8s.io',
    version: 'v1',
    kind: 'TokenReview',
    plural: 'tokenreviews',
    namespaced: false,
    statusSubresource: false,
    verbs: ['create'],
  },
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    kind: 'SubjectAccessReview',
    plural: 'subjectaccessreviews',
    namespaced: false,
    statusSubresource: false,
    verbs: ['create'],
  },
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    kind: 'SelfSubjectAccessReview',
    plural: 'selfsubjectaccessreviews',
    namespaced: false,
    statusSubresource: false,
    verbs: ['create'],
  },
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    kind: 'SelfSubjectRulesReview',
    plural: 'selfsubjectrulesreviews',
    namespaced: false,
    statusSubresource: false,
    verbs: ['create'],
  },
];

/** The groups the API server gives an authenticated identity: its own, a ServiceAccount's, and system:authenticated. */
export function groupsOf(cluster: SimCluster, username: string): string[] {
  const serviceAccount = /^system:serviceaccount:([^:]+):[^:]+$/.exec(username);
  const implied = serviceAccount ? ['system:serviceaccounts', `system:serviceaccounts:${serviceAccount[1]}`] : [];
  return [...(cluster.groups.get(username) ?? []), ...implied, 'system:authenticated'];
}

/** POST tokenreviews: who a bearer token belongs to, as the API server's authenticators answer it. */
export function tokenReview(cluster: SimCluster, body: Obj): Obj {
  const token = body.spec?.token;
  if (typeof token !== 'string' || !token) throw invalid('TokenReview', 'spec.token', 'Required value', 'token must be set');
  const username = cluster.faults.tokenExpired ? undefined : cluster.tokens.get(token);
  const status = username
    ? { authenticated: true, user: { username, uid: `sim-${username}`, groups: groupsOf(cluster, username) }, audiences: body.spec.audiences ?? [] }
    : { user: {}, error: '[invalid bearer token, token lookup failed]' };
  return { kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, spec: body.spec, status };
}

/** POST selfsubjectaccessreviews: the same question about the caller's own user. */
export function selfSubjectAccessReview(cluster: SimCluster, identity: string, body: Obj): Obj {
  const { spec, status } = subjectAccessReview(cluster, { spec: { ...body.spec, user: identity, groups: groupsOf(cluster, identity) } });
  const { user: _user, groups: _groups, ...own } = spec;
  return { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec: own, status };
}

/** POST selfsubjectrulesreviews: everything the caller may do in a namespace (`kubectl auth can-i --list`). */
export function selfSubjectRulesReview(cluster: SimCluster, identity: string, body: Obj): Obj {
  const namespace = body.spec?.namespace;
  if (typeof namespace !== 'string' || !namespace) throw invalid('SelfSubjectRulesReview', 'spec.namespace', 'Required value', 'namespace must be set');
  const rules = rulesOf(cluster.store, { username: identity, groups: groupsOf(cluster, identity) }, namespace);
  const list = (value: unknown) => (Array.isArray(value) ? value : []);
  const resourceRules = rules
    .filter((rule) => !rule.nonResourceURLs?.length)
    .map((rule) => ({
      verbs: list(rule.verbs),
      apiGroups: list(rule.apiGroups),
      resources: list(rule.resources),
      ...(rule.resourceNames?.length ? { resourceNames: rule.resourceNames } : {}),
    }));
  const nonResourceRules = rules
    .filter((rule) => rule.nonResourceURLs?.length)
    .map((rule) => ({ verbs: list(rule.verbs), nonResourceURLs: rule.nonResourceURLs }));
  return {
    kind: 'SelfSubjectRulesReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: { namespace },
    status: { resourceRules, nonResourceRules, incomplete: false },
  };
}

/** POST subjectaccessreviews: whether a user may do something, decided by the RBAC objects stored in the cluster. */
export function subjectAccessReview(cluster: SimCluster, body: Obj): Obj {
  const spec = body.spec ?? {};
  if (!spec.user && !(spec.groups ?? []).length)
    throw invalid('SubjectAccessReview', 'spec.user', 'Invalid value: ""', 'at least one of user or group must be specified');
  if (!spec.resourceAttributes === !spec.nonResourceAttributes) {
    throw invalid(
      'SubjectAccessReview',
      'spec.resourceAttributes',
      'Invalid value',
      'exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
  }
  const resource = spec.resourceAttributes;
  const attributes: AccessAttributes = resource
    ? {
        verb: resource.verb ?? '',
        namespace: resource.namespace || undefined,
        group: resource.group ?? '',
        resource: resource.resource ?? '',
        subresource: resource.subresource || undefined,
        name: resource.name || undefined,
      }
    : { verb: spec.nonResourceAttributes.verb ?? '', path: spec.nonResourceAttributes.path ?? '' };
  const decision = authorize(cluster.store, { username: spec.user ?? '', groups: spec.groups ?? [] }, attributes);
  return {
    kind: 'SubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec,
    status: { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) },
  };
}

function invalid(kind: string, field: string, value: string, detail: string): ApiError {
  const group = kind === 'TokenReview' ? 'authentication.k8s.io' : 'authorization.k8s.io';
  return new ApiError(422, 'Invalid', `${kind}.${group} "" is invalid: ${field}: ${value}: ${detail}`, {
    group,
    kind,
    causes: [{ reason: 'FieldValueInvalid', message: detail, field }],
  });
}
