import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimFleet } from '../../src/sim/sim-fleet.js';

/** What a reader gets back is what a real API server keeps once it has decoded a write into its typed form. */
let fleet: SimFleet;
let objects: k8s.KubernetesObjectApi;

beforeAll(async () => {
  fleet = await SimFleet.start({ clusters: [] });
  const config = new k8s.KubeConfig();
  config.loadFromString(fleet.kubeconfig());
  objects = k8s.KubernetesObjectApi.makeApiClient(config);
});
afterAll(async () => {
  await fleet.stop();
});

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const read = (name: string) => objects.read({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default' } }) as Promise<Record<string, any>>;

describe('objects as the API server stores them', () => {
  it('merges a Secret’s stringData into data on create, server-side apply and patch, and never returns stringData', async () => {
    await objects.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'default' },
      data: { user: base64('app'), password: base64('old') },
      stringData: { password: 's3cret' },
    } as k8s.KubernetesObject);
    const created = await read('db');
    expect(created.data).toEqual({ user: base64('app'), password: base64('s3cret') });
    expect(created.stringData).toBeUndefined();
    expect(created.type).toBe('Opaque');

    const applied = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'default' }, stringData: { password: 'rotated' } };
    await objects.patch(applied, undefined, undefined, 'ops', true, k8s.PatchStrategy.ServerSideApply);
    const afterApply = await read('db');
    expect(afterApply.data).toEqual({ user: base64('app'), password: base64('rotated') });
    expect(afterApply.stringData).toBeUndefined();
    // Applied again unchanged: nothing a reader sees changes.
    await objects.patch(applied, undefined, undefined, 'ops', true, k8s.PatchStrategy.ServerSideApply);
    expect((await read('db')).metadata.resourceVersion).toBe(afterApply.metadata.resourceVersion);

    await objects.patch({ ...applied, stringData: { token: 't' } }, undefined, undefined, undefined, undefined, k8s.PatchStrategy.MergePatch);
    expect((await read('db')).data).toEqual({ user: base64('app'), password: base64('rotated'), token: base64('t') });
  });

  it('drops empty labels, annotations, finalizers and owner references, as ObjectMeta omits them', async () => {
    await objects.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: 'default', labels: {}, annotations: {}, finalizers: [], ownerReferences: [] },
      data: { mode: 'fast' },
    } as k8s.KubernetesObject);
    const response = await fetch(`${fleet.server()}/api/v1/namespaces/default/configmaps/settings`, {
      headers: { authorization: `Bearer ${fleet.token()}` },
    });
    const metadata = ((await response.json()) as { metadata: Record<string, unknown> }).metadata;
    for (const field of ['labels', 'annotations', 'finalizers', 'ownerReferences']) expect(metadata, field).not.toHaveProperty(field);
  });
});
