import { REVIEW_TYPES } from './access-reviews.js';
import { ApiError } from './api-error.js';
import type { ClusterStore } from './cluster-store.js';
import { apiVersionOf } from './resource-types.js';

type Obj = Record<string, any>;

/** `/apis`: every API group the cluster serves, its CRDs' included. */
export function groupList(store: ClusterStore): Obj {
  const groups = new Map<string, Set<string>>();
  for (const type of [...store.resourceTypes(), ...REVIEW_TYPES]) {
    if (!type.group) continue;
    if (!groups.has(type.group)) groups.set(type.group, new Set());
    groups.get(type.group)!.add(type.version);
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups.entries()].map(([name, versions]) => {
      const list = [...versions].map((version) => ({ groupVersion: `${name}/${version}`, version }));
      return { name, versions: list, preferredVersion: list[0] };
    }),
  };
}

/** `/api/v1`, `/apis/GROUP/VERSION`: the resources of one group version, with their verbs and subresources. */
export function resourceList(store: ClusterStore, apiVersion: string): Obj {
  const types = [...store.resourceTypes(), ...REVIEW_TYPES].filter((t) => apiVersionOf(t) === apiVersion);
  if (!types.length) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersion,
    resources: types.flatMap((t) => [
      {
        name: t.plural,
        singularName: t.kind.toLowerCase(),
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: t.verbs ?? verbs,
        ...(t.shortNames ? { shortNames: t.shortNames } : {}),
      },
      ...(t.statusSubresource
        ? [{ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] }]
        : []),
    ]),
  };
}
