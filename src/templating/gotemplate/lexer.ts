import { goQuote } from './fmt.js';

/** Splits a Go template into text and action tokens, as text/template/parse's lexer does. */

export type TokenType =
  | 'text'
  | 'left'
  | 'right'
  | 'space'
  | 'identifier'
  | 'keyword'
  | 'field'
  | 'variable'
  | 'dot'
  | 'string'
  | 'rawString'
  | 'char'
  | 'number'
  | 'complex'
  | 'bool'
  | 'nil'
  | 'pipe'
  | 'leftParen'
  | 'rightParen'
  | 'declare'
  | 'assign'
  | 'comma'
  | 'eof';

export interface Token {
  type: TokenType;
  value: string;
  pos: number;
  line: number;
}

export class LexError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const KEYWORDS = new Set(['block', 'break', 'continue', 'define', 'else', 'end', 'if', 'range', 'template', 'with']);
const LEFT = '{{';
const RIGHT = '}}';

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function isAlnum(c: string): boolean {
  return /[A-Za-z0-9_]/.test(c) || c.charCodeAt(0) > 127;
}

/**
 * Go's scanNumber: an optional sign, a 0x/0o/0b prefix, digits with `_`, a fraction, an e exponent
 * (decimal) or p exponent (hex), an optional imaginary i; what follows must not be alphanumeric
 * (then the bad character is part of the error).
 */
function scanNumber(input: string, start: number): { ok: boolean; end: number } {
  let pos = start;
  const accept = (chars: string) => (pos < input.length && chars.includes(input[pos]) ? (pos++, true) : false);
  const acceptRun = (chars: string) => {
    while (accept(chars));
  };
  accept('+-');
  let digits = '0123456789_';
  if (accept('0')) {
    if (accept('xX')) digits = '0123456789abcdefABCDEF_';
    else if (accept('oO')) digits = '01234567_';
    else if (accept('bB')) digits = '01_';
  }
  acceptRun(digits);
  if (accept('.')) acceptRun(digits);
  if (digits.length === 11 && accept('eE')) {
    accept('+-');
    acceptRun('0123456789_');
  }
  if (digits.length === 23 && accept('pP')) {
    accept('+-');
    acceptRun('0123456789_');
  }
  accept('i');
  if (pos < input.length && isAlnum(input[pos])) return { ok: false, end: pos + [...input.slice(pos, pos + 2)][0].length };
  return { ok: true, end: pos };
}

