import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import path from 'node:path';
import { isPlainObject } from '../flatten.js';
import { GoRegExp } from '../go-regexp.js';
import { arity } from './builtins.js';
import type { FuncMap } from './func-map.js';
import { goQuote, sprintf } from './fmt.js';
import { formatGoDuration, parseGoDuration, parseGoTime, wallClockIn } from './go-time.js';
import { parseSemver, semverCompare, semverString, type SemVer } from './semver.js';
import { allocate, checkValueSize, listBytes, spend } from './render-budget.js';
import { allocateFor, formatValue, isMap, kindOf, typeName, type GoValue } from './value.js';

/**
 * Sprig's text function map (Masterminds/sprig v3) as Argo CD exposes it: without env, expandenv
 * and getHostByName. The crypto helpers (keys, certificates, bcrypt, AES) are in sprig-crypto.ts.
 */

const variadic = <F extends (...args: any[]) => unknown>(fn: F, minArgs = 0) => arity(fn, minArgs, Infinity);

/** sprig's strval: strings as they are, nil as "", everything else as %v. */
export function strval(value: GoValue): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (isSemver(value)) return semverString(value);
  return formatValue(value);
}

/** cast.ToInt64E as sprig uses it: bad input becomes 0. */
export function toInt64(value: GoValue): bigint {
  switch (typeof value) {
    case 'bigint':
      return BigInt.asIntN(64, value);
    case 'number':
      return Number.isFinite(value) ? BigInt(Math.trunc(value)) : 0n;
    case 'boolean':
      return value ? 1n : 0n;
    case 'string': {
      const text = value.trim();
      // Longer text cannot be an int64 (strconv fails, cast gives 0), and BigInt would parse it in quadratic time.
      if (text.length > 80) return 0n;
      try {
        if (/^[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]+|[1-9][0-9_]*|0)$/.test(text)) {
          const negative = text.startsWith('-');
          const body = text.replace(/^[+-]/, '').replace(/_/g, '');
          const parsed = /^0[0-7]+$/.test(body) ? BigInt(`0o${body.slice(1)}`) : BigInt(body);
          const signed = negative ? -parsed : parsed;
          return BigInt.asIntN(64, signed) === signed ? signed : 0n;
        }
      } catch {
        return 0n;
      }
      return 0n;
    }
    default:
      return 0n;
  }
}

/** cast.ToFloat64 as sprig's float functions use it. */
export function toFloat64(value: GoValue): number {
  switch (typeof value) {
    case 'number':
      return value;
    case 'bigint':
      return Number(value);
    case 'boolean':
      return value ? 1 : 0;
    case 'string': {
      const parsed = Number(value.trim());
      return value.trim() === '' || Number.isNaN(parsed) ? 0 : parsed;
    }
    default:
      return 0;
  }
}

function isSemver(value: GoValue): value is SemVer {
  return isPlainObject(value) && typeof value.Major === 'bigint' && typeof value.Original === 'string' && 'Prerelease' in value;
}

/** sprig's empty. */
export function empty(value: GoValue): boolean {
  if (value === undefined || value === null) return true;
  switch (typeof value) {
    case 'string':
      return value.length === 0;
    case 'boolean':
      return !value;
    case 'number':
      return value === 0;
    case 'bigint':
      return value === 0n;
  }
  if (Array.isArray(value)) return value.length === 0;
  if (isMap(value)) return Object.keys(value).length === 0;
  return false;
}

function asList(value: GoValue, fn: string): unknown[] {
  if (Array.isArray(value)) return value;
  throw new Error(`Cannot ${fn} on type ${typeName(value)}`);
}

export function asString(value: GoValue, what = 'value'): string {
  if (typeof value === 'string') return value;
  throw new Error(`wrong type for ${what}; expected string; got ${typeName(value)}`);
}

export function asInt(value: GoValue, what = 'value'): number {
  if (typeof value === 'bigint') return Number(value);
  throw new Error(`wrong type for ${what}; expected int; got ${typeName(value)}`);
}

function asDict(value: GoValue): Record<string, unknown> {
  if (isMap(value) && !isSemver(value)) return value;
  throw new Error(`wrong type for value; expected map[string]interface {}; got ${typeName(value)}`);
}

