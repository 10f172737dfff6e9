import type { FuncMap, GoFunction } from './func-map.js';
import { sprint, sprintf, sprintln } from './fmt.js';
import { formatValue, GoComplex, isMap, isTrue, kindOf, typeName, type GoValue } from './value.js';

/** Declares a function's argument count when it is not its JavaScript parameter count. */
export function arity<F extends (...args: any[]) => unknown>(fn: F, minArgs: number, maxArgs = minArgs): GoFunction {
  return Object.assign(fn, { minArgs, maxArgs });
}

const variadic = <F extends (...args: any[]) => unknown>(fn: F, minArgs = 0): GoFunction => arity(fn, minArgs, Infinity);

type Thunk = () => GoValue;

const and = Object.assign(
  (...thunks: Thunk[]) => {
    let value: GoValue;
    for (const thunk of thunks) {
      value = thunk();
      if (!isTrue(value)) return value;
    }
    return value;
  },
  { lazy: true, minArgs: 1, maxArgs: Infinity },
);

const or = Object.assign(
  (...thunks: Thunk[]) => {
    let value: GoValue;
    for (const thunk of thunks) {
      value = thunk();
      if (isTrue(value)) return value;
    }
    return value;
  },
  { lazy: true, minArgs: 1, maxArgs: Infinity },
);

function basicKind(value: GoValue): 'bool' | 'int' | 'float' | 'complex' | 'string' | 'nil' | undefined {
  switch (kindOf(value)) {
    case 'bool':
      return 'bool';
    case 'int':
      return 'int';
    case 'float64':
      return 'float';
    case 'complex128':
      return 'complex';
    case 'string':
      return 'string';
    case 'invalid':
    case 'nil':
      return 'nil';
    default:
      return undefined;
  }
}

function equal(a: GoValue, b: GoValue): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka === 'nil' || kb === 'nil') return ka === kb;
  if (!ka || !kb) {
    const culprit = ka ? b : a;
    throw new Error(`non-comparable type ${formatValue(culprit)}: ${typeName(culprit)}`);
  }
  if (ka !== kb) throw new Error('incompatible types for comparison');
  if (a instanceof GoComplex && b instanceof GoComplex) return a.real === b.real && a.imaginary === b.imaginary;
  return a === b;
}

function lessThan(a: GoValue, b: GoValue): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (!ka || !kb || ka === 'nil' || kb === 'nil' || ka === 'bool' || kb === 'bool' || ka === 'complex' || kb === 'complex')
    throw new Error('invalid type for comparison');
  if (ka !== kb) throw new Error('incompatible types for comparison');
  return (a as number | bigint | string) < (b as number | bigint | string);
}

function indexOf(item: GoValue, key: GoValue): GoValue {
  if (item === undefined || item === null) throw new Error('index of untyped nil');
  if (isMap(item)) {
    if (typeof key !== 'string') throw new Error(`value has type ${typeName(key)}; should be string`);
    return Object.hasOwn(item, key) ? item[key] : null;
  }
  if (Array.isArray(item) || typeof item === 'string') {
    if (typeof key !== 'bigint') throw new Error(`cannot index slice/array with type ${typeName(key)}`);
    const length = typeof item === 'string' ? Buffer.byteLength(item) : item.length;
    if (key < 0n || key > BigInt(length)) throw new Error(`index out of range: ${key}`);
    // indexArg lets an index equal to the length through; reflect's Index then panics.
    if (key === BigInt(length)) throw new Error(`reflect: ${typeof item === 'string' ? 'string' : 'slice'} index out of range`);
    return typeof item === 'string' ? BigInt(Buffer.from(item)[Number(key)]) : item[Number(key)];
  }
  throw new Error(`can't index item of type ${typeName(item)}`);
}