export function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let line = 1;
  const newlines: number[] = [];
  for (let i = input.indexOf('\n'); i >= 0; i = input.indexOf('\n', i + 1)) newlines.push(i);
  const lineAt = (p: number) => {
    let lo = 0;
    let hi = newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (newlines[mid] < p) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  const push = (type: TokenType, value: string, at: number) => tokens.push({ type, value, pos: at, line: (line = lineAt(at)) });

  while (pos < input.length) {
    let start = input.indexOf(LEFT, pos);
    if (start < 0) {
      push('text', input.slice(pos), pos);
      break;
    }
    let textEnd = start;
    const trimLeft =
      input.startsWith('{{- ', start) || input.startsWith('{{-\t', start) || input.startsWith('{{-\n', start) || input.startsWith('{{-\r', start);
    if (trimLeft) while (textEnd > pos && isSpace(input[textEnd - 1])) textEnd--;
    if (textEnd > pos) push('text', input.slice(pos, textEnd), pos);
    pos = start + LEFT.length + (trimLeft ? 2 : 0);

    // Comments are whole actions: {{/* ... */}}.
    if (input.startsWith('/*', pos)) {
      const close = input.indexOf('*/', pos + 2);
      if (close < 0) throw new LexError('unclosed comment', lineAt(start));
      let after = close + 2;
      const trimRight = input.startsWith(' -}}', after) || input.startsWith('\t-}}', after) || input.startsWith('\n-}}', after);
      if (trimRight) after += 1;
      if (!input.startsWith(trimRight ? '-}}' : RIGHT, after)) throw new LexError('comment ends before closing delimiter', lineAt(start));
      pos = after + (trimRight ? 3 : 2);
      if (trimRight) while (pos < input.length && isSpace(input[pos])) pos++;
      continue;
    }

    push('left', LEFT, start);
    start = pos;
    let parenDepth = 0;
    for (;;) {
      if (pos >= input.length) throw new LexError('unclosed action', lineAt(start));
      const c = input[pos];
      const trimRight = isSpace(c) && input.startsWith('-}}', pos + 1);
      if (trimRight || input.startsWith(RIGHT, pos)) {
        if (parenDepth > 0) throw new LexError('unclosed left paren', lineAt(pos));
        if (trimRight) pos += 1;
        push('right', RIGHT, pos);
        pos += trimRight ? 3 : 2;
        if (trimRight) while (pos < input.length && isSpace(input[pos])) pos++;
        break;
      }
      if (isSpace(c)) {
        const s = pos;
        while (pos < input.length && isSpace(input[pos]) && !input.startsWith('-}}', pos + 1)) pos++;
        push('space', input.slice(s, pos), s);
        continue;
      }
      if (input.startsWith(':=', pos)) {
        push('declare', ':=', pos);
        pos += 2;
        continue;
      }
      const at = pos;
      switch (c) {
        case '=':
          push('assign', '=', at);
          pos++;
          continue;
        case '|':
          push('pipe', '|', at);
          pos++;
          continue;
        case ',':
          push('comma', ',', at);
          pos++;
          continue;
        case '(':
          parenDepth++;
          push('leftParen', '(', at);
          pos++;
          continue;
        case ')':
          parenDepth--;
          if (parenDepth < 0) throw new LexError(`unexpected right paren`, lineAt(at));
          push('rightParen', ')', at);
          pos++;
          continue;
        case '"': {
          pos++;
          while (pos < input.length && input[pos] !== '"') {
            if (input[pos] === '\\') pos++;
            if (input[pos] === '\n') throw new LexError('unterminated quoted string', lineAt(at));
            pos++;
          }
          if (pos >= input.length) throw new LexError('unterminated quoted string', lineAt(at));
          pos++;
          push('string', input.slice(at, pos), at);
          continue;
        }
        case '`': {
          const close = input.indexOf('`', pos + 1);
          if (close < 0) throw new LexError('unterminated raw quoted string', lineAt(at));
          pos = close + 1;
          push('rawString', input.slice(at, pos), at);
          continue;
        }
        case "'": {
          pos++;
          while (pos < input.length && input[pos] !== "'") {
            if (input[pos] === '\\') pos++;
            pos++;
          }
          if (pos >= input.length) throw new LexError('unterminated character constant', lineAt(at));
          pos++;
          push('char', input.slice(at, pos), at);
          continue;
        }
        case '$': {
          pos++;
          while (pos < input.length && isAlnum(input[pos])) pos++;
          push('variable', input.slice(at, pos), at);
          continue;
        }
        case '.': {
          if (pos + 1 < input.length && /[0-9]/.test(input[pos + 1])) break;
          pos++;
          if (pos < input.length && isAlnum(input[pos])) {
            while (pos < input.length && isAlnum(input[pos])) pos++;
            push('field', input.slice(at, pos), at);
          } else push('dot', '.', at);
          continue;
        }
      }
      if (/[0-9+\-.]/.test(c)) {
        const bad = (end: number) => new LexError(`bad number syntax: ${goQuote(input.slice(at, end))}`, lineAt(at));
        const first = scanNumber(input, pos);
        if (!first.ok) throw bad(first.end);
        pos = first.end;
        // A complex constant: 1+2i, no spaces, the second part ending in i.
        if (input[pos] === '+' || input[pos] === '-') {
          const second = scanNumber(input, pos);
          if (!second.ok || input[second.end - 1] !== 'i') throw bad(second.end);
          pos = second.end;
          push('complex', input.slice(at, pos), at);
        } else push('number', input.slice(at, pos), at);
        continue;
      }
      if (isAlnum(c)) {
        while (pos < input.length && isAlnum(input[pos])) pos++;
        const word = input.slice(at, pos);
        if (KEYWORDS.has(word)) push('keyword', word, at);
        else if (word === 'true' || word === 'false') push('bool', word, at);
        else if (word === 'nil') push('nil', word, at);
        else push('identifier', word, at);
        continue;
      }
      throw new LexError(`unrecognized character in action: ${JSON.stringify(c)}`, lineAt(at));
    }
  }
  tokens.push({ type: 'eof', value: '', pos: input.length, line });
  return tokens;
}
