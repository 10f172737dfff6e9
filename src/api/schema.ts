/**
 * A small structural-schema subset (the part of OpenAPI v3 that CRDs use) and a validator whose
 * messages name the object, the field path and what is wrong, as the API server words them.
 */
export type Schema =
  | { type: 'string'; enum?: readonly string[] }
  | { type: 'boolean' }
  | { type: 'integer'; minimum?: number }
  | { type: 'int-or-string'; pattern?: RegExp; patternText?: string }
  | { type: 'array'; items: Schema }
  | { type: 'object'; properties?: Record<string, Schema>; required?: readonly string[]; additionalProperties?: Schema; preserveUnknownFields?: boolean }
  | { type: 'any' };

export interface SchemaProblem {
  field: string;
  message: string;
  /** Unknown fields are dropped by the API server; they are reported but do not fail validation. */
  severity: 'error' | 'warning';
}

/** A JSON value's type as the API server's validation messages name it. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function join(field: string, key: string): string {
  return field ? `${field}.${key}` : key;
}

export function validateAgainst(schema: Schema, value: unknown, field: string, problems: SchemaProblem[] = []): SchemaProblem[] {
  const error = (message: string) => problems.push({ field, message, severity: 'error' });
  if (value === undefined || schema.type === 'any') return problems;
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') error(`Invalid value: "${typeName(value)}": ${field} in body must be of type string`);
      else if (schema.enum && !schema.enum.includes(value)) {
        error(`Unsupported value: ${JSON.stringify(value)}: supported values: ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`);
      }
      break;
    case 'boolean':
      if (typeof value !== 'boolean') error(`Invalid value: "${typeName(value)}": ${field} in body must be of type boolean`);
      break;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) error(`Invalid value: "${typeName(value)}": ${field} in body must be of type integer`);
      else if (schema.minimum !== undefined && value < schema.minimum)
        error(`Invalid value: ${value}: ${field} in body should be greater than or equal to ${schema.minimum}`);
      break;
    case 'int-or-string':
      if (typeof value === 'number') {
        if (!Number.isInteger(value) || value < 0) error(`Invalid value: ${value}: must be a non-negative integer or a percentage`);
      } else if (typeof value !== 'string') error(`Invalid value: "${typeName(value)}": ${field} in body must be of type integer or string`);
      else if (schema.pattern && !schema.pattern.test(value)) error(`Invalid value: ${JSON.stringify(value)}: ${schema.patternText ?? 'invalid format'}`);
      break;
    case 'array':
      if (!Array.isArray(value)) error(`Invalid value: "${typeName(value)}": ${field} in body must be of type array`);
      else value.forEach((item, i) => validateAgainst(schema.items, item, `${field}[${i}]`, problems));
      break;
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        error(`Invalid value: "${typeName(value)}": ${field} in body must be of type object`);
        break;
      }
      const record = value as Record<string, unknown>;
      for (const key of schema.required ?? []) {
        if (record[key] === undefined || record[key] === null) problems.push({ field: join(field, key), message: 'Required value', severity: 'error' });
      }
      for (const [key, item] of Object.entries(record)) {
        const child = schema.properties?.[key] ?? schema.additionalProperties;
        if (child) validateAgainst(child, item, join(field, key), problems);
        else if (!schema.preserveUnknownFields) problems.push({ field: join(field, key), message: 'unknown field', severity: 'warning' });
      }
      break;
    }
  }
  return problems;
}
