import { describe, expect, it } from 'vitest';
import { decodeProtobufObject, encodeProtobufObject, encodeWatchFrame, ProtobufError, ProtobufKindError } from '../../src/sim/protobuf-codec.js';

/*
 * Bytes built here by the protobuf wire rules (tag = number << 3 | wire type; varints 7 bits a byte,
 * low first; length-delimited fields prefixed by their length), with the field numbers of
 * Kubernetes' generated.proto files, independent of the codec under test.
 */
const bytes = (...parts: (number[] | Buffer)[]) => Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));
const varint = (value: bigint): number[] => {
  const out: number[] = [];
  let rest = BigInt.asUintN(64, value);
  while (rest > 0x7fn) {
    out.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  out.push(Number(rest));
  return out;
};
const len = (number: number, body: Buffer) => bytes([(number << 3) | 2], varint(BigInt(body.length)), body);
const str = (number: number, text: string) => len(number, Buffer.from(text, 'utf8'));
const int = (number: number, value: number) => bytes([number << 3], varint(BigInt(value)));
const entry = (number: number, key: string, value: Buffer | string) =>
  len(number, bytes(str(1, key), typeof value === 'string' ? str(2, value) : len(2, value)));
const MAGIC = [0x6b, 0x38, 0x73, 0x00];
const envelope = (apiVersion: string, kind: string, raw: Buffer) =>
  bytes(MAGIC, len(1, bytes(str(1, apiVersion), str(2, kind))), len(2, raw), str(3, ''), str(4, ''));

// Secret: metadata=1 (ObjectMeta: name=1, namespace=3, creationTimestamp=8 (Time: seconds=1, nanos=2, both always written), labels=11), data=2 (map<string, bytes>), type=3.
const secretBytes = envelope(
  'v1',
  'Secret',
  bytes(
    len(1, bytes(str(1, 's1'), str(3, 'argocd'), len(8, bytes(int(1, 1_700_000_000), int(2, 0))), entry(11, 'a', 'x'), entry(11, 'b', 'y'))),
    entry(2, 'key', Buffer.from([0, 1, 2, 255])),
    str(3, 'Opaque'),
  ),
);
const secretJson = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 's1', namespace: 'argocd', creationTimestamp: '2023-11-14T22:13:20Z', labels: { a: 'x', b: 'y' } },
  data: { key: Buffer.from([0, 1, 2, 255]).toString('base64') },
  type: 'Opaque',
};

describe('protobuf codec', () => {
  it('reads and writes a Secret byte for byte: envelope, nested messages, maps in key order, bytes as base64, times as RFC 3339', () => {
    expect(decodeProtobufObject(secretBytes)).toEqual(secretJson);
    // Labels out of order in JSON still come out sorted, as Go's marshallers write maps.
    expect(encodeProtobufObject({ ...secretJson, metadata: { ...secretJson.metadata, labels: { b: 'y', a: 'x' } } })).toEqual(secretBytes);
  });

  it('leaves out the zero values Go writes for every field, and Go zero times', () => {
    // As client-go writes a new ConfigMap: empty strings, generation 0 and a zero creationTimestamp (an empty Time).
    const raw = bytes(
      len(1, bytes(str(1, 'c1'), str(2, ''), str(3, ''), int(7, 0), len(8, Buffer.alloc(0)), len(9, bytes(int(1, -62135596800), int(2, 0))))),
      entry(2, 'k', 'v'),
    );
    expect(decodeProtobufObject(envelope('v1', 'ConfigMap', raw))).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1' }, data: { k: 'v' } });
  });

  it('writes negative integers as ten-byte varints, MicroTime with microseconds and IntOrString both ways', () => {
    // LeaseSpec: holderIdentity=1, leaseDurationSeconds=2, renewTime=4 (MicroTime: seconds=1, nanos=2).
    const lease = envelope(
      'coordination.k8s.io/v1',
      'Lease',
      bytes(len(1, str(1, 'l')), len(2, bytes(str(1, 'me'), int(2, -1), len(4, bytes(int(1, 1_700_000_000), int(2, 123_456_000)))))),
    );
    const leaseJson = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'l' },
      spec: { holderIdentity: 'me', leaseDurationSeconds: -1, renewTime: '2023-11-14T22:13:20.123456Z' },
    };
    expect(int(2, -1)).toHaveLength(11);
    expect(encodeProtobufObject(leaseJson)).toEqual(lease);
    expect(decodeProtobufObject(lease)).toEqual(leaseJson);

    // DeploymentSpec.strategy=4 → DeploymentStrategy.rollingUpdate=2 → maxUnavailable=1, maxSurge=2 (IntOrString: type=1, intVal=2, strVal=3).
    const deployment = envelope(
      'apps/v1',
      'Deployment',
      bytes(
        len(1, str(1, 'web')),
        len(2, len(4, bytes(str(1, 'RollingUpdate'), len(2, bytes(len(1, bytes(int(1, 0), int(2, 1))), len(2, bytes(int(1, 1), str(3, '25%')))))))),
      ),
    );
    const deploymentJson = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: '25%' } } },
    };
    expect(encodeProtobufObject(deploymentJson)).toEqual(deployment);
    expect(decodeProtobufObject(deployment)).toEqual(deploymentJson);
  });

  it('frames a watch event as a 4-byte big-endian length and a WatchEvent holding the object body', () => {
    const event = bytes(str(1, 'ADDED'), len(2, len(1, secretBytes)));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(event.length);
    expect(encodeWatchFrame('ADDED', secretJson)).toEqual(bytes(length, event));
  });

  it('refuses kinds without a codec and malformed bodies', () => {
    expect(encodeProtobufObject({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'a' } })).toBeUndefined();
    expect(() => decodeProtobufObject(envelope('argoproj.io/v1alpha1', 'Application', Buffer.alloc(0)))).toThrow(ProtobufKindError);
    expect(() => decodeProtobufObject(Buffer.from('{"kind":"Secret"}'))).toThrow(/magic number/);
    expect(() => decodeProtobufObject(secretBytes.subarray(0, secretBytes.length - 3))).toThrow(ProtobufError);
  });
});
