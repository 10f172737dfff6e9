import { randomBytes, randomUUID } from 'node:crypto';
import { GoRegExp } from '../../go-regexp.js';
import { goQuote, sprintf } from '../fmt.js';
import type { FuncMap } from '../func-map.js';
import { allocate, checkValueSize, listBytes, spend } from '../render-budget.js';
import type { GoValue } from '../value.js';
import { asInt, asString, strslice, strval, variadic } from './arguments.js';

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

const isConnector = (r: string) => r === '-' || r === '_' || /^\p{White_Space}$/u.test(r);
const isUpper = (r: string) => /^\p{Lu}$/u.test(r);
// unicode.ToUpper/ToLower map one rune to one rune; JavaScript's may expand (ß → SS), which Go's never do.
const toUpper = (r: string) => ([...r.toUpperCase()].length === 1 ? r.toUpperCase() : r);
const toLower = (r: string) => ([...r.toLowerCase()].length === 1 ? r.toLowerCase() : r);

/**
 * Sprig's camelcase is xstrings.ToPascalCase (v1.5): connectors (-, _, spaces) are dropped and the
 * next rune upper-cased, an upper-case run after a word's first rune is lower-cased ("HTTP_SERVER"
 * → "HttpServer"), a connector run keeps all but its last rune ("a__b" → "A_B"), leading connectors
 * stay, and a trailing connector survives ("x_" → "X_", "_" → "__").
 */
function pascalCase(text: string): string {
  const runes = [...text];
  if (runes.length === 0) return '';
  let out = '';
  let i = 0;
  let current = '';
  let wordStartsUpper = false;
  while (i < runes.length) {
    current = runes[i++];
    if (!isConnector(current)) {
      wordStartsUpper = isUpper(current);
      current = toUpper(current);
      break;
    }
    out += current;
  }
  while (i < runes.length) {
    const previous = current;
    current = runes[i++];
    if (isConnector(current) && isConnector(previous)) {
      out += previous;
      continue;
    }
    if (isConnector(previous)) {
      wordStartsUpper = isUpper(current);
      current = toUpper(current);
      continue;
    }
    if (wordStartsUpper) {
      if (isUpper(current)) current = toLower(current);
      else wordStartsUpper = false;
    }
    out += previous;
  }
  return out + current;
}

const isRegexpSyntaxError = (error: unknown) => error instanceof Error && error.message.startsWith('error parsing regexp');

