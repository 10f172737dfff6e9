import { formatGoFloat } from '../flatten.js';
import { isPlainObject } from '../../lib/json-values.js';
import { isGoMethod } from './func-map.js';
import { allocate, spend, valueLimit } from './render-budget.js';

/**
 * How Go values are modelled: Go ints are bigint, float64 is number (all numbers that come from
 * JSON or YAML parameters are float64 in Argo CD), strings, booleans, []interface{} as arrays,
 * map[string]interface{} as plain objects, nil as null; a missing map entry is undefined.
 */
export type GoValue = unknown;

export type GoKind = 'invalid' | 'nil' | 'bool' | 'int' | 'float64' | 'complex128' | 'string' | 'slice' | 'map' | 'func' | 'time';

/** A complex128, which only a template's own constants (1+2i, 3i) make. */
export class GoComplex {
  constructor(
    readonly real: number,
    readonly imaginary: number,
  ) {}
}

export function kindOf(value: GoValue): GoKind {
  if (value === undefined) return 'invalid';
  if (value === null) return 'nil';
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float64';
    case 'string':
      return 'string';
    case 'function':
      return 'func';
  }
  if (Array.isArray(value)) return 'slice';
  if (value instanceof Date) return 'time';
  if (value instanceof GoComplex) return 'complex128';
  return 'map';
}

const nilSlices = new WeakSet<unknown[]>();

/** A nil []interface{} (sprig's initial and rest of an empty list): prints as [] but encodes as JSON null. */
export function nilSlice(): unknown[] {
  const slice: unknown[] = [];
  nilSlices.add(slice);
  return slice;
}

export function isNilSlice(value: GoValue): boolean {
  return Array.isArray(value) && nilSlices.has(value);
}

/** Go's type names as errors print them. */
export function typeName(value: GoValue): string {
  switch (kindOf(value)) {
    case 'invalid':
      return 'invalid';
    case 'nil':
      return '<nil>';
    case 'bool':
      return 'bool';
    case 'int':
      return 'int';
    case 'float64':
      return 'float64';
    case 'complex128':
      return 'complex128';
    case 'string':
      return 'string';
    case 'slice':
      return '[]interface {}';
    case 'map':
      return 'map[string]interface {}';
    case 'func':
      return 'func';
    case 'time':
      return 'time.Time';
  }
}

/** text/template's truth: false, 0, "", nil and empty collections are false. */
export function isTrue(value: GoValue): boolean {
  switch (kindOf(value)) {
    case 'invalid':
    case 'nil':
      return false;
    case 'bool':
      return value as boolean;
    case 'int':
      return (value as bigint) !== 0n;
    case 'float64':
      return (value as number) !== 0;
    case 'complex128':
      return (value as GoComplex).real !== 0 || (value as GoComplex).imaginary !== 0;
    case 'string':
      return (value as string).length > 0;
    case 'slice':
      return (value as unknown[]).length > 0;
    case 'map':
      return Object.keys(value as object).length > 0;
    default:
      return true;
  }
}

/**
 * About how many characters a value prints or serializes to, counted only until `limit` is passed:
 * a list holding the same big list twice prints it twice, so sizes grow exponentially with nesting
 * while the value itself stays small.
 */
export function boundedSize(value: GoValue, limit: number): number {
  let total = 0;
  const visit = (v: GoValue): void => {
    if (total > limit) return;
    switch (kindOf(v)) {
      case 'string':
        total += (v as string).length + 2;
        return;
      case 'slice':
        total += 2;
        for (const item of v as unknown[]) {
          visit(item);
          total++;
          if (total > limit) return;
        }
        return;
      case 'map':
        total += 2;
        for (const [key, item] of Object.entries(v as Record<string, unknown>)) {
          total += key.length + 4;
          visit(item);
          if (total > limit) return;
        }
        return;
      default:
        total += 24;
    }
  };
  visit(value);
  spend(Math.min(total, limit));
  return total;
}

/** Checks (and charges) what printing or copying a list or map will build, before building it. */
export function allocateFor(value: GoValue): void {
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) allocate(boundedSize(value, valueLimit()));
}

/** fmt's %v. */
export function formatValue(value: GoValue, plusV = false): string {
  allocateFor(value);
  return formatChecked(value, plusV);
}

function formatChecked(value: GoValue, plusV: boolean): string {
  switch (kindOf(value)) {
    case 'invalid':
      return '<invalid reflect.Value>';
    case 'nil':
      return '<nil>';
    case 'float64':
      return formatGoFloat(value as number);
    case 'complex128':
      return formatComplex(value as GoComplex, formatGoFloat);
    case 'slice':
      return `[${(value as unknown[]).map((v) => formatChecked(v, plusV)).join(' ')}]`;
    case 'map': {
      const record = value as Record<string, unknown>;
      // A sprig semver.Version prints through its String method.
      if (typeof record.Major === 'bigint' && typeof record.Original === 'string') {
        return `${record.Major}.${record.Minor}.${record.Patch}${record.Prerelease ? `-${record.Prerelease}` : ''}${record.Metadata ? `+${record.Metadata}` : ''}`;
      }
      // A value with a String method (Helm's .Capabilities.KubeVersion) prints through it, as a Go Stringer does.
      if (isGoMethod(record.String)) return String(record.String());
      return `map[${Object.keys(record)
        .sort()
        .map((k) => `${k}:${formatChecked(record[k], plusV)}`)
        .join(' ')}]`;
    }
    case 'func':
      return '<func>';
    case 'time':
      return goTimeString(value as Date);
    default:
      return String(value);
  }
}

/** fmt's complex: (real±imaginary i), the imaginary part always signed. */
function formatComplex(value: GoComplex, formatPart: (part: number) => string): string {
  const imaginary = formatPart(value.imaginary);
  return `(${formatPart(value.real)}${/^[+-]/.test(imaginary) ? imaginary : `+${imaginary}`}i)`;
}

/** What {{ pipeline }} prints: a missing or nil value prints as <no value>. */
export function printed(value: GoValue): string {
  if (value === undefined || value === null) return '<no value>';
  return formatValue(value);
}

export function isMap(value: GoValue): value is Record<string, unknown> {
  return isPlainObject(value);
}

/** Converts a value to a Go int for a function that takes one, as text/template's argument checks do. */
export function toInt(value: GoValue, what = 'value'): bigint {
  if (typeof value === 'bigint') return value;
  throw new Error(`wrong type for ${what}; expected int; got ${typeName(value)}`);
}

/** time.Time's String() for a UTC time: 2006-01-02 15:04:05.999999999 +0000 UTC. */
export function goTimeString(date: Date): string {
  const iso = date.toISOString();
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ''} +0000 UTC`;
}
