import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { MANAGEMENT_CLUSTER, SimFleet } from '../../src/sim/sim-fleet.js';

/** The simulator's OpenAPI documents, server-side field validation and schema-typed server-side apply, over HTTP. */
let fleet: SimFleet;
let base: string;
let token: string;

beforeAll(async () => {
  fleet = await SimFleet.start();
  const kubeconfig = YAML.parse(fleet.kubeconfig(MANAGEMENT_CLUSTER));
  base = kubeconfig.clusters[0].cluster.server;
  token = kubeconfig.users[0].user.token;
});
afterAll(async () => {
  await fleet.stop();
});

const request = (path: string, init: { method?: string; body?: unknown; contentType?: string; accept?: string } = {}) =>
  fetch(path.startsWith('http') ? path : `${base}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body !== undefined ? { 'content-type': init.contentType ?? 'application/json' } : {}),
      ...(init.accept ? { accept: init.accept } : {}),
    },
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });

const placementDecisionCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'placementdecisions.cluster.open-cluster-management.io' },
  spec: {
    group: 'cluster.open-cluster-management.io',
    names: { kind: 'PlacementDecision', plural: 'placementdecisions', singular: 'placementdecision', listKind: 'PlacementDecisionList' },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1beta1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              status: {
                type: 'object',
                properties: {
                  decisions: { type: 'array', items: { type: 'object', properties: { clusterName: { type: 'string' }, reason: { type: 'string' } } } },
                },
              },
            },
          },
        },
      },
    ],
  },
};

const configMap = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data: { a: 'b' },
  ...extra,
});

describe('OpenAPI documents', () => {
  it('indexes every group version under /openapi/v3 by a server-relative URL whose hash follows the document, CRDs included', async () => {
    const before = await (await request('/openapi/v3')).json();
    expect(Object.keys(before.paths)).toEqual(
      expect.arrayContaining(['api/v1', 'apis/apps/v1', 'apis/argoproj.io/v1alpha1', 'apis/rbac.authorization.k8s.io/v1']),
    );
    expect(before.paths['api/v1'].serverRelativeURL).toMatch(/^\/clusters\/management\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
    expect(before.paths['apis/cluster.open-cluster-management.io/v1beta1']).toBeUndefined();

    expect((await request('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { method: 'POST', body: placementDecisionCrd })).status).toBe(201);
    const after = await (await request('/openapi/v3')).json();
    const url: string = after.paths['apis/cluster.open-cluster-management.io/v1beta1'].serverRelativeURL;
    const document = await (await request(`${new URL(base).origin}${url}`)).json();
    const schema = document.components.schemas['io.open-cluster-management.cluster.v1beta1.PlacementDecision'];
    expect(schema['x-kubernetes-group-version-kind']).toEqual([{ group: 'cluster.open-cluster-management.io', version: 'v1beta1', kind: 'PlacementDecision' }]);
    expect(schema.properties.status.properties.decisions.items.properties.clusterName).toEqual({ type: 'string' });
    // kubectl looks for fieldValidation among the PATCH parameters of the kind before it asks the server to validate.
    const patch = document.paths['/apis/cluster.open-cluster-management.io/v1beta1/namespaces/{namespace}/placementdecisions/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind'].kind).toBe('PlacementDecision');
    expect(patch.parameters.map((p: { name: string }) => p.name)).toContain('fieldValidation');
  });

  it('serves the ApplicationSet schema from Regatta CRD and answers 404 for a group version it does not serve', async () => {
    const document = await (await request('/openapi/v3/apis/argoproj.io/v1alpha1')).json();
    const strategy = document.components.schemas['io.argoproj.v1alpha1.ApplicationSet'].properties.spec.properties.strategy;
    expect(strategy.properties.type.enum).toEqual(['AllAtOnce', 'RollingSync']);
    expect((await request('/openapi/v3/apis/example.com/v1')).status).toBe(404);
  });

  it('serves /openapi/v2 as JSON, and as gnostic protobuf when asked', async () => {
    const json = await (await request('/openapi/v2')).json();
    expect(json.swagger).toBe('2.0');
    expect(json.definitions['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind']).toEqual([
      { group: 'apps', version: 'v1', kind: 'Deployment' },
    ]);
    // Swagger 2.0 has no anyOf: int-or-string fields keep only their extension.
    expect(json.definitions['io.k8s.api.core.v1.Service'].properties.spec.properties.ports.items.properties.targetPort).toEqual({
      'x-kubernetes-int-or-string': true,
    });

    const protobuf = await request('/openapi/v2', { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' });
    expect(protobuf.headers.get('content-type')).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    const body = Buffer.from(await protobuf.arrayBuffer());
    // Field 1 (swagger), length-delimited: "2.0"; the definitions carry their names as strings.
    expect([...body.subarray(0, 5)]).toEqual([0x0a, 0x03, 0x32, 0x2e, 0x30]);
    expect(body.includes(Buffer.from('io.argoproj.v1alpha1.ApplicationSet'))).toBe(true);
  });
});

describe('server-side field validation', () => {
  it('Strict refuses an unknown field naming it; Warn stores and warns; Ignore stores silently; a request that does not ask is not checked', async () => {
    const strict = await request('/api/v1/namespaces/default/configmaps?fieldValidation=Strict', {
      method: 'POST',
      body: configMap('strict', { spec: { x: 1 } }),
    });
    expect(strict.status).toBe(400);
    expect((await strict.json()).message).toBe('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "spec"');

    const warn = await request('/api/v1/namespaces/default/configmaps?fieldValidation=Warn', {
      method: 'POST',
      body: configMap('warn', { metadata: { name: 'warn', colour: 'blue' } }),
    });
    expect(warn.status).toBe(201);
    expect(warn.headers.get('warning')).toBe('299 - "unknown field \\"metadata.colour\\""');

    const ignore = await request('/api/v1/namespaces/default/configmaps?fieldValidation=Ignore', { method: 'POST', body: configMap('ignore', { spec: {} }) });
    expect(ignore.status).toBe(201);
    expect(ignore.headers.get('warning')).toBeNull();
    expect((await request('/api/v1/namespaces/default/configmaps', { method: 'POST', body: configMap('unasked', { spec: {} }) })).status).toBe(201);

    const scalar = await request('/api/v1/namespaces/default/configmaps?fieldValidation=Strict', { method: 'POST', body: '"just a string"' });
    expect(scalar.status).toBe(400);
    expect((await scalar.json()).message).toBe('ConfigMap in version "v1" cannot be handled as a ConfigMap: the body is not an object');

    const bogus = await request('/api/v1/namespaces/default/configmaps?fieldValidation=Loose', { method: 'POST', body: configMap('bogus') });
    expect(bogus.status).toBe(400);
    expect((await bogus.json()).message).toContain('fieldValidation must be one of "Ignore", "Warn", or "Strict"');
  });

  it('refuses wrong types and missing required fields whatever the directive, on create, update and patch', async () => {
    const appSet = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'ApplicationSet',
      metadata: { name: 'typed', namespace: 'argocd' },
      spec: { generators: 'all', template: { metadata: {}, spec: { project: 'default', destination: {} } } },
    };
    const created = await request('/apis/argoproj.io/v1alpha1/namespaces/argocd/applicationsets?fieldValidation=Ignore', { method: 'POST', body: appSet });
    expect(created.status).toBe(422);
    const status = await created.json();
    expect(status.message).toBe(
      'ApplicationSet.argoproj.io "typed" is invalid: spec.generators: Invalid value: "string": spec.generators in body must be of type array: "string"',
    );
    expect(status.details.causes).toEqual([
      { reason: 'FieldValueInvalid', field: 'spec.generators', message: expect.stringContaining('must be of type array') },
    ]);

    expect(
      (await request('/apis/apps/v1/namespaces/default/deployments?fieldValidation=Strict', { method: 'POST', body: { metadata: { name: 'web' }, spec: {} } }))
        .status,
    ).toBe(422);

    expect((await request('/api/v1/namespaces/default/configmaps', { method: 'POST', body: configMap('patched') })).status).toBe(201);
    const patched = await request('/api/v1/namespaces/default/configmaps/patched?fieldValidation=Strict', {
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      body: { data: { a: 1 } },
    });
    expect(patched.status).toBe(422);
    expect((await patched.json()).message).toContain('data.a: Invalid value: "integer": data.a in body must be of type string');
  });
});

describe('dry run', () => {
  it('answers a dryRun=All create, patch and delete in full and keeps, logs and announces nothing', async () => {
    expect((await request('/api/v1/namespaces/default/configmaps', { method: 'POST', body: configMap('kept') })).status).toBe(201);
    const store = fleet.cluster(MANAGEMENT_CLUSTER);
    const writes = store.writes.length;
    const version = store.resourceVersion;

    const created = await request('/api/v1/namespaces/default/configmaps?dryRun=All', { method: 'POST', body: configMap('imagined') });
    expect(created.status).toBe(201);
    expect((await created.json()).metadata.uid).toBeTruthy();
    expect((await request('/api/v1/namespaces/default/configmaps/imagined')).status).toBe(404);

    const patched = await request('/api/v1/namespaces/default/configmaps/kept?dryRun=All', {
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      body: { data: { a: 'changed' } },
    });
    expect((await patched.json()).data).toEqual({ a: 'changed' });
    expect((await request('/api/v1/namespaces/default/configmaps/kept?dryRun=All', { method: 'DELETE' })).status).toBe(200);
    expect((await (await request('/api/v1/namespaces/default/configmaps/kept')).json()).data).toEqual({ a: 'b' });
    expect([store.writes.length, store.resourceVersion]).toEqual([writes, version]);

    const unsupported = await request('/api/v1/namespaces/default/configmaps?dryRun=Some', { method: 'POST', body: configMap('unsupported') });
    expect(unsupported.status).toBe(400);
    expect((await unsupported.json()).message).toBe('Invalid value: "Some": supported values: "All"');
  });
});

describe('patches and server-side apply typed by the schema', () => {
  it('merges a strategic merge patch into a Service port by its merge key, port', async () => {
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: {
        ports: [
          { name: 'http', port: 80 },
          { name: 'https', port: 443 },
        ],
      },
    };
    expect((await request('/api/v1/namespaces/default/services', { method: 'POST', body: service })).status).toBe(201);
    const patched = await request('/api/v1/namespaces/default/services/web', {
      method: 'PATCH',
      contentType: 'application/strategic-merge-patch+json',
      body: { spec: { ports: [{ port: 443, targetPort: 8443 }] } },
    });
    expect((await patched.json()).spec.ports).toEqual([
      { name: 'http', port: 80 },
      { name: 'https', port: 443, targetPort: 8443 },
    ]);
  });

  const apply = (manager: string, containers: Record<string, unknown>[], force = false) =>
    request(`/apis/apps/v1/namespaces/default/deployments/api?fieldManager=${manager}${force ? '&force=true' : ''}`, {
      method: 'PATCH',
      contentType: 'application/apply-patch+yaml',
      body: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'api' },
        spec: { selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers } } },
      },
    });

  it('merges keyed lists item by item: managers own their own containers, conflict on one field and drop only what they stop applying', async () => {
    expect((await apply('regatta', [{ name: 'api', image: 'api:1' }])).status).toBe(201);
    const both = await apply('mesh', [{ name: 'proxy', image: 'envoy:1' }]);
    expect(both.status).toBe(200);
    const object = await both.json();
    expect(object.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['api', 'proxy']);
    const mesh = object.metadata.managedFields.find((m: { manager: string }) => m.manager === 'mesh');
    expect(Object.keys(mesh.fieldsV1['f:spec']['f:template']['f:spec']['f:containers'])).toEqual(['k:{"name":"proxy"}']);

    const conflict = await apply('mesh', [
      { name: 'proxy', image: 'envoy:1' },
      { name: 'api', image: 'api:2' },
    ]);
    expect(conflict.status).toBe(409);
    expect((await conflict.json()).message).toBe('Apply failed with 1 conflict: conflict with "regatta": .spec.template.spec.containers[name="api"].image');

    const replaced = await (await apply('regatta', [{ name: 'worker', image: 'worker:1' }])).json();
    expect(replaced.spec.template.spec.containers).toEqual([
      { name: 'proxy', image: 'envoy:1' },
      { name: 'worker', image: 'worker:1' },
    ]);
  });
});
