import { formatGoFloat } from '../flatten.js';
import { checkValueSize } from './render-budget.js';
import { allocateFor, formatValue, GoComplex, kindOf, typeName, type GoValue } from './value.js';

const NAMED_ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
  '"': '\\"',
};

/** Go's strconv.Quote. */
export function goQuote(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (Object.hasOwn(NAMED_ESCAPES, char)) out += NAMED_ESCAPES[char];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0x80 && code < 0xa0) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width?: number;
  precision?: number;
}

function pad(text: string, spec: Spec, numeric: boolean): string {
  if (spec.width === undefined || text.length >= spec.width) return text;
  checkValueSize(spec.width);
  const fill = spec.width - text.length;
  if (spec.minus) return text + ' '.repeat(fill);
  if (spec.zero && numeric) {
    const sign = /^[+-]/.test(text) ? text[0] : '';
    return sign + '0'.repeat(fill) + text.slice(sign.length);
  }
  return ' '.repeat(fill) + text;
}

function bad(verb: string, value: GoValue): string {
  if (value === null || value === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${typeName(value)}=${formatValue(value)})`;
}

function signed(text: string, spec: Spec): string {
  if (text.startsWith('-')) return text;
  if (spec.plus) return `+${text}`;
  if (spec.space) return ` ${text}`;
  return text;
}

function formatFloat(value: number, verb: string, spec: Spec): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf';
  switch (verb) {
    case 'f':
    case 'F':
      return value.toFixed(spec.precision ?? 6);
    case 'e':
    case 'E': {
      const [mantissa, exp] = value.toExponential(spec.precision ?? 6).split('e');
      const n = Number(exp);
      const text = `${mantissa}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
      return verb === 'E' ? text.toUpperCase() : text;
    }
    default: {
      if (spec.precision === undefined) return formatGoFloat(value);
      const text = Number(value.toPrecision(Math.max(spec.precision, 1))).toString();
      return verb === 'G' ? text.toUpperCase() : text;
    }
  }
}

/** fmt's fmtComplex: each part padded to the width, the imaginary one always signed. */
function complexParts(value: GoComplex, spec: Spec, format: (part: number) => string): string {
  const part = (n: number, forcePlus: boolean) => pad(signed(format(n), forcePlus ? { ...spec, plus: true } : spec), spec, true);
  return `(${part(value.real, false)}${part(value.imaginary, true)}i)`;
}

function formatOne(verb: string, value: GoValue, spec: Spec): string {
  const kind = kindOf(value);
  switch (verb) {
    case 'v':
      if (kind === 'float64') return pad(signed(formatGoFloat(value as number), spec), spec, true);
      if (kind === 'complex128') return complexParts(value as GoComplex, spec, formatGoFloat);
      if (kind === 'int') return pad(signed(String(value), spec), spec, true);
      if (kind === 'string' && spec.sharp) return pad(goQuote(value as string), spec, false);
      return pad(formatValue(value, spec.plus), spec, false);
    case 's':
      if (kind === 'string') return pad(spec.precision !== undefined ? (value as string).slice(0, spec.precision) : (value as string), spec, false);
      if (kind === 'slice') return pad(`[${(value as unknown[]).map((v) => formatOne('s', v, { ...spec, width: undefined })).join(' ')}]`, spec, false);
      if (kind === 'map') {
        const record = value as Record<string, unknown>;
        return pad(
          `map[${Object.keys(record)
            .sort()
            .map((k) => `${k}:${formatOne('s', record[k], { ...spec, width: undefined })}`)
            .join(' ')}]`,
          spec,
          false,
        );
      }
      return bad('s', value);
    case 'q':
      if (kind === 'string') return pad(goQuote(value as string), spec, false);
      if (kind === 'int') return pad(`'${String.fromCodePoint(Number(value))}'`, spec, false);
      return bad('q', value);
    case 'd':
      if (kind === 'int') return pad(signed(String(value), spec), spec, true);
      if (kind === 'slice') return `[${(value as unknown[]).map((v) => formatOne('d', v, spec)).join(' ')}]`;
      return bad('d', value);
    case 'b':
    case 'o':
    case 'O':
    case 'x':
    case 'X': {
      const radix = verb === 'b' ? 2 : verb === 'o' || verb === 'O' ? 8 : 16;
      let text: string;
      if (kind === 'int') {
        const n = value as bigint;
        text = (n < 0n ? '-' : '') + (n < 0n ? -n : n).toString(radix);
        if (spec.sharp && radix === 16) text = text.replace(/^(-?)/, '$10x');
        if (verb === 'O') text = text.replace(/^(-?)/, '$10o');
      } else if (kind === 'string' && radix === 16) {
        text = Buffer.from(value as string, 'utf8').toString('hex');
      } else return bad(verb, value);
      if (verb === 'X') text = text.toUpperCase();
      return pad(signed(text, spec), spec, true);
    }
    case 'c':
      if (kind === 'int') return pad(String.fromCodePoint(Number(value)), spec, false);
      return bad('c', value);
    case 't':
      if (kind === 'bool') return pad(String(value), spec, false);
      return bad('t', value);
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G':
      if (kind === 'float64') return pad(signed(formatFloat(value as number, verb, spec), spec), spec, true);
      if (kind === 'complex128') return complexParts(value as GoComplex, spec, (part) => formatFloat(part, verb, spec));
      return bad(verb, value);
    case 'T':
      return pad(value === null || value === undefined ? '<nil>' : typeName(value), spec, false);
    default:
      return `%!${verb}(${typeName(value)}=${formatValue(value)})`;
  }
}

