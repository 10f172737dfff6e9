import { GoComplex } from './value.js';

/**
 * Go template number literals as text/template reads them: parse.newNumber (strconv's ParseUint,
 * ParseInt and ParseFloat with Go's literal syntax, fmt.Sscan for complex constants) and then
 * exec's idealConstant, which picks the value a constant has when nothing types it.
 */
export type NumberConstant = { value: bigint | number | GoComplex } | { overflowsInt: true };

const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** strconv's underscoreOK: `_` only between digits, or between a base prefix and a digit. */
function underscoreOK(text: string): boolean {
  let s = text.replace(/^[+-]/, '');
  let saw = '^';
  let hex = false;
  if (/^0[bBoOxX]/.test(s)) {
    saw = '0';
    hex = /^0[xX]/.test(s);
    s = s.slice(2);
  }
  for (const c of s) {
    if (/[0-9]/.test(c) || (hex && /[a-fA-F]/.test(c))) saw = '0';
    else if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
    } else {
      if (saw === '_') return false;
      saw = '!';
    }
  }
  return saw !== '_';
}

/** strconv.ParseInt/ParseUint with base 0 (0x, 0o, 0b, a leading 0 for octal, `_` separators). */
function parseInteger(text: string, signed: boolean): bigint | null {
  const sign = /^[+-]/.test(text) ? text[0] : '';
  if (sign && !signed) return null;
  let body = text.slice(sign.length);
  if (body.includes('_') && !underscoreOK(body)) return null;
  body = body.replace(/_/g, '');
  let digits: string;
  let radix: 2 | 8 | 10 | 16;
  if (/^0[xX][0-9a-fA-F]+$/.test(body)) [digits, radix] = [body.slice(2), 16];
  else if (/^0[oO][0-7]+$/.test(body)) [digits, radix] = [body.slice(2), 8];
  else if (/^0[bB][01]+$/.test(body)) [digits, radix] = [body.slice(2), 2];
  else if (/^0[0-7]+$/.test(body)) [digits, radix] = [body.slice(1), 8];
  else if (/^(0|[1-9][0-9]*)$/.test(body)) [digits, radix] = [body, 10];
  else return null;
  // Past 64 significant binary digits nothing fits; this also keeps BigInt's parse short.
  if (digits.replace(/^0+/, '').length > 64) return null;
  const prefix = { 2: '0b', 8: '0o', 10: '', 16: '0x' }[radix];
  const magnitude = BigInt(`${prefix}${digits}`);
  const value = sign === '-' ? -magnitude : magnitude;
  if (signed ? value < INT64_MIN || value > INT64_MAX : value > UINT64_MAX) return null;
  return value;
}

/** strconv.ParseInt(text, 0, 64): null where Go reports a syntax or range error. */
export function parseGoInt64(text: string): bigint | null {
  return parseInteger(text, true);
}

/**
 * strconv.ParseFloat(text, 64) as a whole: the literal syntax below, and Go's special values
 * (`inf`, `infinity` with an optional sign, `nan`, in any case). Null where Go reports an error,
 * an overflow included.
 */
export function parseGoFloatString(text: string): number | null {
  const special = /^([+-]?)(inf|infinity)$/i.exec(text);
  if (special) return special[1] === '-' ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return NaN;
  return parseGoFloat(text);
}

/** strconv.ParseFloat with Go's literal syntax: decimal, or hex mantissa with a p exponent; an overflow fails. */
export function parseGoFloat(text: string): number | null {
  if (text.includes('_') && !underscoreOK(text)) return null;
  const clean = text.replace(/_/g, '');
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?[0-9]+)$/.exec(clean);
  let value: number;
  if (hex) {
    const [, sign, whole, fraction = '', exponent] = hex;
    if (!whole && !fraction) return null;
    const mantissa = BigInt(`0x${whole}${fraction}`);
    value = Number(mantissa) * 2 ** (Number(exponent) - 4 * fraction.length);
    if (sign === '-') value = -value;
  } else {
    // One digit run before the dot and one after it: two adjacent runs would backtrack quadratically on long hostile text.
    if (!/^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(clean)) return null;
    value = Number(clean);
  }
  return Number.isFinite(value) ? value : null;
}

/** fmt.Sscan into a complex128: a real part, a signed imaginary part ending in i; a bad part is ParseFloat's error. */
function parseComplex(text: string): GoComplex | null {
  const split = /^([+-]?.*?[^eEpP+-])([+-].*)i$/.exec(text);
  if (!split) return null;
  const [real, imaginary] = [split[1], split[2]].map((part) => {
    const value = parseGoFloat(part);
    if (value === null) throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(part)}: invalid syntax`);
    return value;
  });
  return new GoComplex(real, imaginary);
}

const isHexInt = (text: string) => /^0[xX]/.test(text) && !/[pP]/.test(text);

export function numberConstant(text: string, complexToken: boolean): NumberConstant {
  if (complexToken) {
    const value = parseComplex(text);
    if (!value) throw new Error(`illegal number syntax: ${JSON.stringify(text)}`);
    return { value };
  }
  if (text.endsWith('i')) {
    const imaginary = parseGoFloat(text.slice(0, -1));
    if (imaginary !== null) return { value: new GoComplex(0, imaginary) };
  }
  const uint = parseInteger(text, false);
  const int = parseInteger(text, true);
  let float: number | null = null;
  if (int === null && uint === null) {
    float = parseGoFloat(text);
    // A float that reads like an integer is an integer too large for 64 bits.
    if (float !== null && !/[.eEpP]/.test(text)) throw new Error(`integer overflow: ${JSON.stringify(text)}`);
    if (float === null) throw new Error(`illegal number syntax: ${JSON.stringify(text)}`);
  }
  if (float !== null && !isHexInt(text) && /[.eEpP]/.test(text)) return { value: float };
  if (int !== null) return { value: int };
  return { overflowsInt: true };
}
