import { createHash } from 'node:crypto';
import { REVIEW_TYPES } from './access-reviews.js';
import { ApiError } from './api-error.js';
import type { ClusterStore } from './cluster-store.js';
import { kindSchema, type OpenApiSchema } from './openapi-schemas.js';
import { apiVersionOf, type ResourceType } from './resource-types.js';

type Obj = Record<string, any>;

/** The definition name a real API server gives a kind: io.k8s.api.apps.v1.Deployment, io.argoproj.v1alpha1.Application. */
export function definitionName(type: ResourceType): string {
  if (type.group === '') return `io.k8s.api.core.${type.version}.${type.kind}`;
  if (type.group === 'apiextensions.k8s.io') return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${type.version}.${type.kind}`;
  // Built-in groups are single words (apps, batch) or end in .k8s.io.
  if (!type.group.includes('.') || type.group.endsWith('.k8s.io')) return `io.k8s.api.${type.group.split('.')[0]}.${type.version}.${type.kind}`;
  return `${type.group.split('.').reverse().join('.')}.${type.version}.${type.kind}`;
}

function servedTypes(store: ClusterStore): ResourceType[] {
  return [...store.resourceTypes(), ...REVIEW_TYPES];
}

/** The REST path of a group version, as OpenAPI paths and the v3 index name it: api/v1, apis/apps/v1. */
function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `apis/${apiVersion}` : `api/${apiVersion}`;
}

interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  action: string;
  params: string[];
}

const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation'];

/** Each REST path of a kind and its operations, with the query parameters the simulator honours. */
function operationsOf(type: ResourceType): { path: string; operations: Operation[] }[] {
  const base = `/${groupVersionPath(apiVersionOf(type))}${type.namespaced ? '/namespaces/{namespace}' : ''}/${type.plural}`;
  if (type.verbs && !type.verbs.includes('get')) return [{ path: base, operations: [{ method: 'post', action: 'post', params: WRITE_PARAMS }] }];
  const item: Operation[] = [
    { method: 'get', action: 'get', params: [] },
    { method: 'put', action: 'put', params: WRITE_PARAMS },
    { method: 'patch', action: 'patch', params: [...WRITE_PARAMS, 'force'] },
    { method: 'delete', action: 'delete', params: ['dryRun', 'propagationPolicy'] },
  ];
  return [
    {
      path: base,
      operations: [
        { method: 'get', action: 'list', params: ['labelSelector', 'fieldSelector', 'limit', 'continue', 'resourceVersion', 'watch', 'timeoutSeconds'] },
        { method: 'post', action: 'post', params: WRITE_PARAMS },
        { method: 'delete', action: 'deletecollection', params: ['labelSelector'] },
      ],
    },
    { path: `${base}/{name}`, operations: item },
    ...(type.statusSubresource ? [{ path: `${base}/{name}/status`, operations: item.filter((o) => o.method !== 'delete') }] : []),
  ];
}

const PARAM_TYPES: Record<string, string> = { limit: 'integer', timeoutSeconds: 'integer', watch: 'boolean', force: 'boolean' };

function queryParameter(name: string): Obj {
  return { name, in: 'query', schema: { type: PARAM_TYPES[name] ?? 'string', uniqueItems: true } };
}

function gvk(type: ResourceType): Obj {
  return { group: type.group, version: type.version, kind: type.kind };
}

const v3Ref = (type: ResourceType) => ({ $ref: `#/components/schemas/${definitionName(type)}` });

function v3Paths(types: ResourceType[]): Obj {
  const paths: Obj = {};
  for (const type of types) {
    for (const { path, operations } of operationsOf(type)) {
      const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
        name,
        in: 'path',
        required: true,
        schema: { type: 'string', uniqueItems: true },
      }));
      const item: Obj = { parameters: pathParams };
      for (const op of operations) {
        const body = ['post', 'put', 'patch'].includes(op.method);
        item[op.method] = {
          operationId: `${op.action}${type.kind}`,
          parameters: op.params.map(queryParameter),
          ...(body
            ? {
                requestBody: {
                  required: true,
                  content:
                    op.method === 'patch'
                      ? Object.fromEntries(
                          [
                            'application/apply-patch+yaml',
                            'application/json-patch+json',
                            'application/merge-patch+json',
                            'application/strategic-merge-patch+json',
                          ].map((mime) => [mime, { schema: { type: 'object' } }]),
                        )
                      : { '*/*': { schema: v3Ref(type) } },
                },
              }
            : {}),
          responses: { '200': { description: 'OK', content: { 'application/json': { schema: op.action === 'list' ? { type: 'object' } : v3Ref(type) } } } },
          'x-kubernetes-action': op.action,
          'x-kubernetes-group-version-kind': gvk(type),
        };
      }
      paths[path] = item;
    }
  }
  return paths;
}

