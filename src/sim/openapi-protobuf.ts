/**
 * The Swagger 2.0 document as kubectl downloads it (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`):
 * gnostic's openapi.v2.Document message. Only what the simulator's documents hold is encoded.
 */
type Obj = Record<string, any>;

/** A protobuf message under construction: fields appended in order, each as tag, then value. */
class Message {
  private readonly chunks: Buffer[] = [];

  private varint(value: number): void {
    const bytes: number[] = [];
    let rest = value;
    while (rest > 0x7f) {
      bytes.push((rest & 0x7f) | 0x80);
      rest = Math.floor(rest / 128);
    }
    bytes.push(rest);
    this.chunks.push(Buffer.from(bytes));
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  string(field: number, value: unknown): this {
    if (typeof value !== 'string' || value === '') return this;
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  strings(field: number, values: unknown): this {
    for (const value of Array.isArray(values) ? values : []) this.bytes(field, Buffer.from(String(value), 'utf8'));
    return this;
  }

  bool(field: number, value: unknown): this {
    if (value !== true) return this;
    this.tag(field, 0);
    this.varint(1);
    return this;
  }

  int64(field: number, value: unknown): this {
    if (typeof value !== 'number' || value <= 0) return this;
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  double(field: number, value: unknown): this {
    if (typeof value !== 'number') return this;
    this.tag(field, 1);
    const buffer = Buffer.alloc(8);
    buffer.writeDoubleLE(value);
    this.chunks.push(buffer);
    return this;
  }

  message(field: number, value: Message | undefined): this {
    return value ? this.bytes(field, value.finish()) : this;
  }

  private bytes(field: number, value: Buffer): this {
    this.tag(field, 2);
    this.varint(value.length);
    this.chunks.push(value);
    return this;
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** gnostic's Any: a value it does not model, carried as YAML (JSON is YAML). */
const anyValue = (value: unknown) => new Message().string(2, JSON.stringify(value));

function vendorExtensions(target: Message, field: number, object: Obj): void {
  for (const [name, value] of Object.entries(object)) {
    if (name.startsWith('x-')) target.message(field, new Message().string(1, name).message(2, anyValue(value)));
  }
}

function schema(value: Obj): Message {
  const out = new Message()
    .string(1, value.$ref)
    .string(2, value.format)
    .string(3, value.title)
    .string(4, value.description)
    .message(5, value.default === undefined ? undefined : anyValue(value.default))
    .double(7, value.maximum)
    .double(9, value.minimum)
    .int64(11, value.maxLength)
    .int64(12, value.minLength)
    .string(13, value.pattern)
    .int64(14, value.maxItems)
    .int64(15, value.minItems)
    .strings(19, value.required);
  for (const item of value.enum ?? []) out.message(20, anyValue(item));
  if (typeof value.additionalProperties === 'object') out.message(21, new Message().message(1, schema(value.additionalProperties)));
  else if (value.additionalProperties === true) out.message(21, new Message().bool(2, true));
  if (value.type) out.message(22, new Message().strings(1, [value.type]));
  if (value.items) out.message(23, new Message().message(1, schema(value.items)));
  if (value.properties) {
    const properties = new Message();
    for (const [name, property] of Object.entries(value.properties as Obj)) properties.message(1, new Message().string(1, name).message(2, schema(property)));
    out.message(25, properties);
  }
  vendorExtensions(out, 31, value);
  return out;
}

function parameter(value: Obj): Message {
  if (value.in === 'body') {
    const body = new Message().string(1, value.description).string(2, value.name).string(3, value.in).bool(4, value.required).message(5, schema(value.schema));
    return new Message().message(1, new Message().message(1, body));
  }
  // Query and path parameters share their first fields; `type` and `uniqueItems` sit one later in a query parameter.
  const query = value.in !== 'path';
  const subSchema = new Message()
    .bool(1, value.required)
    .string(2, value.in)
    .string(3, value.description)
    .string(4, value.name)
    .string(query ? 6 : 5, value.type)
    .bool(query ? 20 : 19, value.uniqueItems);
  const nonBody = new Message().message(query ? 3 : 4, subSchema);
  return new Message().message(1, new Message().message(2, nonBody));
}

function operation(value: Obj): Message {
  const out = new Message().string(3, value.description).string(5, value.operationId).strings(6, value.produces).strings(7, value.consumes);
  for (const item of value.parameters ?? []) out.message(8, parameter(item));
  const responses = new Message();
  for (const [code, response] of Object.entries((value.responses ?? {}) as Obj)) {
    const body = new Message().string(1, response.description).message(2, response.schema ? new Message().message(1, schema(response.schema)) : undefined);
    responses.message(1, new Message().string(1, code).message(2, new Message().message(1, body)));
  }
  out.message(9, responses);
  vendorExtensions(out, 13, value);
  return out;
}

const PATH_ITEM_FIELDS: Record<string, number> = { get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8 };

function pathItem(value: Obj): Message {
  const out = new Message();
  for (const [method, field] of Object.entries(PATH_ITEM_FIELDS)) if (value[method]) out.message(field, operation(value[method]));
  for (const item of value.parameters ?? []) out.message(9, parameter(item));
  return out;
}

export function encodeOpenApiV2(document: Obj): Buffer {
  const paths = new Message();
  for (const [path, item] of Object.entries((document.paths ?? {}) as Obj)) paths.message(2, new Message().string(1, path).message(2, pathItem(item)));
  const definitions = new Message();
  for (const [name, definition] of Object.entries((document.definitions ?? {}) as Obj))
    definitions.message(1, new Message().string(1, name).message(2, schema(definition)));
  return new Message()
    .string(1, document.swagger)
    .message(2, new Message().string(1, document.info?.title).string(2, document.info?.version))
    .message(8, paths)
    .message(9, definitions)
    .finish();
}