/** Go's encoding/json output: HTML-significant characters escaped, floats as Go formats them. */
export function goJson(value: GoValue, indent = '', escapeHtml = true): string {
  allocateFor(value);
  const convert = (v: GoValue): unknown => {
    if (typeof v === 'bigint') return { __goNumber: v.toString() };
    if (typeof v === 'number') return Number.isFinite(v) ? { __goNumber: goJsonFloat(v) } : null;
    if (v === undefined) return null;
    if (Array.isArray(v)) return v.map(convert);
    if (isSemver(v)) return semverString(v);
    if (isMap(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, convert(v[k])]));
    return v;
  };
  let text = JSON.stringify(convert(value), null, indent || undefined).replace(/\{\s*"__goNumber":\s*"([^"]+)"\s*\}/g, '$1');
  if (escapeHtml) text = text.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
  return text.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function goJsonFloat(value: number): string {
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) {
    const [mantissa, exp] = value.toExponential().split('e');
    const n = Number(exp);
    return `${mantissa}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return String(value);
}

function parseJson(text: string): GoValue {
  return JSON.parse(text) as GoValue;
}

function wrap(width: number, text: string, separator = '\n'): string {
  // Each space or newline may become a separator.
  checkValueSize(text.length + (occurrences(text, ' ') + occurrences(text, '\n')) * separator.length);
  const out: string[] = [];
  for (const line of text.split('\n')) {
    let current = '';
    for (const word of line.split(' ')) {
      if (!current) current = word;
      else if (current.length + 1 + word.length > width) {
        out.push(current);
        current = word;
      } else current += ` ${word}`;
    }
    out.push(current);
  }
  return out.join(separator);
}

function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
}

function deepCopy(value: GoValue): GoValue {
  allocateFor(value);
  const copy = (v: GoValue): GoValue => {
    if (Array.isArray(v)) return v.map(copy);
    if (isMap(v)) return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, copy(item)]));
    return v;
  };
  return copy(value);
}

/** mergo.Merge into dst: keys dst lacks (or holds empty) come from src, maps merge deeply. */
function mergeInto(dst: Record<string, unknown>, src: Record<string, unknown>, overwrite: boolean): void {
  for (const [key, value] of Object.entries(src)) {
    const current = dst[key];
    if (isMap(current) && isMap(value)) mergeInto(current, value, overwrite);
    else if (overwrite ? value !== undefined && !(empty(value) && current !== undefined && !isMap(value) && value !== false && value !== 0) : empty(current)) {
      dst[key] = deepCopy(value);
    }
  }
}

function uniqueList(list: unknown[]): unknown[] {
  allocate(listBytes(list.length));
  const out: unknown[] = [];
  for (const item of list) if (!out.some((o) => deepEqual(o, item))) out.push(item);
  return out;
}

function deepEqual(a: GoValue, b: GoValue): boolean {
  spend(1);
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return a === b;
}

/** Go's time layouts (reference time Mon Jan 2 15:04:05 MST 2006) applied to a UTC date. */
function formatDate(layout: string, date: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const tokens: [string, () => string][] = [
    ['2006', () => String(date.getUTCFullYear())],
    ['January', () => months[date.getUTCMonth()]],
    ['Monday', () => days[date.getUTCDay()]],
    ['Jan', () => months[date.getUTCMonth()].slice(0, 3)],
    ['Mon', () => days[date.getUTCDay()].slice(0, 3)],
    ['MST', () => 'UTC'],
    ['Z07:00', () => 'Z'],
    ['-07:00', () => '+00:00'],
    ['-0700', () => '+0000'],
    ['.000000000', () => `.${pad(date.getUTCMilliseconds(), 3)}000000`],
    ['.000000', () => `.${pad(date.getUTCMilliseconds(), 3)}000`],
    ['.000', () => `.${pad(date.getUTCMilliseconds(), 3)}`],
    ['06', () => pad(date.getUTCFullYear() % 100)],
    ['01', () => pad(date.getUTCMonth() + 1)],
    ['02', () => pad(date.getUTCDate())],
    ['15', () => pad(date.getUTCHours())],
    ['03', () => pad(date.getUTCHours() % 12 || 12)],
    ['04', () => pad(date.getUTCMinutes())],
    ['05', () => pad(date.getUTCSeconds())],
    ['PM', () => (date.getUTCHours() >= 12 ? 'PM' : 'AM')],
    ['pm', () => (date.getUTCHours() >= 12 ? 'pm' : 'am')],
    ['_2', () => String(date.getUTCDate()).padStart(2, ' ')],
    ['1', () => String(date.getUTCMonth() + 1)],
    ['2', () => String(date.getUTCDate())],
    ['3', () => String(date.getUTCHours() % 12 || 12)],
    ['4', () => String(date.getUTCMinutes())],
    ['5', () => String(date.getUTCSeconds())],
  ];
  let out = '';
  for (let i = 0; i < layout.length; ) {
    // Each character is tried against every token: a long layout is slow, so it counts as work.
    spend(tokens.length);
    const token = tokens.find(([t]) => layout.startsWith(t, i));
    if (token) {
      out += token[1]();
      i += token[0].length;
    } else out += layout[i++];
  }
  return out;
}

function toDate(value: GoValue): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'bigint') return new Date(Number(value) * 1000);
  if (typeof value === 'number') return new Date(value * 1000);
  if (typeof value === 'string') {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date;
  }
  return new Date(0);
}

/** Go's zero time.Time, which sprig's toDate returns for text that does not fit the layout. */
const GO_ZERO_TIME = new Date(-62135596800000);

const RAND_ALPHA = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const RAND_DIGITS = '0123456789';
function random(alphabet: string, count: number): string {
  checkValueSize(count);
  const out = new Array<string>(count);
  for (let i = 0; i < count; i += 4096) {
    // 32 random bits a character, drawn in blocks: the modulo's bias is below 2^-25.
    const block = randomBytes(4 * Math.min(4096, count - i));
    for (let k = 0; k < block.length; k += 4) out[i + k / 4] = alphabet[block.readUInt32LE(k) % alphabet.length];
    spend(4096);
  }
  return out.join('');
}

/** How often `part` occurs in `text` (an empty part: between every character, as strings.Count). */
function occurrences(text: string, part: string): number {
  if (part === '') return text.length + 1;
  let count = 0;
  for (let at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length)) count++;
  return count;
}

/** Joins strings after checking the size of the result. */
function joinChecked(parts: string[], separator: string): string {
  checkValueSize(parts.reduce((sum, part) => sum + part.length, 0) + Math.max(0, parts.length - 1) * separator.length);
  return parts.join(separator);
}

/** A list of `length` elements is about to be built. */
function listOf<T>(length: number, build: () => T[]): T[] {
  allocate(listBytes(length));
  return build();
}

function indent(spaces: number, text: string, lead: string): string {
  const pad = Math.max(0, spaces);
  checkValueSize(lead.length + text.length + pad * (occurrences(text, '\n') + 1));
  const padding = ' '.repeat(pad);
  return lead + padding + text.replace(/\n/g, `\n${padding}`);
}

function splitToMap(parts: string[]): Record<string, string> {
  allocate(listBytes(parts.length * 4));
  return Object.fromEntries(parts.map((p, i) => [`_${i}`, p]));
}

/** strings.Split, checked: the number of parts is known before splitting. */
function splitChecked(text: string, separator: string): string[] {
  allocate(listBytes(occurrences(text, separator) + 1));
  return text.split(separator);
}

export const sprigFunctions: FuncMap = {
  // Strings
  upper: (s: GoValue) => asString(s).toUpperCase(),
  lower: (s: GoValue) => asString(s).toLowerCase(),
  title: (s: GoValue) => asString(s).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, sep, c) => sep + c.toUpperCase()),
  untitle: (s: GoValue) => asString(s).replace(/(^|\s)(\p{L})/gu, (_m, sep, c) => sep + c.toLowerCase()),
  swapcase: (s: GoValue) => [...asString(s)].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''),
  substr: (start: GoValue, end: GoValue, s: GoValue) => {
    const text = asString(s);
    const a = asInt(start);
    const b = asInt(end);
    if (a < 0) return text.slice(0, b);
    if (b < 0 || b > text.length) return text.slice(a);
    return text.slice(a, b);
  },
  trunc: (n: GoValue, s: GoValue) => {
    const c = asInt(n);
    const text = asString(s);
    if (c < 0 && text.length + c > 0) return text.slice(text.length + c);
    if (c >= 0 && text.length > c) return text.slice(0, c);
    return text;
  },
  trim: (s: GoValue) => asString(s).trim(),
  trimAll: (cutset: GoValue, s: GoValue) => trimChars(asString(s), asString(cutset), true, true),
  trimPrefix: (prefix: GoValue, s: GoValue) => (asString(s).startsWith(asString(prefix)) ? asString(s).slice(asString(prefix).length) : asString(s)),
  trimSuffix: (suffix: GoValue, s: GoValue) => {
    const text = asString(s);
    const end = asString(suffix);
    return end && text.endsWith(end) ? text.slice(0, -end.length) : text;
  },
  nospace: (s: GoValue) => asString(s).replace(/\s+/g, ''),
  initials: (s: GoValue) => asString(s).split(/\s+/).filter(Boolean).map((w) => w[0]).join(''),
  repeat: (count: GoValue, s: GoValue) => {
    const text = asString(s);
    const times = Math.max(0, asInt(count));
    checkValueSize(times * text.length);
    return text.repeat(times);
  },
  replace: (oldText: GoValue, newText: GoValue, s: GoValue) => {
    const [text, from, to] = [asString(s), asString(oldText), asString(newText)];
    checkValueSize(text.length + occurrences(text, from) * Math.max(0, to.length - from.length));
    return text.split(from).join(to);
  },
  wrap: (width: GoValue, s: GoValue) => wrap(asInt(width), asString(s)),
  wrapWith: (width: GoValue, separator: GoValue, s: GoValue) => wrap(asInt(width), asString(s), asString(separator)),
  contains: (substr: GoValue, s: GoValue) => asString(s).includes(asString(substr)),
  hasPrefix: (prefix: GoValue, s: GoValue) => asString(s).startsWith(asString(prefix)),
  hasSuffix: (suffix: GoValue, s: GoValue) => asString(s).endsWith(asString(suffix)),
  quote: variadic((...args: GoValue[]) => joinChecked(args.filter((a) => a !== null && a !== undefined).map((a) => goQuote(strval(a))), ' ')),
  squote: variadic((...args: GoValue[]) => joinChecked(args.filter((a) => a !== null && a !== undefined).map((a) => `'${strval(a)}'`), ' ')),
  cat: variadic((...args: GoValue[]) => joinChecked(args.filter((a) => a !== null && a !== undefined).map(strval), ' ')),
  indent: (spaces: GoValue, s: GoValue) => indent(asInt(spaces), asString(s), ''),
  nindent: (spaces: GoValue, s: GoValue) => indent(asInt(spaces), asString(s), '\n'),
  abbrev: (width: GoValue, s: GoValue) => {
    const w = asInt(width);
    const text = asString(s);
    if (w < 4 || text.length <= w) return text;
    return `${text.slice(0, w - 3)}...`;
  },
  abbrevboth: (left: GoValue, width: GoValue, s: GoValue) => {
    const text = asString(s);
    const l = asInt(left);
    const w = asInt(width);
    if (w < 4 || text.length <= w) return text;
    const offset = Math.max(0, Math.min(l, text.length));
    if (offset <= 4) return `${text.slice(0, w - 3)}...`;
    const rest = text.slice(offset);
    return rest.length + 3 <= w ? `...${rest}` : `...${rest.slice(0, w - 6)}...`;
  },
  plural: (one: GoValue, many: GoValue, count: GoValue) => (asInt(count) === 1 ? asString(one) : asString(many)),
  snakecase: (s: GoValue) => words(asString(s)).map((w) => w.toLowerCase()).join('_'),
  camelcase: (s: GoValue) => asString(s).split(/[_\s-]+/).filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join(''),
  kebabcase: (s: GoValue) => words(asString(s)).map((w) => w.toLowerCase()).join('-'),
  shuffle: (s: GoValue) => shuffle(asString(s)),
  toString: (v: GoValue) => strval(v),
  toStrings: (v: GoValue) => (Array.isArray(v) ? listOf(v.length, () => v.map(strval)) : [strval(v)]),
  split: (separator: GoValue, s: GoValue) => splitToMap(splitChecked(asString(s), asString(separator))),
  splitList: (separator: GoValue, s: GoValue) => splitChecked(asString(s), asString(separator)),
  splitn: (separator: GoValue, n: GoValue, s: GoValue) => {
    const parts = splitChecked(asString(s), asString(separator));
    const limit = asInt(n);
    if (limit > 0 && parts.length > limit) parts.splice(limit - 1, parts.length, parts.slice(limit - 1).join(asString(separator)));
    return splitToMap(parts);
  },
  join: (separator: GoValue, list: GoValue) => joinChecked(Array.isArray(list) ? list.filter((v) => v !== null && v !== undefined).map(strval) : [strval(list)], asString(separator)),
  sortAlpha: (list: GoValue) => (Array.isArray(list) ? listOf(list.length, () => list.map(strval).sort()) : [strval(list)]),
  randAlphaNum: (n: GoValue) => random(RAND_ALPHA + RAND_DIGITS, asInt(n)),
  randAlpha: (n: GoValue) => random(RAND_ALPHA, asInt(n)),
  randNumeric: (n: GoValue) => random(RAND_DIGITS, asInt(n)),
  randAscii: (n: GoValue) => random(Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join(''), asInt(n)),
  uuidv4: () => randomUUID(),

  // Regular expressions (Go RE2 syntax)
  regexMatch: (regex: GoValue, s: GoValue) => GoRegExp.compile(asString(regex)).test(asString(s)),
  regexFind: (regex: GoValue, s: GoValue) => GoRegExp.compile(asString(regex)).find(asString(s)),
  regexFindAll: (regex: GoValue, s: GoValue, n: GoValue) => GoRegExp.compile(asString(regex)).findAll(asString(s), asInt(n)),
  regexReplaceAll: (regex: GoValue, s: GoValue, replacement: GoValue) => GoRegExp.compile(asString(regex)).replaceAll(asString(s), asString(replacement)),
  regexReplaceAllLiteral: (regex: GoValue, s: GoValue, replacement: GoValue) => GoRegExp.compile(asString(regex)).replaceAllLiteral(asString(s), asString(replacement)),
  regexSplit: (regex: GoValue, s: GoValue, n: GoValue) => GoRegExp.compile(asString(regex)).split(asString(s), asInt(n)),
  regexQuoteMeta: (s: GoValue) => asString(s).replace(/[\\.+*?()|[\]{}^$]/g, '\\$&'),

  // Defaults and flow
  default: variadic((fallback: GoValue, ...given: GoValue[]) => (given.length === 0 || empty(given[0]) ? fallback : given[0]), 1),
  empty: (v: GoValue) => empty(v),
  coalesce: variadic((...values: GoValue[]) => values.find((v) => !empty(v)) ?? null),
  all: variadic((...values: GoValue[]) => values.every((v) => !empty(v))),
  any: variadic((...values: GoValue[]) => values.some((v) => !empty(v))),
  compact: (list: GoValue) => listOf(asList(list, 'compact').length, () => (list as unknown[]).filter((v) => !empty(v))),
  ternary: (whenTrue: GoValue, whenFalse: GoValue, condition: GoValue) => {
    if (typeof condition !== 'boolean') throw new Error(`wrong type for value; expected bool; got ${typeName(condition)}`);
    return condition ? whenTrue : whenFalse;
  },
  fail: (message: GoValue) => {
    throw new Error(asString(message));
  },
  fromJson: (s: GoValue) => {
    try {
      return parseJson(asString(s));
    } catch {
      return null;
    }
  },
  mustFromJson: (s: GoValue) => parseJson(asString(s)),
  toJson: (v: GoValue) => goJson(v),
  toPrettyJson: (v: GoValue) => goJson(v, '  '),
  toRawJson: (v: GoValue) => goJson(v, '', false),
  deepCopy: (v: GoValue) => deepCopy(v),
  deepEqual: (a: GoValue, b: GoValue) => deepEqual(a, b),

  // Type conversion and reflection
  atoi: (s: GoValue) => {
    const text = asString(s);
    if (text.length > 20 || !/^[+-]?\d+$/.test(text)) return 0n;
    const value = BigInt(text);
    return BigInt.asIntN(64, value) === value ? value : 0n;
  },
  int: (v: GoValue) => toInt64(v),
  int64: (v: GoValue) => toInt64(v),
  float64: (v: GoValue) => toFloat64(v),
  toDecimal: (v: GoValue) => {
    const text = strval(v);
    if (text.length > 22 || !/^[0-7]+$/.test(text)) return 0n;
    const value = BigInt(`0o${text}`);
    return BigInt.asIntN(64, value) === value ? value : 0n;
  },
  typeOf: (v: GoValue) => (v === undefined || v === null ? '<nil>' : isSemver(v) ? '*semver.Version' : typeName(v)),
  typeIs: (target: GoValue, v: GoValue) => asString(target) === (v === undefined || v === null ? '<nil>' : typeName(v)),
  typeIsLike: (target: GoValue, v: GoValue) => {
    const name = v === undefined || v === null ? '<nil>' : typeName(v);
    return asString(target) === name || asString(target) === `*${name}`;
  },
  kindOf: (v: GoValue) => goKind(v),
  kindIs: (target: GoValue, v: GoValue) => asString(target) === goKind(v),

  // Encoding and hashing
  b64enc: (s: GoValue) => Buffer.from(strval(s), 'utf8').toString('base64'),
  b64dec: (s: GoValue) => {
    const text = strval(s);
    const decoded = Buffer.from(text, 'base64');
    return decoded.toString('base64').replace(/=+$/, '') === text.replace(/=+$/, '') ? decoded.toString('utf8') : 'illegal base64 data at input byte 0';
  },
  b32enc: (s: GoValue) => base32Encode(Buffer.from(strval(s), 'utf8')),
  b32dec: (s: GoValue) => base32Decode(strval(s)),
  sha1sum: (s: GoValue) => createHash('sha1').update(strval(s)).digest('hex'),
  sha256sum: (s: GoValue) => createHash('sha256').update(strval(s)).digest('hex'),
  sha512sum: (s: GoValue) => createHash('sha512').update(strval(s)).digest('hex'),
  adler32sum: (s: GoValue) => String(adler32(Buffer.from(strval(s), 'utf8'))),
  randBytes: (n: GoValue) => {
    checkValueSize(Math.ceil(asInt(n) / 3) * 4);
    return randomBytes(asInt(n)).toString('base64');
  },
  randInt: (min: GoValue, max: GoValue) => BigInt(randomInt(asInt(min), asInt(max))),

  // Lists
  list: variadic((...items: GoValue[]) => listOf(items.length, () => items)),
  tuple: variadic((...items: GoValue[]) => listOf(items.length, () => items)),
  append: (list: GoValue, v: GoValue) => listOf(asList(list, 'append').length + 1, () => [...(list as unknown[]), v]),
  push: (list: GoValue, v: GoValue) => listOf(asList(list, 'push').length + 1, () => [...(list as unknown[]), v]),
  prepend: (list: GoValue, v: GoValue) => listOf(asList(list, 'prepend').length + 1, () => [v, ...(list as unknown[])]),
  first: (list: GoValue) => (asList(list, 'find first').length ? (list as unknown[])[0] : null),
  last: (list: GoValue) => (asList(list, 'find last').length ? (list as unknown[]).at(-1) : null),
  rest: (list: GoValue) => (asList(list, 'find rest').length ? listOf((list as unknown[]).length, () => (list as unknown[]).slice(1)) : null),
  initial: (list: GoValue) => (asList(list, 'find initial').length ? listOf((list as unknown[]).length, () => (list as unknown[]).slice(0, -1)) : null),
  reverse: (list: GoValue) => listOf(asList(list, 'find reverse').length, () => [...(list as unknown[])].reverse()),
  uniq: (list: GoValue) => uniqueList(asList(list, 'find uniq')),
  without: variadic((list: GoValue, ...omit: GoValue[]) => listOf(asList(list, 'find without').length, () => (list as unknown[]).filter((v) => !omit.some((o) => deepEqual(o, v)))), 1),
  has: (needle: GoValue, list: GoValue) => (list === null || list === undefined ? false : asList(list, 'find has').some((v) => deepEqual(v, needle))),
  slice: variadic((list: GoValue, ...indexes: GoValue[]) => {
    if (!Array.isArray(list)) throw new Error(`list should be type of slice or array but ${goKind(list)}`);
    const items = list;
    const [start = 0, end = items.length] = indexes.map((i) => Number(toInt64(i)));
    return listOf(items.length, () => items.slice(start, end));
  }, 1),
  concat: variadic((...lists: GoValue[]) => listOf(lists.reduce<number>((sum, l) => sum + asList(l, 'concat').length, 0), () => lists.flat() as unknown[])),
  chunk: (size: GoValue, list: GoValue) => {
    const n = asInt(size);
    const items = asList(list, 'chunk');
    // Go divides by the size and panics on the slice it makes.
    if (n < 1) throw new Error(`runtime error: makeslice: len out of range`);
    allocate(listBytes(items.length + Math.ceil(items.length / n)));
    const out: unknown[][] = [];
    for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
    return out;
  },
  until: (count: GoValue) => untilStep(0n, toInt64(count), toInt64(count) >= 0n ? 1n : -1n),
  untilStep: (start: GoValue, stop: GoValue, step: GoValue) => untilStep(toInt64(start), toInt64(stop), toInt64(step)),
  seq: variadic((...params: GoValue[]) => seq(params.map(toInt64))),

  // Dictionaries
  dict: variadic((...pairs: GoValue[]) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < pairs.length; i += 2) out[strval(pairs[i])] = i + 1 < pairs.length ? pairs[i + 1] : '';
    return out;
  }),
  get: (dict: GoValue, key: GoValue) => {
    const d = asDict(dict);
    return Object.hasOwn(d, asString(key)) ? d[asString(key)] : '';
  },
  set: (dict: GoValue, key: GoValue, value: GoValue) => {
    const d = asDict(dict);
    d[asString(key)] = value;
    return d;
  },
  unset: (dict: GoValue, key: GoValue) => {
    const d = asDict(dict);
    delete d[asString(key)];
    return d;
  },
  hasKey: (dict: GoValue, key: GoValue) => Object.hasOwn(asDict(dict), asString(key)),
  pluck: variadic((key: GoValue, ...dicts: GoValue[]) => dicts.map(asDict).filter((d) => Object.hasOwn(d, asString(key))).map((d) => d[asString(key)]), 1),
  keys: variadic((...dicts: GoValue[]) => listOf(dicts.reduce<number>((sum, d) => sum + Object.keys(asDict(d)).length, 0), () => dicts.flatMap((d) => Object.keys(asDict(d))).sort()), 1),
  values: (dict: GoValue) => listOf(Object.keys(asDict(dict)).length, () => Object.values(asDict(dict))),
  pick: variadic((dict: GoValue, ...names: GoValue[]) => {
    const d = asDict(dict);
    return Object.fromEntries(names.map(strval).filter((k) => Object.hasOwn(d, k)).map((k) => [k, d[k]]));
  }, 1),
  omit: variadic((dict: GoValue, ...names: GoValue[]) => {
    const d = asDict(dict);
    const drop = new Set(names.map(strval));
    return Object.fromEntries(Object.entries(d).filter(([k]) => !drop.has(k)));
  }, 1),
  dig: variadic((...args: GoValue[]) => {
    if (args.length < 3) throw new Error('dig needs at least three arguments');
    const dict = asDict(args.at(-1));
    const fallback = args.at(-2);
    let current: GoValue = dict;
    for (const key of args.slice(0, -2).map((k) => asString(k))) {
      if (!isMap(current) || !Object.hasOwn(current, key)) return fallback;
      current = current[key];
    }
    return current;
  }, 3),
  merge: variadic((dst: GoValue, ...srcs: GoValue[]) => {
    const d = asDict(dst);
    for (const src of srcs) mergeInto(d, asDict(src), false);
    return d;
  }, 1),
  mergeOverwrite: variadic((dst: GoValue, ...srcs: GoValue[]) => {
    const d = asDict(dst);
    for (const src of srcs) mergeInto(d, asDict(src), true);
    return d;
  }, 1),

  // Math (sprig's integer functions return int64, the f-variants float64)
  add: variadic((...values: GoValue[]) => values.reduce<bigint>((sum, v) => int64(sum + toInt64(v)), 0n)),
  add1: (v: GoValue) => int64(toInt64(v) + 1n),
  sub: (a: GoValue, b: GoValue) => int64(toInt64(a) - toInt64(b)),
  mul: variadic((first: GoValue, ...rest: GoValue[]) => rest.reduce<bigint>((product, v) => int64(product * toInt64(v)), toInt64(first)), 1),
  div: (a: GoValue, b: GoValue) => {
    const divisor = toInt64(b);
    if (divisor === 0n) throw new Error('runtime error: integer divide by zero');
    return int64(toInt64(a) / divisor);
  },
  mod: (a: GoValue, b: GoValue) => {
    const divisor = toInt64(b);
    if (divisor === 0n) throw new Error('runtime error: integer divide by zero');
    return toInt64(a) % divisor;
  },
  max: variadic((first: GoValue, ...rest: GoValue[]) => rest.reduce<bigint>((m, v) => (toInt64(v) > m ? toInt64(v) : m), toInt64(first)), 1),
  min: variadic((first: GoValue, ...rest: GoValue[]) => rest.reduce<bigint>((m, v) => (toInt64(v) < m ? toInt64(v) : m), toInt64(first)), 1),
  addf: variadic((...values: GoValue[]) => values.reduce<number>((sum, v) => sum + toFloat64(v), 0)),
  add1f: (v: GoValue) => toFloat64(v) + 1,
  subf: variadic((first: GoValue, ...rest: GoValue[]) => rest.reduce<number>((d, v) => d - toFloat64(v), toFloat64(first)), 1),
  mulf: variadic((first: GoValue, ...rest: GoValue[]) => rest.reduce<number>((p, v) => p * toFloat64(v), toFloat64(first)), 1),
  divf: variadic((first: GoValue, ...rest: GoValue[]) => rest.reduce<number>((q, v) => q / toFloat64(v), toFloat64(first)), 1),
  maxf: variadic((first: GoValue, ...rest: GoValue[]) => Math.max(toFloat64(first), ...rest.map(toFloat64)), 1),
  minf: variadic((first: GoValue, ...rest: GoValue[]) => Math.min(toFloat64(first), ...rest.map(toFloat64)), 1),
  floor: (v: GoValue) => Math.floor(toFloat64(v)),
  ceil: (v: GoValue) => Math.ceil(toFloat64(v)),
  round: variadic((v: GoValue, places: GoValue, ...roundOn: GoValue[]) => {
    const p = Number(toInt64(places));
    const threshold = roundOn.length ? toFloat64(roundOn[0]) : 0.5;
    const factor = 10 ** p;
    const scaled = toFloat64(v) * factor;
    const whole = Math.trunc(scaled);
    const fraction = Math.abs(scaled - whole);
    return (fraction >= threshold ? whole + Math.sign(scaled || 1) : whole) / factor;
  }, 2),

  // Semantic versions
  semver: (s: GoValue) => parseSemver(asString(s)),
  semverCompare: (constraint: GoValue, version: GoValue) => semverCompare(asString(constraint), asString(version)),

  // Dates (UTC)
  now: () => new Date(),
  date: (layout: GoValue, date: GoValue) => formatDate(asString(layout), toDate(date)),
  dateInZone: (layout: GoValue, date: GoValue, zone: GoValue) => formatDate(asString(layout), new Date(wallClockIn(toDate(date).getTime(), asString(zone)))),
  htmlDateInZone: (date: GoValue, zone: GoValue) => formatDate('2006-01-02', new Date(wallClockIn(toDate(date).getTime(), asString(zone)))),
  htmlDate: (date: GoValue) => formatDate('2006-01-02', toDate(date)),
  unixEpoch: (date: GoValue) => String(Math.floor(toDate(date).getTime() / 1000)),
  toDate: (layout: GoValue, value: GoValue) => parseGoTime(asString(layout), asString(value)) ?? GO_ZERO_TIME,
  mustToDate: (layout: GoValue, value: GoValue) => {
    const date = parseGoTime(asString(layout), asString(value));
    if (!date) throw new Error(`parsing time ${goQuote(asString(value))} as ${goQuote(asString(layout))}: cannot parse`);
    return date;
  },
  dateModify: (modification: GoValue, date: GoValue) => {
    const ns = parseGoDuration(asString(modification));
    return ns === undefined ? toDate(date) : new Date(toDate(date).getTime() + ns / 1e6);
  },
  mustDateModify: (modification: GoValue, date: GoValue) => {
    const ns = parseGoDuration(asString(modification));
    if (ns === undefined) throw new Error(`time: invalid duration ${goQuote(asString(modification))}`);
    return new Date(toDate(date).getTime() + ns / 1e6);
  },
  duration: (seconds: GoValue) => {
    // sprig reads only strings and int64: a float64 from JSON parameters counts as 0, as in Argo CD.
    const n = typeof seconds === 'string' ? (/^-?\d+$/.test(seconds) ? Number(seconds) : 0) : typeof seconds === 'bigint' ? Number(seconds) : 0;
    return formatGoDuration(n * 1e9);
  },
  durationRound: (value: GoValue) => durationRound(value),
  ago: (date: GoValue) => formatGoDuration(Math.round((Date.now() - toDate(date).getTime()) / 1000) * 1e9),

  // Paths (forward slashes, as Go's path package)
  base: (p: GoValue) => path.posix.basename(asString(p)) || '.',
  dir: (p: GoValue) => path.posix.dirname(asString(p)),
  clean: (p: GoValue) => path.posix.normalize(asString(p)).replace(/(.)\/$/, '$1'),
  ext: (p: GoValue) => path.posix.extname(asString(p)),
  isAbs: (p: GoValue) => path.posix.isAbsolute(asString(p)),
  osBase: (p: GoValue) => path.posix.basename(asString(p)) || '.',
  osDir: (p: GoValue) => path.posix.dirname(asString(p)),
  osClean: (p: GoValue) => path.posix.normalize(asString(p)).replace(/(.)\/$/, '$1'),
  osExt: (p: GoValue) => path.posix.extname(asString(p)),
  osIsAbs: (p: GoValue) => path.posix.isAbsolute(asString(p)),

  // URLs
  urlParse: (s: GoValue) => {
    const url = new URL(asString(s));
    return {
      scheme: url.protocol.replace(/:$/, ''),
      host: url.host,
      hostname: url.hostname,
      path: decodeURIComponent(url.pathname),
      query: url.search.replace(/^\?/, ''),
      opaque: '',
      fragment: url.hash.replace(/^#/, ''),
      userinfo: url.username ? `${url.username}${url.password ? `:${url.password}` : ''}` : '',
    };
  },
  urlJoin: (parts: GoValue) => {
    const d = asDict(parts);
    const scheme = strval(d.scheme);
    const query = strval(d.query);
    const fragment = strval(d.fragment);
    const user = strval(d.userinfo);
    return `${scheme ? `${scheme}:` : ''}${d.host ? `//${user ? `${user}@` : ''}${strval(d.host)}` : ''}${strval(d.path)}${query ? `?${query}` : ''}${fragment ? `#${fragment}` : ''}`;
  },

  printf: variadic((format: GoValue, ...args: GoValue[]) => sprintf(asString(format), args), 1),

  hello: () => 'Hello!',
};

// sprig's deprecated spellings, still in its function map.
for (const [alias, name] of [['trimall', 'trimAll'], ['biggest', 'max'], ['date_in_zone', 'dateInZone'], ['date_modify', 'dateModify'], ['must_date_modify', 'mustDateModify']]) {
  sprigFunctions[alias] = sprigFunctions[name];
}

/** sprig's must* forms return errors where the plain forms would panic; here both report the error. */
for (const name of ['mustRegexMatch', 'mustRegexFind', 'mustRegexFindAll', 'mustRegexReplaceAll', 'mustRegexReplaceAllLiteral', 'mustRegexSplit', 'mustCompact', 'mustToJson', 'mustToPrettyJson', 'mustToRawJson', 'mustDeepCopy', 'mustAppend', 'mustPush', 'mustPrepend', 'mustFirst', 'mustLast', 'mustRest', 'mustInitial', 'mustReverse', 'mustUniq', 'mustWithout', 'mustHas', 'mustSlice', 'mustChunk', 'mustMerge', 'mustMergeOverwrite']) {
  sprigFunctions[name] = sprigFunctions[name.charAt(4).toLowerCase() + name.slice(5)];
}

/** reflect.Kind names, as sprig's kindOf prints them. */
function goKind(v: GoValue): string {
  if (isSemver(v)) return 'ptr';
  const kind = kindOf(v);
  return kind === 'nil' ? 'invalid' : kind === 'time' ? 'struct' : kind;
}

/** sprig's durationRound: the largest whole unit (y, mo, d, h, m, s) of a duration or of the time since a date. */
function durationRound(value: GoValue): string {
  const ns = typeof value === 'string' ? (parseGoDuration(value) ?? 0) : typeof value === 'bigint' ? Number(value) : value instanceof Date ? Date.now() * 1e6 - value.getTime() * 1e6 : 0;
  const u = Math.abs(ns);
  const second = 1e9;
  const units: [number, string][] = [
    [365 * 24 * 3600 * second, 'y'],
    [30 * 24 * 3600 * second, 'mo'],
    [24 * 3600 * second, 'd'],
    [3600 * second, 'h'],
    [60 * second, 'm'],
    [second, 's'],
  ];
  for (const [size, unit] of units) if (u > size) return `${Math.floor(u / size)}${unit}`;
  return '0s';
}

function trimChars(text: string, cutset: string, left: boolean, right: boolean): string {
  // A Set: scanning a long cutset for every character would be quadratic.
  const cut = new Set(cutset);
  let start = 0;
  let end = text.length;
  if (left) while (start < end && cut.has(text[start])) start++;
  if (right) while (end > start && cut.has(text[end - 1])) end--;
  return text.slice(start, end);
}

/** sprig's shuffle: the characters in a random order (Fisher–Yates, random numbers drawn in blocks). */
function shuffle(text: string): string {
  const chars = [...text];
  let random = Buffer.alloc(0);
  for (let i = chars.length - 1, at = 0; i > 0; i--, at += 4) {
    if (at >= random.length) {
      random = randomBytes(4 * Math.min(i, 4096));
      at = 0;
      spend(4096);
    }
    const j = random.readUInt32LE(at) % (i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join('');
}

/** Go's int64 arithmetic wraps around. */
function int64(value: bigint): bigint {
  return BigInt.asIntN(64, value);
}

/** How many values start, start+step, … lie before stop (0 when the step heads away from it). */
function stepCount(start: bigint, stop: bigint, step: bigint): number {
  if (step === 0n || (step > 0n ? start >= stop : start <= stop)) return 0;
  const span = step > 0n ? stop - start : start - stop;
  const stride = step > 0n ? step : -step;
  return Number((span + stride - 1n) / stride);
}

function untilStep(start: bigint, stop: bigint, step: bigint): bigint[] {
  const count = stepCount(start, stop, step);
  allocate(listBytes(count));
  const out = new Array<bigint>(count);
  for (let i = 0, value = start; i < count; i++, value += step) out[i] = value;
  return out;
}

/** sprig's seq, after GNU seq: seq LAST, seq FIRST LAST, seq FIRST STEP LAST, as a space-joined string. */
function seq(params: bigint[]): string {
  if (params.length < 1 || params.length > 3) return '';
  const [first, step0, last] = params.length === 1 ? [1n, 1n, params[0]] : params.length === 2 ? [params[0], 1n, params[1]] : params;
  let step = step0;
  if (params.length < 3 && last < first) step = -1n;
  if (step === 0n || (step > 0n && last < first) || (step < 0n && last > first)) return '';
  const count = stepCount(first, step > 0n ? last + 1n : last - 1n, step);
  const widest = Math.max(String(first).length, String(last).length);
  checkValueSize(count * (widest + 1));
  allocate(listBytes(count));
  const out = new Array<bigint>(count);
  for (let i = 0, value = first; i < count; i++, value += step) out[i] = value;
  return out.join(' ');
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32Encode(data: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  while (out.length % 8) out += '=';
  return out;
}

function base32Decode(text: string): string {
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const c of text.replace(/=+$/, '')) {
    const index = BASE32.indexOf(c);
    if (index < 0) return `illegal base32 data at input byte ${text.indexOf(c)}`;
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

