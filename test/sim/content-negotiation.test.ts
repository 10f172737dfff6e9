import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeProtobufObject, encodeProtobufObject } from '../../src/sim/protobuf-codec.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';

/** Which body format the simulated API server reads and answers, as kube-apiserver negotiates it. */
const PROTOBUF = 'application/vnd.kubernetes.protobuf';
let fleet: SimFleet;
let auth: Record<string, string>;

beforeAll(async () => {
  fleet = await SimFleet.start();
  auth = { Authorization: `Bearer ${fleet.token()}` };
});

afterAll(async () => {
  await fleet?.stop();
});

const url = (path: string) => `${fleet.server()}${path}`;

describe('protobuf and JSON bodies', () => {
  it('reads a protobuf create and answers in the first format the Accept header lists', async () => {
    const body = encodeProtobufObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'negotiated' }, data: { k: 'v' } })!;
    const created = await fetch(url('/api/v1/namespaces/argocd/configmaps'), {
      method: 'POST',
      headers: { ...auth, 'Content-Type': PROTOBUF, Accept: `${PROTOBUF}, application/json` },
      body: new Uint8Array(body),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('content-type')).toBe(PROTOBUF);
    const stored = decodeProtobufObject(Buffer.from(await created.arrayBuffer()));
    expect(stored).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'negotiated', namespace: 'argocd', uid: expect.any(String) }, data: { k: 'v' } });

    const jsonFirst = await fetch(url('/api/v1/namespaces/argocd/configmaps/negotiated'), { headers: { ...auth, Accept: `application/json, ${PROTOBUF}` } });
    expect(jsonFirst.headers.get('content-type')).toBe('application/json');
    expect((await jsonFirst.json()).data).toEqual({ k: 'v' });
    const weighted = await fetch(url('/api/v1/namespaces/argocd/configmaps/negotiated'), {
      headers: { ...auth, Accept: `application/json;q=0.5, ${PROTOBUF}` },
    });
    expect(weighted.headers.get('content-type')).toBe(PROTOBUF);
  });

  it('serves custom resources as JSON only: 406 to a protobuf-only Accept, 415 to a protobuf body, JSON when listed', async () => {
    const appSets = url('/apis/argoproj.io/v1alpha1/namespaces/argocd/applicationsets');
    const refused = await fetch(appSets, { headers: { ...auth, Accept: PROTOBUF } });
    expect(refused.status).toBe(406);
    // The Status itself has a protobuf codec: the error comes in the format asked for.
    expect(decodeProtobufObject(Buffer.from(await refused.arrayBuffer()))).toMatchObject({
      reason: 'NotAcceptable',
      message: 'only the following media types are accepted: application/json',
    });

    const fallback = await fetch(appSets, { headers: { ...auth, Accept: `${PROTOBUF}, application/json` } });
    expect(fallback.status).toBe(200);
    expect(fallback.headers.get('content-type')).toBe('application/json');

    // Custom resources take no protobuf body, whatever it holds.
    const envelope = encodeProtobufObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } })!;
    const unsupported = await fetch(url('/apis/argoproj.io/v1alpha1/namespaces/argocd/applications'), {
      method: 'POST',
      headers: { ...auth, 'Content-Type': PROTOBUF, Accept: 'application/json' },
      body: new Uint8Array(envelope),
    });
    expect(unsupported.status).toBe(415);
    expect((await unsupported.json()).reason).toBe('UnsupportedMediaType');
    expect(fleet.cluster().list(fleet.cluster().typeForKind('argoproj.io/v1alpha1', 'Application')!)).toEqual([]);
  });

  it('answers errors as a protobuf Status and a malformed protobuf body with 400', async () => {
    const missing = await fetch(url('/api/v1/namespaces/argocd/secrets/absent'), { headers: { ...auth, Accept: `${PROTOBUF}, application/json` } });
    expect(missing.status).toBe(404);
    expect(decodeProtobufObject(Buffer.from(await missing.arrayBuffer()))).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
      message: 'secrets "absent" not found',
    });
    const garbled = await fetch(url('/api/v1/namespaces/argocd/secrets'), {
      method: 'POST',
      headers: { ...auth, 'Content-Type': PROTOBUF, Accept: 'application/json' },
      body: Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x7f]),
    });
    expect(garbled.status).toBe(400);
    expect((await garbled.json()).message).toMatch(/^the protobuf body could not be read/);
  });

  it('streams a watch as length-prefixed protobuf WatchEvents', async () => {
    const controller = new AbortController();
    const response = await fetch(url('/api/v1/namespaces/argocd/secrets?watch=true'), {
      headers: { ...auth, Accept: `${PROTOBUF}, application/json` },
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toBe(`${PROTOBUF};stream=watch`);
    const reader = response.body!.getReader();
    const created = fetch(url('/api/v1/namespaces/argocd/secrets'), {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'watched' }, data: { a: Buffer.from('b').toString('base64') } }),
    });
    let buffered = Buffer.alloc(0);
    const deadline = Date.now() + 5000;
    while ((buffered.length < 4 || buffered.length < 4 + buffered.readUInt32BE(0)) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered = Buffer.concat([buffered, Buffer.from(value)]);
    }
    controller.abort();
    expect((await created).status).toBe(201);
    const frame = buffered.subarray(4, 4 + buffered.readUInt32BE(0));
    // WatchEvent: type=1 "ADDED", object=2 (RawExtension: raw=1, the Secret's own protobuf body).
    expect(frame.subarray(0, 7)).toEqual(Buffer.from([0x0a, 0x05, ...Buffer.from('ADDED')]));
    const rawExtension = frame.subarray(7);
    expect(rawExtension[0]).toBe(0x12);
    const embedded = rawExtension.subarray(rawExtension.indexOf(0x6b));
    expect(decodeProtobufObject(embedded)).toMatchObject({ kind: 'Secret', metadata: { name: 'watched' }, data: { a: Buffer.from('b').toString('base64') } });
  });
});