/**
 * fmt's parsenum: digits up to a value past 1e6; a longer number is taken as garbage and the rest
 * of the format with it (Go then prints %!(NOVERB)), which keeps widths and precisions bounded.
 */
function parseNumber(format: string, start: number): { value?: number; end: number } {
  let value: number | undefined;
  let end = start;
  for (; end < format.length && format[end] >= '0' && format[end] <= '9'; end++) {
    if ((value ?? 0) > 1e6) return { end: format.length };
    value = (value ?? 0) * 10 + Number(format[end]);
  }
  return { value, end };
}

/** fmt.Sprintf with the verbs templates use, including Go's %!verb(type=value) for mismatches. */
export function sprintf(format: string, args: GoValue[]): string {
  let out = '';
  let argIndex = 0;
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c !== '%') {
      out += c;
      continue;
    }
    if (format[i + 1] === '%') {
      out += '%';
      i++;
      continue;
    }
    const spec: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false };
    let j = i + 1;
    for (; j < format.length; j++) {
      const flag = format[j];
      if (flag === '-') spec.minus = true;
      else if (flag === '+') spec.plus = true;
      else if (flag === '#') spec.sharp = true;
      else if (flag === ' ') spec.space = true;
      else if (flag === '0') spec.zero = !spec.minus;
      else break;
    }
    const width = parseNumber(format, j);
    spec.width = width.value;
    j = width.end;
    if (format[j] === '.') {
      const precision = parseNumber(format, j + 1);
      spec.precision = precision.value ?? 0;
      j = precision.end;
    }
    const verb = format[j];
    if (verb === undefined) {
      out += '%!(NOVERB)';
      i = j;
      continue;
    }
    i = j;
    if (argIndex >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    allocateFor(args[argIndex]);
    const formatted = formatOne(verb, args[argIndex++], spec);
    checkValueSize(out.length + formatted.length);
    out += formatted;
  }
  if (argIndex < args.length) {
    out += `%!(EXTRA ${args
      .slice(argIndex)
      .map((a) => `${a === null || a === undefined ? '<nil>' : typeName(a)}=${formatValue(a)}`)
      .join(', ')})`;
  }
  return out;
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: GoValue[]): string {
  let out = '';
  args.forEach((arg, i) => {
    if (i > 0 && typeof arg !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    const formatted = formatValue(arg);
    checkValueSize(out.length + formatted.length);
    out += formatted;
  });
  return out;
}

/** fmt.Sprintln: always spaces, and a newline. */
export function sprintln(args: GoValue[]): string {
  const parts = args.map((a) => formatValue(a));
  checkValueSize(parts.reduce((sum, part) => sum + part.length + 1, 0));
  return `${parts.join(' ')}\n`;
}