/** regexp.MustCompile: a bad pattern panics with the pattern quoted as regexp's quote does. */
function mustCompile(pattern: string): GoRegExp {
  try {
    return GoRegExp.compile(pattern);
  } catch (error) {
    if (!isRegexpSyntaxError(error)) throw error;
    // eslint-disable-next-line no-control-regex
    const backquotable = !/[`\uFEFF\u0000-\u0008\u000A-\u001F\u007F]/.test(pattern);
    throw new Error(`regexp: Compile(${backquotable ? `\`${pattern}\`` : goQuote(pattern)}): ${(error as Error).message}`, { cause: error });
  }
}

function compileOrNull(pattern: string): GoRegExp | null {
  try {
    return GoRegExp.compile(pattern);
  } catch (error) {
    if (!isRegexpSyntaxError(error)) throw error;
    return null;
  }
}

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

/** Sprig's string and string list functions, its regular expressions (Go RE2 syntax), random strings and UUIDs. */
export const stringFunctions: FuncMap = {
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
  initials: (s: GoValue) =>
    asString(s)
      .split(/\s+/)
      .filter(Boolean)
      .map((w) => w[0])
      .join(''),
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
  quote: variadic((...args: GoValue[]) =>
    joinChecked(
      args.filter((a) => a !== null && a !== undefined).map((a) => goQuote(strval(a))),
      ' ',
    ),
  ),
  squote: variadic((...args: GoValue[]) =>
    joinChecked(
      args.filter((a) => a !== null && a !== undefined).map((a) => `'${strval(a)}'`),
      ' ',
    ),
  ),
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
  snakecase: (s: GoValue) =>
    words(asString(s))
      .map((w) => w.toLowerCase())
      .join('_'),
  camelcase: (s: GoValue) => pascalCase(asString(s)),
  kebabcase: (s: GoValue) =>
    words(asString(s))
      .map((w) => w.toLowerCase())
      .join('-'),
  shuffle: (s: GoValue) => shuffle(asString(s)),

  // String lists
  split: (separator: GoValue, s: GoValue) => splitToMap(splitChecked(asString(s), asString(separator))),
  splitList: (separator: GoValue, s: GoValue) => splitChecked(asString(s), asString(separator)),
  splitn: (separator: GoValue, n: GoValue, s: GoValue) => {
    const parts = splitChecked(asString(s), asString(separator));
    const limit = asInt(n);
    if (limit > 0 && parts.length > limit) parts.splice(limit - 1, parts.length, parts.slice(limit - 1).join(asString(separator)));
    return splitToMap(parts);
  },
  join: (separator: GoValue, list: GoValue) => joinChecked(strslice(list), asString(separator)),
  sortAlpha: (list: GoValue) => (Array.isArray(list) ? strslice(list).sort() : [strval(list)]),

  // Random strings and UUIDs
  randAlphaNum: (n: GoValue) => random(RAND_ALPHA + RAND_DIGITS, asInt(n)),
  randAlpha: (n: GoValue) => random(RAND_ALPHA, asInt(n)),
  randNumeric: (n: GoValue) => random(RAND_DIGITS, asInt(n)),
  randAscii: (n: GoValue) => random(Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join(''), asInt(n)),
  uuidv4: () => randomUUID(),

  // Regular expressions (Go RE2 syntax)
  // sprig's plain forms call regexp.MustCompile (its panic text names the pattern), except regexMatch,
  // which drops the error and answers false; the must forms return regexp.Compile's error.
  regexMatch: (regex: GoValue, s: GoValue) => compileOrNull(asString(regex))?.test(asString(s)) ?? false,
  mustRegexMatch: (regex: GoValue, s: GoValue) => GoRegExp.compile(asString(regex)).test(asString(s)),
  regexFind: (regex: GoValue, s: GoValue) => mustCompile(asString(regex)).find(asString(s)),
  mustRegexFind: (regex: GoValue, s: GoValue) => GoRegExp.compile(asString(regex)).find(asString(s)),
  regexFindAll: (regex: GoValue, s: GoValue, n: GoValue) => mustCompile(asString(regex)).findAll(asString(s), asInt(n)),
  mustRegexFindAll: (regex: GoValue, s: GoValue, n: GoValue) => GoRegExp.compile(asString(regex)).findAll(asString(s), asInt(n)),
  regexReplaceAll: (regex: GoValue, s: GoValue, replacement: GoValue) => mustCompile(asString(regex)).replaceAll(asString(s), asString(replacement)),
  mustRegexReplaceAll: (regex: GoValue, s: GoValue, replacement: GoValue) => GoRegExp.compile(asString(regex)).replaceAll(asString(s), asString(replacement)),
  regexReplaceAllLiteral: (regex: GoValue, s: GoValue, replacement: GoValue) =>
    mustCompile(asString(regex)).replaceAllLiteral(asString(s), asString(replacement)),
  mustRegexReplaceAllLiteral: (regex: GoValue, s: GoValue, replacement: GoValue) =>
    GoRegExp.compile(asString(regex)).replaceAllLiteral(asString(s), asString(replacement)),
  regexSplit: (regex: GoValue, s: GoValue, n: GoValue) => mustCompile(asString(regex)).split(asString(s), asInt(n)),
  mustRegexSplit: (regex: GoValue, s: GoValue, n: GoValue) => GoRegExp.compile(asString(regex)).split(asString(s), asInt(n)),
  regexQuoteMeta: (s: GoValue) => asString(s).replace(/[\\.+*?()|[\]{}^$]/g, '\\$&'),

  printf: variadic((format: GoValue, ...args: GoValue[]) => sprintf(asString(format), args), 1),

  hello: () => 'Hello!',
};

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
