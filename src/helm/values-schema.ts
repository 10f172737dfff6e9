import { isPlainObject } from '../lib/json-values.js';
import { GoRegExp } from '../templating/go-regexp.js';
import type { Chart, Values } from './chart.js';
import { HelmError } from './helm-error.js';

/**
 * A chart's values.schema.json checked against the values it is rendered with, as Helm 3 checks
 * them before rendering (gojsonschema, draft-07): each violation as `<field>: <description>`, the
 * field dotted from `(root)`, in gojsonschema's wording.
 */
type Schema = Record<string, unknown> | boolean;

/** A schema is tenant input: how many checks one validation may make, and how deep `$ref`s may nest. */
const MAX_STEPS = 1_000_000;
const MAX_DEPTH = 200;

class Validation {
  readonly errors: string[] = [];
  private steps = 0;
  constructor(private readonly root: Schema) {}

  check(schema: Schema, value: unknown, field: string, depth: number): void {
    if (++this.steps > MAX_STEPS) throw new HelmError(`values.schema.json: validating took more than ${MAX_STEPS} steps`);
    if (depth > MAX_DEPTH) throw new HelmError(`values.schema.json: schemas nest (through $ref) more than ${MAX_DEPTH} deep`);
    if (schema === true) return;
    if (schema === false) return this.fail(field, 'False always fails validation');
    if (!isPlainObject(schema)) return;
    if (typeof schema.$ref === 'string') return this.check(this.resolve(schema.$ref), value, field, depth + 1);
    if (!this.typeMatches(schema, value, field)) return;
    this.combinators(schema, value, field, depth);
    if ('const' in schema && !jsonEqual(schema.const, value)) this.fail(field, `${field} does not match: ${goJson(schema.const)}`);
    if (Array.isArray(schema.enum) && !schema.enum.some((allowed) => jsonEqual(allowed, value)))
      this.fail(field, `${field} must be one of the following: ${schema.enum.map(goJson).join(', ')}`);
    if (Array.isArray(value)) this.array(schema, value, field, depth);
    else if (isPlainObject(value)) this.object(schema, value, field, depth);
    else if (typeof value === 'string') this.string(schema, value, field);
    else if (isNumber(value)) this.number(schema, Number(value), field);
  }

  private fail(field: string, description: string): void {
    this.errors.push(`${field}: ${description}`);
  }

  /** A `#/…` JSON pointer into the same schema; references to other documents are not followed (Helm reads no network either). */
  private resolve(ref: string): Schema {
    if (!ref.startsWith('#')) throw new HelmError(`values.schema.json: $ref ${JSON.stringify(ref)} is not a reference into the same schema`);
    let node: unknown = this.root;
    for (const raw of ref.slice(1).split('/').slice(1)) {
      const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      node = isPlainObject(node) || Array.isArray(node) ? (node as Record<string, unknown>)[key] : undefined;
    }
    if (!isPlainObject(node) && typeof node !== 'boolean') throw new HelmError(`values.schema.json: $ref ${JSON.stringify(ref)} names no schema`);
    return node;
  }

  private typeMatches(schema: Record<string, unknown>, value: unknown, field: string): boolean {
    if (schema.type === undefined) return true;
    const types = (Array.isArray(schema.type) ? schema.type : [schema.type]).map(String);
    const given = typeOf(value);
    if (types.includes(given) || (given === 'integer' && types.includes('number'))) return true;
    this.fail(field, `Invalid type. Expected: ${types.join(' or ')}, given: ${given}`);
    return false;
  }

  /** The violations `value` would have against `sub`, counted in this validation's steps but not reported. */
  private errorsOf(sub: unknown, value: unknown, field: string, depth: number): string[] {
    const nested = new Validation(this.root);
    nested.steps = this.steps;
    nested.check(sub as Schema, value, field, depth + 1);
    this.steps = nested.steps;
    return nested.errors;
  }

