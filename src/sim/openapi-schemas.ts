import { applicationSetCrd, rolloutBudgetCrd } from '../api/crd.js';
import { isPlainObject, ownEntry } from '../lib/json-values.js';
import type { ClusterStore } from './cluster-store.js';
import { apiVersionOf, type ResourceType } from './resource-types.js';

/** An OpenAPI v3 schema object as CRDs carry it (JSON Schema with the x-kubernetes-* extensions). */
export type OpenApiSchema = Record<string, any>;

const PRESERVE = 'x-kubernetes-preserve-unknown-fields';

/** The schema of an object's field `key`: its declared property, or the schema of additional properties. */
export function childSchema(schema: OpenApiSchema | undefined, key: string): OpenApiSchema | undefined {
  const additional = schema?.additionalProperties;
  return (schema?.properties && (ownEntry(schema.properties, key) as OpenApiSchema | undefined)) ?? (isPlainObject(additional) ? additional : undefined);
}

const str: OpenApiSchema = { type: 'string' };
const bool: OpenApiSchema = { type: 'boolean' };
const int32: OpenApiSchema = { type: 'integer', format: 'int32' };
const int64: OpenApiSchema = { type: 'integer', format: 'int64' };
const time: OpenApiSchema = { type: 'string', format: 'date-time' };
const intOrString: OpenApiSchema = { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] };
const strings: OpenApiSchema = { type: 'array', items: str };
const stringMap: OpenApiSchema = { type: 'object', additionalProperties: str };
const open: OpenApiSchema = { type: 'object', [PRESERVE]: true };
const openList: OpenApiSchema = { type: 'array', items: open };

const described = (description: string, schema: OpenApiSchema): OpenApiSchema => ({ description, ...schema });
const object = (properties: Record<string, OpenApiSchema>, extra: OpenApiSchema = {}): OpenApiSchema => ({ type: 'object', properties, ...extra });
/** A list merged item by item on the named keys (server-side apply and strategic merge patch). */
const listMap = (keys: string[], items: OpenApiSchema): OpenApiSchema => ({
  type: 'array',
  items,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': keys,
  'x-kubernetes-patch-strategy': 'merge',
  'x-kubernetes-patch-merge-key': keys[0],
});

const objectMeta = described(
  'Standard object metadata.',
  object({
    name: described('Name must be unique within a namespace.', str),
    generateName: str,
    namespace: described('Namespace defines the space within which each name must be unique.', str),
    labels: described('Map of string keys and values that can be used to organize and categorize objects.', stringMap),
    annotations: described('Annotations is an unstructured key value map stored with a resource.', stringMap),
    uid: str,
    resourceVersion: str,
    generation: int64,
    creationTimestamp: time,
    deletionTimestamp: time,
    deletionGracePeriodSeconds: int64,
    finalizers: { ...strings, 'x-kubernetes-list-type': 'set' },
    ownerReferences: listMap(
      ['uid'],
      object(
        { apiVersion: str, kind: str, name: str, uid: str, controller: bool, blockOwnerDeletion: bool },
        { required: ['apiVersion', 'kind', 'name', 'uid'] },
      ),
    ),
    managedFields: { type: 'array', items: object({ manager: str, operation: str, apiVersion: str, time, fieldsType: str, fieldsV1: open, subresource: str }) },
    selfLink: str,
  }),
);

const labelSelector = object({
  matchLabels: stringMap,
  matchExpressions: { type: 'array', items: object({ key: str, operator: str, values: strings }, { required: ['key', 'operator'] }) },
});

// Pod specs have far more fields than the simulator runs; the ones it reads are typed, the rest kept.
const container = object(
  {
    name: str,
    image: str,
    imagePullPolicy: str,
    command: strings,
    args: strings,
    workingDir: str,
    env: listMap(['name'], object({ name: str, value: str, valueFrom: open }, { required: ['name'] })),
    envFrom: openList,
    ports: listMap(
      ['containerPort', 'protocol'],
      object({ containerPort: int32, name: str, protocol: str, hostPort: int32, hostIP: str }, { required: ['containerPort'] }),
    ),
    resources: object({ limits: { type: 'object', additionalProperties: intOrString }, requests: { type: 'object', additionalProperties: intOrString } }),
    volumeMounts: listMap(['mountPath'], open),
  },
  { required: ['name'], [PRESERVE]: true },
);
const podSpec = object(
  {
    containers: listMap(['name'], container),
    initContainers: listMap(['name'], container),
    volumes: listMap(['name'], open),
    serviceAccountName: str,
    nodeSelector: stringMap,
    restartPolicy: str,
    terminationGracePeriodSeconds: int64,
    imagePullSecrets: listMap(['name'], object({ name: str })),
  },
  { required: ['containers'], [PRESERVE]: true },
);
const podTemplate = object({ metadata: objectMeta, spec: podSpec });
const openStatus = described('Most recently observed status. Populated by the system.', open);

const workloadSpec = (extra: Record<string, OpenApiSchema>, required: string[]): OpenApiSchema =>
  object({ selector: labelSelector, template: podTemplate, minReadySeconds: int32, revisionHistoryLimit: int32, ...extra }, { required });