function sliceOf(item: GoValue, ...indexes: GoValue[]): GoValue {
  if (typeof item !== 'string' && !Array.isArray(item)) throw new Error(`can't slice item of type ${typeName(item)}`);
  if (indexes.length > 3) throw new Error(`too many slice indexes: ${indexes.length}`);
  if (typeof item === 'string' && indexes.length > 2) throw new Error('cannot 3-index slice a string');
  const length = typeof item === 'string' ? item.length : item.length;
  const bounds = indexes.map((i) => {
    if (typeof i !== 'bigint') throw new Error(`cannot index slice/array with type ${typeName(i)}`);
    if (i < 0n || i > BigInt(length)) throw new Error(`index out of range: ${i}`);
    return Number(i);
  });
  const [start = 0, end = length] = bounds;
  if (start > end) throw new Error(`invalid slice index: ${start} > ${end}`);
  return item.slice(start, end);
}

function lengthOf(item: GoValue): bigint {
  if (item === undefined || item === null) throw new Error('len of nil pointer');
  if (typeof item === 'string') return BigInt(Buffer.byteLength(item));
  if (Array.isArray(item)) return BigInt(item.length);
  if (isMap(item)) return BigInt(Object.keys(item).length);
  throw new Error(`len of type ${typeName(item)}`);
}

const HTML_ESCAPES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&#34;', '\0': '\uFFFD' };

function jsEscape(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.codePointAt(0)!;
    if (c === '\\') out += '\\\\';
    else if (c === "'") out += "\\'";
    else if (c === '"') out += '\\"';
    else if (c === '<') out += '\\u003C';
    else if (c === '>') out += '\\u003E';
    else if (c === '&') out += '\\u0026';
    else if (c === '=') out += '\\u003D';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (code < 0x20) out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += c;
  }
  return out;
}

/** Go's url.QueryEscape. */
export function queryEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** text/template's predefined functions. */
/** The escapers' evalArgs: an untyped nil prints as text/template's "<no value>", not fmt's "<nil>". */
function escaperText(args: GoValue[]): string {
  return sprint(args.map((arg) => (arg === null || arg === undefined ? '<no value>' : arg)));
}

export const builtinFunctions: FuncMap = {
  and,
  or,
  not: (value: GoValue) => !isTrue(value),
  len: lengthOf,
  index: variadic((item: GoValue, ...keys: GoValue[]) => keys.reduce((current, key) => indexOf(current, key), item), 1),
  slice: variadic(sliceOf, 1),
  eq: variadic((a: GoValue, ...rest: GoValue[]) => {
    if (rest.length === 0) throw new Error('missing argument for comparison');
    return rest.some((b) => equal(a, b));
  }, 1),
  ne: (a: GoValue, b: GoValue) => !equal(a, b),
  lt: (a: GoValue, b: GoValue) => lessThan(a, b),
  le: (a: GoValue, b: GoValue) => lessThan(a, b) || equal(a, b),
  gt: (a: GoValue, b: GoValue) => !lessThan(a, b) && !equal(a, b),
  ge: (a: GoValue, b: GoValue) => !lessThan(a, b),
  print: variadic((...args: GoValue[]) => sprint(args)),
  printf: variadic((format: GoValue, ...args: GoValue[]) => {
    if (typeof format !== 'string') throw new Error(`wrong type for value; expected string; got ${typeName(format)}`);
    return sprintf(format, args);
  }, 1),
  println: variadic((...args: GoValue[]) => sprintln(args)),
  html: variadic((...args: GoValue[]) => escaperText(args).replace(/[<>&'"\0]/g, (c) => HTML_ESCAPES[c])),
  js: variadic((...args: GoValue[]) => jsEscape(escaperText(args))),
  urlquery: variadic((...args: GoValue[]) => queryEscape(escaperText(args))),
  call: variadic((fn: GoValue, ...args: GoValue[]) => {
    if (typeof fn !== 'function') throw new Error(`non-function of type ${typeName(fn)}`);
    return fn(...args);
  }, 1),
};