function definitions(store: ClusterStore, types: ResourceType[]): Obj {
  return Object.fromEntries(types.map((type) => [definitionName(type), { ...kindSchema(store, type), 'x-kubernetes-group-version-kind': [gvk(type)] }]));
}

/** `/openapi/v3/{api/v1,apis/GROUP/VERSION}`: one group version's paths and kinds. */
export function openApiV3Document(store: ClusterStore, groupVersion: string): Obj {
  const types = servedTypes(store).filter((t) => groupVersionPath(apiVersionOf(t)) === groupVersion);
  if (!types.length) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths: v3Paths(types),
    components: { schemas: definitions(store, types) },
  };
}

/** `/openapi/v3`: every group version with the URL of its document; the hash changes when the document does. */
export function openApiV3Index(store: ClusterStore, prefix: string): Obj {
  const groupVersions = [...new Set(servedTypes(store).map((t) => groupVersionPath(apiVersionOf(t))))].sort();
  return {
    paths: Object.fromEntries(
      groupVersions.map((gv) => [gv, { serverRelativeURL: `${prefix}/openapi/v3/${gv}?hash=${documentHash(openApiV3Document(store, gv))}` }]),
    ),
  };
}

export function documentHash(document: unknown): string {
  return createHash('sha512').update(JSON.stringify(document)).digest('hex').toUpperCase();
}

/** Swagger 2.0 has no anyOf, oneOf, not or nullable: a real server leaves them out of a CRD's v2 schema. */
function toV2Schema(schema: OpenApiSchema): OpenApiSchema {
  const out: OpenApiSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (['anyOf', 'oneOf', 'not', 'nullable', 'allOf'].includes(key)) continue;
    if (key === 'properties') out.properties = Object.fromEntries(Object.entries(value as Obj).map(([k, v]) => [k, toV2Schema(v as OpenApiSchema)]));
    else if ((key === 'items' || key === 'additionalProperties') && typeof value === 'object' && value !== null) out[key] = toV2Schema(value as OpenApiSchema);
    else if (key === '$ref') out.$ref = String(value).replace('#/components/schemas/', '#/definitions/');
    else out[key] = value;
  }
  return out;
}

/** `/openapi/v2`: the Swagger 2.0 document of every served kind. */
export function openApiV2Document(store: ClusterStore): Obj {
  const types = servedTypes(store);
  const paths: Obj = {};
  for (const type of types) {
    for (const { path, operations } of operationsOf(type)) {
      const item: Obj = {
        parameters: [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({ name, in: 'path', required: true, type: 'string', uniqueItems: true })),
      };
      for (const op of operations) {
        const body = ['post', 'put', 'patch'].includes(op.method);
        item[op.method] = {
          operationId: `${op.action}${type.kind}`,
          consumes:
            op.method === 'patch'
              ? ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml']
              : ['*/*'],
          produces: ['application/json'],
          parameters: [
            ...(body
              ? [
                  {
                    name: 'body',
                    in: 'body',
                    required: true,
                    schema: op.method === 'patch' ? { type: 'object' } : { $ref: `#/definitions/${definitionName(type)}` },
                  },
                ]
              : []),
            ...op.params.map((name) => ({ name, in: 'query', type: PARAM_TYPES[name] ?? 'string', uniqueItems: true })),
          ],
          responses: { '200': { description: 'OK', schema: op.action === 'list' ? { type: 'object' } : { $ref: `#/definitions/${definitionName(type)}` } } },
          'x-kubernetes-action': op.action,
          'x-kubernetes-group-version-kind': gvk(type),
        };
      }
      paths[path] = item;
    }
  }
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    definitions: Object.fromEntries(Object.entries(definitions(store, types)).map(([name, schema]) => [name, toV2Schema(schema)])),
  };
}
