import { PROTOBUF_KINDS, PROTOBUF_MESSAGES } from './builtin-protobuf-types.js';

type Obj = Record<string, any>;

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
/** Every protobuf body kube-apiserver reads or writes starts with "k8s\0", then a runtime.Unknown envelope. */
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
/** Go's zero time.Time in Unix seconds: a JSON null. */
const ZERO_TIME_SECONDS = -62135596800;

/** A protobuf body that cannot be read: malformed, or of a kind without a protobuf codec. */
export class ProtobufError extends Error {}
/** A protobuf body of a kind served as JSON only (custom resources) or not at all. */
export class ProtobufKindError extends ProtobufError {}

type Scalar = 's' | 'b' | 'i32' | 'i64' | 'y' | 'd' | 'f';
interface FieldType {
  scalar?: Scalar;
  message?: string;
}
interface Field {
  name: string;
  number: number;
  type: FieldType;
  repeated: boolean;
  mapKey?: FieldType;
}
interface Schema {
  fields: Field[];
  byNumber: Map<number, Field>;
}

const schemas = new Map<string, Schema>();

function parseType(text: string): FieldType {
  return text.startsWith('@') ? { message: text.slice(1) } : { scalar: text as Scalar };
}

function schemaOf(message: string): Schema {
  let schema = schemas.get(message);
  if (schema) return schema;
  const spec = PROTOBUF_MESSAGES[message];
  if (spec === undefined) throw new ProtobufError(`no protobuf schema for ${message}`);
  const fields = spec
    .split(' ')
    .filter(Boolean)
    .map((entry): Field => {
      const [, name, number, typeText = 's'] = /^(\w+)=(\d+)(?::(.+))?$/.exec(entry)!;
      const map = /^\{(\w+),(.+)\}$/.exec(typeText);
      if (map) return { name, number: Number(number), type: parseType(map[2]), repeated: false, mapKey: parseType(map[1]) };
      const repeated = typeText.startsWith('*');
      return { name, number: Number(number), type: parseType(repeated ? typeText.slice(1) : typeText), repeated };
    })
    .sort((a, b) => a.number - b.number);
  schema = { fields, byNumber: new Map(fields.map((f) => [f.number, f])) };
  schemas.set(message, schema);
  return schema;
}

/** Messages whose JSON form is not an object of their fields (times, quantities, int-or-string, embedded JSON). */
interface JsonForm {
  toProto(json: unknown): Obj | undefined;
  toJson(proto: Obj): unknown;
}

function timeForm(micro: boolean): JsonForm {
  return {
    toProto(json) {
      if (typeof json !== 'string') return undefined;
      const millis = Date.parse(json);
      if (Number.isNaN(millis)) return undefined;
      const fraction = /\.(\d+)/.exec(json)?.[1] ?? '';
      return { seconds: Math.floor(millis / 1000), nanos: Number(fraction.padEnd(9, '0').slice(0, 9)) };
    },
    toJson({ seconds = 0, nanos = 0 }) {
      // Go writes a zero time as an empty message; the Unix epoch cannot be told from it.
      if ((seconds === 0 || seconds === ZERO_TIME_SECONDS) && nanos === 0) return undefined;
      const whole = new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, '');
      return micro ? `${whole}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${whole}Z`;
    },
  };
}

const embeddedJson = (field: string): JsonForm => ({
  toProto: (json) => ({ [field]: (Buffer.isBuffer(json) ? json : Buffer.from(JSON.stringify(json))).toString('base64') }),
  toJson(proto) {
    if (!proto[field]) return undefined;
    const raw = Buffer.from(proto[field], 'base64');
    return raw.subarray(0, 4).equals(MAGIC) ? decodeProtobufObject(raw) : JSON.parse(raw.toString('utf8'));
  },
});

const stringList: JsonForm = { toProto: (json) => ({ items: json }), toJson: (proto) => proto.items ?? [] };

const JSON_FORMS: Record<string, JsonForm> = {
  'meta.v1.Time': timeForm(false),
  'meta.v1.MicroTime': timeForm(true),
  'resource.Quantity': { toProto: (json) => ({ string: String(json) }), toJson: (proto) => proto.string ?? '0' },
  'intstr.IntOrString': {
    toProto: (json) => (typeof json === 'number' ? { type: 0, intVal: json } : { type: 1, strVal: String(json) }),
    toJson: (proto) => (proto.type === 1 ? (proto.strVal ?? '') : (proto.intVal ?? 0)),
  },
  'runtime.RawExtension': embeddedJson('raw'),
  'meta.v1.FieldsV1': embeddedJson('Raw'),
  'authorization.v1.ExtraValue': stringList,
  'authentication.v1.ExtraValue': stringList,
};

class Writer {
  private readonly parts: Buffer[] = [];
  private readonly pending: number[] = [];