const policyRule = object(
  { apiGroups: strings, resources: strings, verbs: strings, resourceNames: strings, nonResourceURLs: strings },
  { required: ['verbs'] },
);
const roleRef = object({ apiGroup: str, kind: str, name: str }, { required: ['apiGroup', 'kind', 'name'], 'x-kubernetes-map-type': 'atomic' });
const subject = object({ kind: str, apiGroup: str, name: str, namespace: str }, { required: ['kind', 'name'], 'x-kubernetes-map-type': 'atomic' });

/** What each built-in kind holds besides apiVersion, kind and metadata. */
const BUILT_IN_FIELDS: Record<string, { description: string; fields: Record<string, OpenApiSchema>; open?: boolean; required?: string[] }> = {
  'v1/Namespace': { description: 'Namespace provides a scope for Names.', fields: { spec: object({ finalizers: strings }), status: openStatus } },
  'v1/Secret': {
    description: 'Secret holds secret data of a certain type.',
    fields: { data: { type: 'object', additionalProperties: { type: 'string', format: 'byte' } }, stringData: stringMap, type: str, immutable: bool },
  },
  'v1/ConfigMap': {
    description: 'ConfigMap holds configuration data for pods to consume.',
    fields: { data: stringMap, binaryData: { type: 'object', additionalProperties: { type: 'string', format: 'byte' } }, immutable: bool },
  },
  'v1/Service': {
    description: 'Service is a named abstraction of software service.',
    fields: {
      spec: object(
        {
          type: str,
          selector: stringMap,
          clusterIP: str,
          ports: listMap(
            ['port', 'protocol'],
            object({ name: str, port: int32, targetPort: intOrString, protocol: str, nodePort: int32 }, { required: ['port'] }),
          ),
        },
        { [PRESERVE]: true },
      ),
      status: openStatus,
    },
  },
  'v1/Pod': { description: 'Pod is a collection of containers that can run on a host.', fields: { spec: podSpec, status: openStatus } },
  'v1/Event': {
    description: 'Event is a report of an event somewhere in the cluster.',
    fields: { involvedObject: open, reason: str, message: str, type: str },
    open: true,
  },
  'v1/ServiceAccount': {
    description: 'ServiceAccount binds together a name, a principal and a set of secrets.',
    fields: { secrets: openList, imagePullSecrets: openList, automountServiceAccountToken: bool },
  },
  'apps/v1/Deployment': {
    description: 'Deployment enables declarative updates for Pods and ReplicaSets.',
    fields: {
      spec: workloadSpec({ replicas: int32, strategy: open, paused: bool, progressDeadlineSeconds: int32 }, ['selector', 'template']),
      status: openStatus,
    },
  },
  'apps/v1/StatefulSet': {
    description: 'StatefulSet represents a set of pods with consistent identities.',
    fields: {
      spec: {
        ...workloadSpec(
          {
            replicas: int32,
            serviceName: str,
            podManagementPolicy: str,
            updateStrategy: open,
            volumeClaimTemplates: openList,
            persistentVolumeClaimRetentionPolicy: open,
            ordinals: open,
          },
          ['selector', 'template'],
        ),
      },
      status: openStatus,
    },
  },
  'apps/v1/DaemonSet': {
    description: 'DaemonSet represents the configuration of a daemon set.',
    fields: { spec: workloadSpec({ updateStrategy: open }, ['selector', 'template']), status: openStatus },
  },
  'apps/v1/ReplicaSet': {
    description: 'ReplicaSet ensures that a specified number of pod replicas are running at any given time.',
    fields: { spec: workloadSpec({ replicas: int32 }, ['selector']), status: openStatus },
  },
  'batch/v1/Job': {
    description: 'Job represents the configuration of a single job.',
    fields: {
      spec: object({ template: podTemplate, selector: labelSelector, backoffLimit: int32, completions: int32, parallelism: int32 }, { [PRESERVE]: true }),
      status: openStatus,
    },
  },
  'rbac.authorization.k8s.io/v1/Role': {
    description: 'Role is a namespaced, logical grouping of PolicyRules.',
    fields: { rules: { type: 'array', items: policyRule } },
  },
  'rbac.authorization.k8s.io/v1/ClusterRole': {
    description: 'ClusterRole is a cluster level, logical grouping of PolicyRules.',
    fields: { rules: { type: 'array', items: policyRule }, aggregationRule: object({ clusterRoleSelectors: { type: 'array', items: labelSelector } }) },
  },
  'rbac.authorization.k8s.io/v1/RoleBinding': {
    description: 'RoleBinding references a role, but does not contain it.',
    fields: { roleRef, subjects: { type: 'array', items: subject } },
    required: ['roleRef'],
  },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': {
    description: 'ClusterRoleBinding references a ClusterRole, but not contain it.',
    fields: { roleRef, subjects: { type: 'array', items: subject } },
    required: ['roleRef'],
  },
  'coordination.k8s.io/v1/Lease': {
    description: 'Lease defines a lease concept.',
    fields: {
      spec: object({
        holderIdentity: str,
        leaseDurationSeconds: int32,
        acquireTime: { type: 'string', format: 'date-time' },
        renewTime: { type: 'string', format: 'date-time' },
        leaseTransitions: int32,
        strategy: str,
        preferredHolder: str,
      }),
    },
  },
  'apiextensions.k8s.io/v1/CustomResourceDefinition': {
    description: 'CustomResourceDefinition represents a resource that should be exposed on the API server.',
    fields: {
      spec: object(
        { group: str, names: open, scope: str, versions: { type: 'array', items: open }, conversion: open, preserveUnknownFields: bool },
        { required: ['group', 'names', 'scope', 'versions'] },
      ),
      status: openStatus,
    },
    required: ['spec'],
  },
  'argoproj.io/v1alpha1/Application': {
    description: 'Application is a definition of Application resource.',
    fields: {
      spec: object(
        { project: str, destination: object({ server: str, namespace: str, name: str }), source: open, sources: openList, syncPolicy: open },
        { [PRESERVE]: true },
      ),
      status: openStatus,
      operation: open,
    },
    required: ['metadata', 'spec'],
  },
  'argoproj.io/v1alpha1/AppProject': {
    description: 'AppProject provides a logical grouping of applications, providing controls for source repos, destinations and resources.',
    fields: { spec: open, status: openStatus },
    required: ['metadata', 'spec'],
  },
  'authentication.k8s.io/v1/TokenReview': {
    description: 'TokenReview attempts to authenticate a token to a known user.',
    fields: { spec: open, status: openStatus },
  },
  'authorization.k8s.io/v1/SubjectAccessReview': {
    description: 'SubjectAccessReview checks whether or not a user or group can perform an action.',
    fields: { spec: open, status: openStatus },
  },
  'authorization.k8s.io/v1/SelfSubjectAccessReview': {
    description: 'SelfSubjectAccessReview checks whether or the current user can perform an action.',
    fields: { spec: open, status: openStatus },
  },
};

