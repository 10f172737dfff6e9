import { typeName } from '../api/schema.js';
import { ApiError } from './api-error.js';
import type { OpenApiSchema } from './openapi-schemas.js';
import type { ResourceType } from './resource-types.js';

type Obj = Record<string, any>;

/** The `fieldValidation` query parameter of create, update and patch (server-side apply included). */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface SchemaFindings {
  /** Paths of fields the schema does not declare, e.g. `spec.foo`. */
  unknown: string[];
  /** Values of the wrong type, missing required fields, values outside an enum. */
  invalid: { field: string; message: string }[];
}

/** Deep enough for any real manifest; a deeper one is hostile and refused rather than walked. */
const MAX_DEPTH = 100;

function hasType(type: string, value: unknown): boolean {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    default:
      return typeof value === type;
  }
}

/** Walks `value` against an OpenAPI v3 schema as the API server's decoder and CRD validation do. */
export function checkAgainstSchema(
  schema: OpenApiSchema,
  value: unknown,
  path = '',
  findings: SchemaFindings = { unknown: [], invalid: [] },
  depth = 0,
): SchemaFindings {
  if (value === undefined || value === null) return findings;
  if (depth > MAX_DEPTH) {
    findings.invalid.push({ field: path, message: `Invalid value: "object": nested more than ${MAX_DEPTH} levels deep` });
    return findings;
  }
  const invalid = (message: string) => findings.invalid.push({ field: path, message });
  if (schema['x-kubernetes-int-or-string']) {
    if (!hasType('integer', value) && typeof value !== 'string')
      invalid(`Invalid value: "${typeName(value)}": ${path} in body must be of type integer,string: "${typeName(value)}"`);
    return findings;
  }
  if (typeof schema.type === 'string' && !hasType(schema.type, value)) {
    invalid(`Invalid value: "${typeName(value)}": ${path} in body must be of type ${schema.type}: "${typeName(value)}"`);
    return findings;
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
    invalid(`Unsupported value: ${JSON.stringify(value)}: supported values: ${schema.enum.map((v: unknown) => JSON.stringify(v)).join(', ')}`);
  }
  const child = (key: string) => (path ? `${path}.${key}` : key);
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((item, i) => checkAgainstSchema(schema.items, item, `${path}[${i}]`, findings, depth + 1));
    return findings;
  }
  if (typeof value !== 'object' || (!schema.properties && !schema.additionalProperties && schema.type !== 'object')) return findings;
  const record = value as Obj;
  for (const key of schema.required ?? []) if (record[key] === undefined) findings.invalid.push({ field: child(key), message: 'Required value' });
  for (const [key, item] of Object.entries(record)) {
    const declared = schema.properties?.[key] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (declared) checkAgainstSchema(declared, item, child(key), findings, depth + 1);
    else if (!schema['x-kubernetes-preserve-unknown-fields'] && schema.additionalProperties !== true) findings.unknown.push(child(key));
  }
  return findings;
}

export function parseFieldValidation(value: string | null): FieldValidation | undefined {
  if (value === null) return undefined;
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  throw new ApiError(400, 'BadRequest', `fieldValidation must be one of "Ignore", "Warn", or "Strict", but got: ${JSON.stringify(value)}`);
}

/**
 * Holds a written object to its kind's schema as `directive` asks: wrong types and missing required
 * fields are refused (422, each field named); unknown fields are refused under Strict (400, the
 * decoder's wording), reported under Warn (the returned warnings go out as `Warning:` headers).
 */
export function enforceSchema(type: ResourceType, schema: OpenApiSchema, object: Obj, directive: FieldValidation, applying: boolean): string[] {
  if (typeof object !== 'object' || object === null || Array.isArray(object))
    throw new ApiError(400, 'BadRequest', `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: the body is not an object`);
  const findings = checkAgainstSchema(schema, object);
  const name = object.metadata?.name ?? '';
  if (findings.invalid.length) {
    const causes = findings.invalid.map((i) => `${i.field}: ${i.message}`);
    throw new ApiError(
      422,
      'Invalid',
      `${type.kind}${type.group ? `.${type.group}` : ''} "${name}" is invalid: ${causes.length === 1 ? causes[0] : `[${causes.join(', ')}]`}`,
      {
        name,
        group: type.group,
        kind: type.kind,
        causes: findings.invalid.map((i) => ({
          reason: i.message === 'Required value' ? 'FieldValueRequired' : 'FieldValueInvalid',
          message: i.message,
          field: i.field,
        })),
      },
    );
  }
  if (!findings.unknown.length || directive === 'Ignore') return [];
  if (directive === 'Warn') return findings.unknown.map((field) => `unknown field "${field}"`);
  const version = type.version;
  if (applying) {
    const gvk = `${type.group}/${version}, Kind=${type.kind}`;
    const where = type.namespaced ? `${object.metadata?.namespace ?? ''}/${name}` : name;
    throw new ApiError(
      400,
      'BadRequest',
      `failed to create typed patch object (${where}; ${gvk}): ${findings.unknown.map((field) => `.${field}: field not declared in schema`).join(', ')}`,
    );
  }
  throw new ApiError(
    400,
    'BadRequest',
    `${type.kind} in version "${version}" cannot be handled as a ${type.kind}: strict decoding error: ${findings.unknown.map((field) => `unknown field "${field}"`).join(', ')}`,
  );
}