  private combinators(schema: Record<string, unknown>, value: unknown, field: string, depth: number): void {
    const passes = (sub: unknown) => this.errorsOf(sub, value, field, depth);
    if (Array.isArray(schema.allOf)) {
      const failed = schema.allOf.map(passes).filter((e) => e.length);
      if (failed.length) {
        this.errors.push(...failed.flat());
        this.fail(field, 'Must validate all the schemas (allOf)');
      }
    }
    if (Array.isArray(schema.anyOf) && !schema.anyOf.some((sub) => passes(sub).length === 0)) this.fail(field, 'Must validate at least one schema (anyOf)');
    if (Array.isArray(schema.oneOf) && schema.oneOf.filter((sub) => passes(sub).length === 0).length !== 1) this.fail(field, 'Must validate one and only one schema (oneOf)');
    if (schema.not !== undefined && passes(schema.not).length === 0) this.fail(field, 'Must not validate the schema (not)');
    if (schema.if !== undefined) {
      const branch = passes(schema.if).length === 0 ? schema.then : schema.else;
      if (branch !== undefined) this.check(branch as Schema, value, field, depth + 1);
    }
  }

  private array(schema: Record<string, unknown>, value: unknown[], field: string, depth: number): void {
    if (isNumber(schema.minItems) && value.length < Number(schema.minItems)) this.fail(field, `Array must have at least ${schema.minItems} items`);
    if (isNumber(schema.maxItems) && value.length > Number(schema.maxItems)) this.fail(field, `Array must have at most ${schema.maxItems} items`);
    if (schema.uniqueItems === true) {
      const seen = new Set(value.map(goJson));
      if (seen.size !== value.length) this.fail(field, 'array items must be unique');
    }
    if (Array.isArray(schema.items)) {
      schema.items.forEach((sub, i) => i < value.length && this.check(sub as Schema, value[i], child(field, String(i)), depth + 1));
      if (schema.additionalItems === false && value.length > schema.items.length) this.fail(field, 'No additional items allowed on array');
      else if (isPlainObject(schema.additionalItems))
        for (let i = schema.items.length; i < value.length; i++) this.check(schema.additionalItems, value[i], child(field, String(i)), depth + 1);
    } else if (schema.items !== undefined) value.forEach((item, i) => this.check(schema.items as Schema, item, child(field, String(i)), depth + 1));
    if (schema.contains !== undefined && !value.some((item) => this.errorsOf(schema.contains, item, field, depth).length === 0))
      this.fail(field, 'At least one of the items must match');
  }

  private object(schema: Record<string, unknown>, value: Values, field: string, depth: number): void {
    const keys = Object.keys(value).sort();
    if (isNumber(schema.minProperties) && keys.length < Number(schema.minProperties)) this.fail(field, `Must have at least ${schema.minProperties} properties`);
    if (isNumber(schema.maxProperties) && keys.length > Number(schema.maxProperties)) this.fail(field, `Must have at most ${schema.maxProperties} properties`);
    if (Array.isArray(schema.required))
      for (const name of schema.required.map(String)) if (!Object.hasOwn(value, name)) this.fail(field, `${name} is required`);
    const properties = isPlainObject(schema.properties) ? schema.properties : {};
    const patterns = isPlainObject(schema.patternProperties) ? Object.entries(schema.patternProperties).map(([p, s]) => [compile(p), s] as const) : [];
    for (const key of keys) {
      const matched = patterns.filter(([pattern]) => pattern.test(key));
      if (Object.hasOwn(properties, key) || matched.length) continue;
      if (schema.additionalProperties === false) this.fail(field, `Additional property ${key} is not allowed`);
      else if (isPlainObject(schema.additionalProperties)) this.check(schema.additionalProperties, value[key], child(field, key), depth + 1);
    }
    if (isPlainObject(schema.dependencies)) {
      for (const [name, dependency] of Object.entries(schema.dependencies)) {
        if (!Object.hasOwn(value, name)) continue;
        if (Array.isArray(dependency)) {
          for (const needed of dependency.map(String)) if (!Object.hasOwn(value, needed)) this.fail(field, `Has a dependency on ${needed}`);
        } else this.check(dependency as Schema, value, field, depth + 1);
      }
    }
    if (schema.propertyNames !== undefined)
      for (const key of keys) this.check(schema.propertyNames as Schema, key, field, depth + 1);
    for (const key of keys) {
      const here = child(field, key);
      if (Object.hasOwn(properties, key)) this.check(properties[key] as Schema, value[key], here, depth + 1);
      for (const [pattern, sub] of patterns) if (pattern.test(key)) this.check(sub as Schema, value[key], here, depth + 1);
    }
  }