function withEnvelope(description: string, fields: Record<string, OpenApiSchema>, extra: OpenApiSchema): OpenApiSchema {
  return {
    description,
    type: 'object',
    properties: {
      apiVersion: described('APIVersion defines the versioned schema of this representation of an object.', str),
      kind: described('Kind is a string value representing the REST resource this object represents.', str),
      metadata: objectMeta,
      ...fields,
    },
    ...extra,
  };
}

/** A CRD's schema for one version, as the API server serves it: apiVersion, kind and metadata always declared. */
function fromCrd(crd: Record<string, any>, version: string): OpenApiSchema | undefined {
  const served = (crd.spec?.versions ?? []).find((v: any) => v.name === version);
  const schema: OpenApiSchema | undefined = served?.schema?.openAPIV3Schema ?? crd.spec?.validation?.openAPIV3Schema;
  if (!schema) return undefined;
  const { properties = {}, description = '', ...rest } = schema;
  return withEnvelope(description, { ...properties, metadata: objectMeta }, rest);
}

/** Schemas are read on every write (server-side apply types its lists by them): each is built once. */
const builtSchemas = new Map<string, OpenApiSchema>();
/** A stored CRD is replaced, never changed in place, on update: its object is its version. */
const crdSchemas = new WeakMap<object, Map<string, OpenApiSchema | undefined>>();

function storedCrdSchema(crd: Record<string, any>, version: string): OpenApiSchema | undefined {
  let versions = crdSchemas.get(crd);
  if (!versions) crdSchemas.set(crd, (versions = new Map()));
  if (!versions.has(version)) versions.set(version, fromCrd(crd, version));
  return versions.get(version);
}

function builtIn(key: string): OpenApiSchema {
  let schema = builtSchemas.get(key);
  if (schema) return schema;
  const kind = BUILT_IN_FIELDS[key];
  if (key === 'argoproj.io/v1alpha1/ApplicationSet') schema = fromCrd(applicationSetCrd(), 'v1alpha1')!;
  else if (key === 'regatta.dev/v1alpha1/RolloutBudget') schema = fromCrd(rolloutBudgetCrd(), 'v1alpha1')!;
  else if (kind)
    schema = withEnvelope(kind.description, kind.fields, { ...(kind.required ? { required: kind.required } : {}), ...(kind.open ? { [PRESERVE]: true } : {}) });
  else schema = withEnvelope('', {}, { [PRESERVE]: true });
  builtSchemas.set(key, schema);
  return schema;
}

/**
 * The schema of a kind the cluster serves: a stored CRD's, else the built-in one (ApplicationSet's
 * and RolloutBudget's are Regatta's own CRDs); a kind without one accepts anything.
 */
export function kindSchema(store: ClusterStore, type: ResourceType): OpenApiSchema {
  const crdType = store.typeFor('apiextensions.k8s.io/v1', 'customresourcedefinitions');
  const crd = crdType && store.get(crdType, undefined, `${type.plural}.${type.group}`);
  return (crd && storedCrdSchema(crd, type.version)) ?? builtIn(`${apiVersionOf(type)}/${type.kind}`);
}