  varint(value: number | bigint): void {
    let rest = typeof value === 'bigint' || value < 0 || !Number.isSafeInteger(value) ? BigInt.asUintN(64, BigInt(value)) : value;
    if (typeof rest === 'bigint') {
      while (rest > 0x7fn) {
        this.pending.push(Number(rest & 0x7fn) | 0x80);
        rest >>= 7n;
      }
      this.pending.push(Number(rest));
      return;
    }
    while (rest > 0x7f) {
      this.pending.push((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    this.pending.push(rest);
  }

  tag(number: number, wireType: number): void {
    this.varint(number * 8 + wireType);
  }

  bytes(data: Buffer): void {
    this.varint(data.length);
    this.raw(data);
  }

  raw(data: Buffer): void {
    this.flush();
    this.parts.push(data);
  }

  finish(): Buffer {
    this.flush();
    return Buffer.concat(this.parts);
  }

  private flush(): void {
    if (this.pending.length) this.parts.push(Buffer.from(this.pending.splice(0)));
  }
}

function encodeValue(writer: Writer, number: number, type: FieldType, value: unknown): void {
  if (value === null || value === undefined) return;
  if (type.message) {
    const encoded = encodeMessage(type.message, value);
    if (encoded === undefined) return;
    writer.tag(number, 2);
    writer.bytes(encoded);
    return;
  }
  switch (type.scalar) {
    case 's':
      if (typeof value === 'object') return;
      writer.tag(number, 2);
      writer.bytes(Buffer.from(String(value), 'utf8'));
      return;
    case 'y':
      writer.tag(number, 2);
      writer.bytes(Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'base64'));
      return;
    case 'b':
      writer.tag(number, 0);
      writer.varint(value ? 1 : 0);
      return;
    case 'i32':
    case 'i64': {
      const integer = Math.trunc(Number(value));
      if (!Number.isFinite(integer)) return;
      writer.tag(number, 0);
      writer.varint(integer);
      return;
    }
    case 'd': {
      const data = Buffer.alloc(8);
      data.writeDoubleLE(Number(value));
      writer.tag(number, 1);
      writer.raw(data);
      return;
    }
    case 'f': {
      const data = Buffer.alloc(4);
      data.writeFloatLE(Number(value));
      writer.tag(number, 5);
      writer.raw(data);
      return;
    }
  }
}

/** The protobuf bytes of a message from its JSON form; undefined when the JSON value cannot be one. */
function encodeMessage(message: string, json: unknown): Buffer | undefined {
  const form = JSON_FORMS[message];
  const value = form ? form.toProto(json) : json;
  if (value === undefined || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const writer = new Writer();
  for (const field of schemaOf(message).fields) {
    const fieldValue = (value as Obj)[field.name];
    if (fieldValue === null || fieldValue === undefined) continue;
    if (field.mapKey) {
      if (typeof fieldValue !== 'object') continue;
      // Sorted keys, as Go's generated marshallers write maps: equal objects give equal bytes.
      for (const key of Object.keys(fieldValue).sort()) {
        const entry = new Writer();
        encodeValue(entry, 1, field.mapKey, key);
        encodeValue(entry, 2, field.type, fieldValue[key]);
        writer.tag(field.number, 2);
        writer.bytes(entry.finish());
      }
    } else if (field.repeated) {
      if (Array.isArray(fieldValue)) for (const item of fieldValue) encodeValue(writer, field.number, field.type, item);
    } else {
      encodeValue(writer, field.number, field.type, fieldValue);
    }
  }
  return writer.finish();
}

class Reader {
  offset = 0;
  constructor(private readonly data: Buffer) {}

  get done(): boolean {
    return this.offset >= this.data.length;
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.done) throw new ProtobufError('truncated varint');
      const byte = this.data[this.offset++];
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
    }
    throw new ProtobufError('varint longer than 10 bytes');
  }

  take(length: number): Buffer {
    if (length < 0 || this.offset + length > this.data.length) throw new ProtobufError('truncated field');
    const slice = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  lengthDelimited(): Buffer {
    return this.take(Number(this.varint()));
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.take(8);
    else if (wireType === 2) this.lengthDelimited();
    else if (wireType === 5) this.take(4);
    else throw new ProtobufError(`unsupported wire type ${wireType}`);
  }
}

function readScalar(reader: Reader, scalar: Scalar, wireType: number): unknown {
  switch (scalar) {
    case 's':
      return reader.lengthDelimited().toString('utf8');
    case 'y':
      return reader.lengthDelimited().toString('base64');
    case 'b':
      return reader.varint() !== 0n;
    case 'i32':
      return Number(BigInt.asIntN(32, reader.varint()));
    case 'i64':
      return Number(BigInt.asIntN(64, reader.varint()));
    case 'd':
      return wireType === 1 ? reader.take(8).readDoubleLE() : undefined;
    case 'f':
      return wireType === 5 ? reader.take(4).readFloatLE() : undefined;
  }
}

const WIRE_TYPES: Record<Scalar, number> = { s: 2, y: 2, b: 0, i32: 0, i64: 0, d: 1, f: 5 };

function readValue(reader: Reader, type: FieldType, wireType: number): unknown {
  if (type.message) {
    if (wireType !== 2) throw new ProtobufError(`${type.message} must be length-delimited`);
    return decodeMessage(type.message, reader.lengthDelimited());
  }
  if (wireType !== WIRE_TYPES[type.scalar!]) throw new ProtobufError(`wire type ${wireType} where a ${type.scalar} belongs`);
  return readScalar(reader, type.scalar!, wireType);
}

const isZero = (value: unknown) => value === '' || value === false || value === 0;

/**
 * The JSON form of a message. Go writes every non-pointer scalar, zero or not, and its JSON
 * leaves out zero values: zero scalars are left out here too.
 */
function decodeMessage(message: string, data: Buffer): unknown {
  const schema = schemaOf(message);
  const reader = new Reader(data);
  const out: Obj = {};
  while (!reader.done) {
    const tag = reader.varint();
    const number = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    const field = schema.byNumber.get(number);
    if (!field) {
      reader.skip(wireType);
      continue;
    }
    if (field.mapKey) {
      const entry = new Reader(reader.lengthDelimited());
      let key: unknown = '';
      let value: unknown;
      while (!entry.done) {
        const entryTag = entry.varint();
        const entryWire = Number(entryTag & 7n);
        if (entryTag >> 3n === 1n) key = readValue(entry, field.mapKey, entryWire);
        else if (entryTag >> 3n === 2n) value = readValue(entry, field.type, entryWire);
        else entry.skip(entryWire);
      }
      // An entry without a value holds the value type's zero (the maps here hold strings, bytes and messages).
      (out[field.name] ??= {})[String(key)] = value ?? (field.type.message ? decodeMessage(field.type.message, Buffer.alloc(0)) : '');
    } else if (field.repeated) {
      const list: unknown[] = (out[field.name] ??= []);
      const scalar = field.type.scalar;
      // Packed repeated numbers: one length-delimited run of values.
      if (scalar && wireType === 2 && WIRE_TYPES[scalar] !== 2) {
        const packed = new Reader(reader.lengthDelimited());
        while (!packed.done) list.push(readScalar(packed, scalar, WIRE_TYPES[scalar]));
      } else {
        list.push(readValue(reader, field.type, wireType));
      }
    } else {
      const value = readValue(reader, field.type, wireType);
      if (value === undefined || isZero(value)) delete out[field.name];
      else out[field.name] = value;
    }
  }
  const form = JSON_FORMS[message];
  return form ? form.toJson(out) : out;
}

/** The protobuf message of an `apiVersion`/`kind`, or undefined when the kind is served as JSON only (custom resources). */
export function protobufMessageOf(apiVersion: unknown, kind: unknown): string | undefined {
  return PROTOBUF_KINDS[`${apiVersion}/${kind}`];
}

/** An object as kube-apiserver writes it in protobuf: the magic, then runtime.Unknown{typeMeta, raw}; undefined when its kind has no codec. */
export function encodeProtobufObject(object: Obj): Buffer | undefined {
  const message = protobufMessageOf(object.apiVersion, object.kind);
  if (!message) return undefined;
  const raw = encodeMessage(message, object)!;
  const envelope = encodeMessage('runtime.Unknown', {
    typeMeta: { apiVersion: object.apiVersion, kind: object.kind },
    raw,
    contentEncoding: '',
    contentType: '',
  })!;
  return Buffer.concat([MAGIC, envelope]);
}

/** The JSON object of a protobuf body (apiVersion and kind from its envelope). */
export function decodeProtobufObject(body: Buffer): Obj {
  if (!body.subarray(0, 4).equals(MAGIC)) throw new ProtobufError('the body does not start with the protobuf magic number');
  const envelope = decodeMessage('runtime.Unknown', body.subarray(4)) as Obj;
  const { apiVersion = '', kind = '' } = envelope.typeMeta ?? {};
  const message = protobufMessageOf(apiVersion, kind);
  if (!message) throw new ProtobufKindError(`no protobuf codec for ${apiVersion ? `${apiVersion}, ` : ''}Kind=${kind}`);
  return { apiVersion, kind, ...(decodeMessage(message, Buffer.from(envelope.raw ?? '', 'base64')) as Obj) };
}

/**
 * One frame of a protobuf watch stream: a 4-byte big-endian length, then a bare metav1.WatchEvent
 * whose object is the object's own protobuf body.
 */
export function encodeWatchFrame(type: string, object: Obj): Buffer | undefined {
  const embedded = encodeProtobufObject(object);
  if (!embedded) return undefined;
  const event = encodeMessage('meta.v1.WatchEvent', { type, object: embedded })!;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(event.length);
  return Buffer.concat([length, event]);
}