  private string(schema: Record<string, unknown>, value: string, field: string): void {
    const length = [...value].length;
    if (isNumber(schema.minLength) && length < Number(schema.minLength)) this.fail(field, `String length must be greater than or equal to ${schema.minLength}`);
    if (isNumber(schema.maxLength) && length > Number(schema.maxLength)) this.fail(field, `String length must be less than or equal to ${schema.maxLength}`);
    if (typeof schema.pattern === 'string' && !compile(schema.pattern).test(value)) this.fail(field, `Does not match pattern '${schema.pattern}'`);
  }

  private number(schema: Record<string, unknown>, value: number, field: string): void {
    const bound = (key: string) => (isNumber(schema[key]) ? Number(schema[key]) : undefined);
    const minimum = bound('minimum');
    const maximum = bound('maximum');
    // Draft-04's boolean exclusiveMinimum/Maximum make minimum/maximum strict; draft-06 and later give the bound itself.
    const exclusiveMinimum = schema.exclusiveMinimum === true ? minimum : bound('exclusiveMinimum');
    const exclusiveMaximum = schema.exclusiveMaximum === true ? maximum : bound('exclusiveMaximum');
    if (exclusiveMinimum !== undefined && value <= exclusiveMinimum) this.fail(field, `Must be greater than ${exclusiveMinimum}`);
    else if (minimum !== undefined && schema.exclusiveMinimum !== true && value < minimum) this.fail(field, `Must be greater than or equal to ${minimum}`);
    if (exclusiveMaximum !== undefined && value >= exclusiveMaximum) this.fail(field, `Must be less than ${exclusiveMaximum}`);
    else if (maximum !== undefined && schema.exclusiveMaximum !== true && value > maximum) this.fail(field, `Must be less than or equal to ${maximum}`);
    const multipleOf = bound('multipleOf');
    if (multipleOf && !Number.isInteger(value / multipleOf)) this.fail(field, `Must be a multiple of ${multipleOf}`);
  }
}

const child = (field: string, key: string) => (field === '(root)' ? key : `${field}.${key}`);
const isNumber = (value: unknown): value is number | bigint => (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'bigint';

function compile(pattern: string): GoRegExp {
  try {
    return GoRegExp.compile(pattern);
  } catch (error) {
    throw new HelmError(`values.schema.json: Invalid regex pattern '${pattern}': ${(error as Error).message}`);
  }
}

/** gojsonschema's names for a JSON value's type: whole numbers are integers. */
function typeOf(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return 'integer';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  return Array.isArray(value) ? 'array' : 'object';
}

const goJson = (value: unknown) => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
const jsonEqual = (a: unknown, b: unknown) => goJson(canonical(a)) === goJson(canonical(b));

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (isPlainObject(value))
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical(value[k])]),
    );
  return typeof value === 'bigint' ? Number(value) : value;
}

function parseSchema(chart: Chart, where: string): Schema {
  try {
    const parsed: unknown = JSON.parse(chart.schema!.toString('utf8'));
    if (isPlainObject(parsed) || typeof parsed === 'boolean') return parsed;
  } catch (error) {
    throw new HelmError(`${where}: values.schema.json: ${(error as Error).message}`);
  }
  throw new HelmError(`${where}: values.schema.json: the schema is not an object`);
}

/** The `- field: description` lines of one chart's violations, or '' when its values are valid. */
function chartViolations(chart: Chart, values: Values): string {
  if (!chart.schema) return '';
  const schema = parseSchema(chart, chart.name);
  const validation = new Validation(schema);
  validation.check(schema, values, '(root)', 0);
  return validation.errors.map((e) => `- ${e}\n`).join('');
}

/** Every chart's violations, the chart's first and then its enabled subcharts' with the values they are given, as Helm lists them. */
function collectViolations(chart: Chart, values: Values): string {
  const own = chartViolations(chart, values);
  let text = own ? `${chart.name}:\n${own}` : '';
  for (const subchart of chart.subcharts) {
    const subValues = values[subchart.name];
    text += collectViolations(subchart, isPlainObject(subValues) ? subValues : {});
  }
  return text;
}

/**
 * Refuses values that break the chart's or a subchart's values.schema.json, with Helm 3's message:
 * `values don't meet the specifications of the schema(s) in the following chart(s):` and then,
 * per chart, its name and one `- field: description` line per violation.
 */
export function validateValuesAgainstSchemas(chart: Chart, values: Values): void {
  const violations = collectViolations(chart, values);
  if (violations) throw new HelmError(`values don't meet the specifications of the schema(s) in the following chart(s):\n${violations}`);
}
