import { afterEach, describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import { applyIgnoreDifferences } from '../../src/api/ignore-differences.js';
import { releaseValues } from '../../src/helm/release-values.js';
import type { KubeObject } from '../../src/api/meta.js';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { jsonPatch, mergePatch, strategicMergePatch } from '../../src/sim/patches.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';
import { renderString } from '../../src/templating/render.js';
import { applyTemplatePatch } from '../../src/templating/template-patch.js';
import { generate } from '../support/generation.js';

/**
 * Keys such as `__proto__` in what tenants write (Git files, list elements, templates, template
 * patches, Helm values and parameters, ignore rules, patches to an API server) are data, as in Go's
 * maps and Kubernetes objects. Read through the prototype, one such key let a tenant's input write
 * into the Object.prototype every object of the controller shares.
 */
const BUILT_IN = Object.getOwnPropertyNames(Object.prototype);
const addedToObjectPrototype = () => Object.getOwnPropertyNames(Object.prototype).filter((name) => !BUILT_IN.includes(name));

afterEach(() => {
  // A regression must not leak into the other tests of this worker.
  for (const name of addedToObjectPrototype()) delete (Object.prototype as Record<string, unknown>)[name];
});

const hostile = (name: string) => JSON.parse(`{"__proto__": {"${name}": "yes"}}`) as Record<string, unknown>;

describe('a __proto__ key in tenant input', () => {
  it('is a parameter like any other to goTemplate matrix and merge generators and generator templates, and reaches no prototype', async () => {
    const appSet = (key: string) => `
kind: ApplicationSet
metadata: {name: hostile}
spec:
  goTemplate: true
  generators:
    - matrix:
        generators:
          - list: {elements: [{cluster: east, ${key}: {fromMatrix: x}}]}
          - list: {elements: [{env: prod, ${key}: {fromSecond: x}}]}
    - merge:
        mergeKeys: [cluster]
        generators:
          - list: {elements: [{cluster: west, ${key}: {fromMerge: x}}]}
          - list: {elements: [{cluster: west, ${key}: {fromOverride: x}}]}
        template:
          metadata: {}
          spec: {project: default, destination: {}, source: {repoURL: https://git.example.com/r.git, chart: c, helm: {valuesObject: {${key}: {fromGeneratorTemplate: x}}}}}
  template:
    metadata: {name: '{{.cluster}}'}
    spec:
      project: default
      destination: {server: https://kubernetes.default.svc, namespace: default}
      source: {repoURL: https://git.example.com/r.git, chart: c, helm: {valuesObject: {${key}: {fromTemplate: x}}}}
`;
    const hostileResult = await generate(appSet('__proto__'));
    expect(addedToObjectPrototype()).toEqual([]);
    // Exactly what an ordinary key gives.
    const ordinary = JSON.stringify(await generate(appSet('ordinary')));
    expect(JSON.stringify(hostileResult)).toBe(ordinary.replaceAll('"ordinary"', '"__proto__"'));
    expect(hostileResult.failure).toBeUndefined();
    expect(hostileResult.generated.map((g) => g.application.metadata.name)).toEqual(['east', 'west']);
  });

  it('is a parameter like any other to fasttemplate list and matrix generators', async () => {
    const appSet = (key: string) => `
kind: ApplicationSet
metadata: {name: hostile}
spec:
  generators:
    - matrix:
        generators:
          - list: {elements: [{cluster: east, ${key}: first}]}
          - list: {elements: [{env: prod}]}
  template:
    metadata: {name: '{{cluster}}-{{${key}}}-{{env}}'}
    spec: {project: default, destination: {server: https://kubernetes.default.svc, namespace: default}}
`;
    const hostileResult = await generate(appSet('__proto__'));
    expect(addedToObjectPrototype()).toEqual([]);
    const ordinary = JSON.stringify(await generate(appSet('ordinary')));
    expect(JSON.stringify(hostileResult)).toBe(ordinary.replaceAll('ordinary', '__proto__'));
    expect(hostileResult.generated.map((g) => g.application.metadata.name)).toEqual(['east-first-prod']);
  });

  it('is kept as a field by a templatePatch', () => {
    const application: Application = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'a' },
      spec: { project: 'default', destination: {} },
    };
    const patched = applyTemplatePatch(application, '{"spec": {"__proto__": {"fromPatch": "yes"}}, "__proto__": {"fromPatchTop": "yes"}}');
    expect(addedToObjectPrototype()).toEqual([]);
    expect(JSON.stringify(patched.spec)).toBe('{"project":"default","destination":{},"__proto__":{"fromPatch":"yes"}}');
  });

  it("is a dictionary key to Sprig's dict, set, merge and mergeOverwrite", async () => {
    const render = (text: string) => renderString(text, {}, { goTemplate: true });
    const payload = (name: string) => `fromJson "{\\"__proto__\\": {\\"${name}\\": \\"yes\\"}}"`;
    expect(await render(`{{ $a := dict "k" dict }}{{ $_ := merge $a (${payload('fromMerge')}) }}{{ toJson $a }}`)).toBe(
      '{"__proto__":{"fromMerge":"yes"},"k":{}}',
    );
    expect(await render(`{{ $a := dict }}{{ $_ := mergeOverwrite $a (${payload('fromOverwrite')}) }}{{ toJson $a }}`)).toBe(
      '{"__proto__":{"fromOverwrite":"yes"}}',
    );
    expect(await render(`{{ $d := dict "__proto__" (dict "fromDict" "yes") }}{{ $_ := set $d "__proto__" "set" }}{{ toJson $d }} {{ $d.fromDict }}`)).toBe(
      '{"__proto__":"set"} <no value>',
    );
    expect(addedToObjectPrototype()).toEqual([]);
  });

  it('is a value name to Helm values, value files and --set parameters', () => {
    const files: Record<string, string> = { 'chart/values-prod.yaml': '__proto__: {fromFile: x}\nreplicas: 2\n' };
    const values = releaseValues(
      {
        valueFiles: ['values-prod.yaml'],
        values: '__proto__: {fromValues: x}',
        parameters: [
          { name: '__proto__.fromSet', value: 'yes' },
          { name: 'nested.__proto__.fromNestedSet', value: 'yes' },
        ],
      },
      'chart',
      (path) => (files[path] === undefined ? undefined : Buffer.from(files[path])),
    );
    expect(addedToObjectPrototype()).toEqual([]);
    expect(JSON.stringify(values)).toBe(
      '{"__proto__":{"fromFile":"x","fromValues":"x","fromSet":"yes"},"replicas":2,"nested":{"__proto__":{"fromNestedSet":"yes"}}}',
    );
  });

  it('is a field an ignore rule can name, read and written on the object itself', () => {
    const desired: Record<string, unknown> = { spec: { image: 'v2' } };
    const live = { spec: { image: 'v1', ...hostile('fromLive') } };
    applyIgnoreDifferences(
      desired,
      live,
      [{ jsonPointers: ['/spec/__proto__/fromLive', '/__proto__/fromPointer'] }, { jqPathExpressions: ['.spec.__proto__.fromJq'] }],
      'a',
    );
    expect(addedToObjectPrototype()).toEqual([]);
    expect(JSON.stringify(desired)).toBe('{"spec":{"image":"v2","__proto__":{"fromLive":"yes"}}}');
  });

  it('is a field to the simulated API server: patches keep it as data, and a JSON patch through an absent one fails', () => {
    expect(JSON.stringify(mergePatch({ a: 1 }, hostile('fromMergePatch')))).toBe('{"a":1,"__proto__":{"fromMergePatch":"yes"}}');
    expect(JSON.stringify(strategicMergePatch({ a: 1 }, hostile('fromStrategic')))).toBe('{"a":1,"__proto__":{"fromStrategic":"yes"}}');
    expect(() => jsonPatch({ a: {} }, [{ op: 'add', path: '/a/__proto__/fromJsonPatch', value: 'yes' }])).toThrow(/missing path/);
    expect(JSON.stringify(jsonPatch({ a: {} }, [{ op: 'add', path: '/a/__proto__', value: { fromJsonPatch: 'yes' } }]))).toBe(
      '{"a":{"__proto__":{"fromJsonPatch":"yes"}}}',
    );
    expect(addedToObjectPrototype()).toEqual([]);
  });

  it('is a field a server-side apply to the simulated API server stores as it is sent', async () => {
    const fleet = await SimFleet.start({ clusters: [{ name: 'edge' }] });
    try {
      const client = new ObjectClient(kubeConfigFromString(fleet.kubeconfig('edge')));
      const configMap = (data: string) =>
        JSON.parse(`{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "default"}, "data": ${data}}`);
      await client.apply(configMap('{"__proto__": {"fromApply": "yes"}}'), 'tenant', true);
      expect(addedToObjectPrototype()).toEqual([]);
      await client.apply(configMap('{"__proto__": "kept", "mode": "fast"}'), 'tenant', true);
      const stored = await client.get<{ data?: Record<string, string> } & KubeObject>('v1', 'ConfigMap', 'default', 'settings');
      expect(JSON.stringify(stored?.data)).toBe('{"__proto__":"kept","mode":"fast"}');
    } finally {
      await fleet.stop();
    }
  });
});
