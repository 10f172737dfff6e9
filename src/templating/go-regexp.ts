import { RE2JS, type Matcher } from 're2js';
import { activeBudget, allocate, checkDeadline } from './gotemplate/render-budget.js';

/**
 * Larger programs are refused before compiling: compiling takes about 3 µs an instruction, and Go's
 * own ceiling (about 1.4 million) would hold the event loop for seconds.
 */
export const MAX_PROGRAM_SIZE = 10_000;
/** Program size × input length one search may cost: at most about 150 ms of the slowest (NFA) matching. */
export const MAX_MATCH_COST = 4_000_000;

/**
 * An upper estimate of the instructions RE2 compiles a pattern to, read from its text: each atom
 * one, each operator one, and a counted repetition `x{n,m}` as many copies of `x` as it allows.
 */
export function estimateProgramSize(pattern: string): number {
  const frames = [{ total: 0, last: 0 }];
  let top = frames[0];
  const atom = (size: number) => {
    top.total += size;
    top.last = size;
  };
  const repeat = /\{(\d+)(?:(,)(\d*))?\}/y;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const stop = end < 0 ? pattern.length : end;
        top.total += stop - i - 2;
        top.last = 1;
        i = end < 0 ? pattern.length : end + 1;
        continue;
      }
      if ((next === 'p' || next === 'P' || next === 'x') && pattern[i + 2] === '{') {
        const close = pattern.indexOf('}', i + 3);
        i = close < 0 ? pattern.length : close;
      } else i += next === 'p' || next === 'P' ? 2 : 1;
      atom(1);
    } else if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      for (; j < pattern.length && pattern[j] !== ']'; j++) {
        if (pattern[j] === '\\') j++;
        else if (pattern[j] === '[' && pattern[j + 1] === ':') {
          const close = pattern.indexOf(':]', j + 2);
          if (close >= 0) j = close + 1;
        }
      }
      i = j;
      atom(1);
    } else if (c === '(') {
      const flags = /\(\?[imsU-]*\)/y;
      flags.lastIndex = i;
      if (flags.test(pattern)) i = flags.lastIndex - 1;
      else frames.push((top = { total: 0, last: 0 }));
    } else if (c === ')' && frames.length > 1) {
      const group = frames.pop()!;
      top = frames[frames.length - 1];
      atom(group.total + 2);
    } else if (c === '|') {
      top.total += 1;
      top.last = 0;
    } else if (c === '*' || c === '+' || c === '?') {
      top.total += 1;
    } else if (c === '{') {
      repeat.lastIndex = i;
      const match = repeat.exec(pattern);
      if (!match) {
        atom(1);
        continue;
      }
      const min = Number(match[1]);
      const count = Math.max(1, min, match[2] ? (match[3] ? Number(match[3]) : min + 1) : min);
      top.total += top.last * (count - 1) + count;
      top.last *= count;
      i = repeat.lastIndex - 1;
    } else atom(1);
  }
  while (frames.length > 1) {
    const group = frames.pop()!;
    frames[frames.length - 1].total += group.total + 2;
  }
  return frames[0].total;
}

/** One UTF-16 code point's width at `index`, as Go advances one UTF-8 sequence. */
function charWidth(text: string, index: number): number {
  const code = text.codePointAt(index);
  return code !== undefined && code > 0xffff ? 2 : 1;
}

/**
 * A Go `regexp` (RE2 syntax, Perl flags, linear-time matching) with the methods templates and
 * generators use, following Go's rules for empty matches, Split and Expand. Tenant patterns are
 * never given to JavaScript's backtracking RegExp.
 */
export class GoRegExp {
  private readonly re: RE2JS;
  private readonly programSize: number;

  private constructor(readonly pattern: string) {
    const estimate = estimateProgramSize(pattern);
    if (estimate > MAX_PROGRAM_SIZE) {
      throw new Error(`error parsing regexp: expression too large: about ${estimate} instructions, more than the ${MAX_PROGRAM_SIZE} a pattern may compile to`);
    }
    try {
      this.re = RE2JS.compile(pattern);
    } catch (error) {
      const message = (error as Error).message;
      throw new Error(message.startsWith('error parsing regexp') ? message : `error parsing regexp: ${message}`, { cause: error });
    }
    this.programSize = this.re.programSize();
  }

  /**
   * Compiles a pattern; throws Go's `error parsing regexp: …` for a bad one. Within a render a
   * pattern is compiled once; nothing is kept across renders or calls, since each compiled
   * pattern grows a lazy DFA of up to 8 MB: callers keep what they compiled while they use it.
   */
  static compile(pattern: string): GoRegExp {
    const memo = activeBudget()?.memo;
    const key = `regexp\u0000${pattern}`;
    let entry = memo?.get(key) as GoRegExp | Error | undefined;
    if (!entry) {
      try {
        entry = new GoRegExp(pattern);
      } catch (error) {
        entry = error as Error;
      }
      memo?.set(key, entry);
    }
    if (entry instanceof Error) throw entry;
    return entry;
  }

  private matcher(text: string): Matcher {
    const cost = this.programSize * (text.length + 1);
    if (cost > MAX_MATCH_COST) {
      throw new Error(
        `regexp ${JSON.stringify(this.pattern)} is too costly for an input of ${text.length} characters (program size ${this.programSize} × length > ${MAX_MATCH_COST})`,
      );
    }
    return this.re.matcher(text);
  }

  /** Go's MatchString. */
  test(text: string): boolean {
    const found = this.matcher(text).find();
    checkDeadline();
    return found;
  }

  /** Go's FindString: the leftmost match, or "". */
  find(text: string): string {
    const m = this.matcher(text);
    const found = m.find();
    checkDeadline();
    return found ? (m.group() ?? '') : '';
  }

  /** Go's FindStringSubmatch: the leftmost match and its groups (undefined for a group that took no part), or undefined. */
  submatches(text: string): (string | undefined)[] | undefined {
    const m = this.matcher(text);
    const found = m.find();
    checkDeadline();
    if (!found) return undefined;
    return Array.from({ length: this.re.groupCount() + 1 }, (_, i) => m.group(i) ?? undefined);
  }

  /**
   * Go's allMatches: successive leftmost matches, skipping an empty match right after a match,
   * calling `deliver` with the matcher positioned on each until it returns false or `n` are found.
   */
  private eachMatch(text: string, n: number, deliver: (m: Matcher) => void): void {
    const m = this.matcher(text);
    let prevMatchEnd = -1;
    for (let pos = 0, count = 0; (n < 0 || count < n) && pos <= text.length;) {
      const found = m.find(pos);
      checkDeadline();
      if (!found) break;
      const start = m.start();
      const end = m.end();
      let accept = true;
      if (end === pos) {
        if (start === prevMatchEnd) accept = false;
        pos += pos < text.length ? charWidth(text, pos) : 1;
      } else pos = end;
      prevMatchEnd = end;
      if (accept) {
        deliver(m);
        count++;
      }
    }
  }

  /** Go's FindAllString(text, n); n < 0 means all. */
  findAll(text: string, n: number): string[] {
    const out: string[] = [];
    this.eachMatch(text, n, (m) => {
      const match = m.group() ?? '';
      allocate(match.length + 8);
      out.push(match);
    });
    return out;
  }

  /** Go's Split(text, n). */
  split(text: string, n: number): string[] {
    if (n === 0) return [];
    if (this.pattern.length > 0 && text.length === 0) return [''];
    const parts: string[] = [];
    let begin = 0;
    let end = 0;
    this.eachMatch(text, n, (m) => {
      if (n > 0 && parts.length === n - 1) return;
      end = m.start();
      if (m.end() !== 0) {
        allocate(end - begin + 8);
        parts.push(text.slice(begin, end));
      }
      begin = m.end();
    });
    if (end !== text.length) parts.push(text.slice(begin));
    return parts;
  }

  /** Go's ReplaceAllString: `$1`, `${1}`, `$name`, `${name}` and `$$` in the replacement. */
  replaceAll(text: string, template: string): string {
    return this.replace(text, (m) => this.expand(template, m));
  }

  /** Go's ReplaceAllLiteralString. */
  replaceAllLiteral(text: string, replacement: string): string {
    return this.replace(text, () => replacement);
  }

  /** Go's replaceAll: no replacement for an empty match right after a match; always advances. */
  private replace(text: string, replacement: (m: Matcher) => string): string {
    const m = this.matcher(text);
    const out: string[] = [];
    let lastMatchEnd = 0;
    for (let searchPos = 0; searchPos <= text.length;) {
      const found = m.find(searchPos);
      checkDeadline();
      if (!found) break;
      const start = m.start();
      const end = m.end();
      const before = text.slice(lastMatchEnd, start);
      allocate(before.length);
      out.push(before);
      if (end > lastMatchEnd || start === 0) {
        const piece = replacement(m);
        allocate(piece.length);
        out.push(piece);
      }
      lastMatchEnd = end;
      const width = searchPos < text.length ? charWidth(text, searchPos) : 1;
      searchPos = searchPos + width > end ? searchPos + width : end;
    }
    out.push(text.slice(lastMatchEnd));
    return out.join('');
  }

  /** Go's Regexp.Expand for one match. */
  private expand(template: string, m: Matcher): string {
    let out = '';
    let rest = template;
    for (;;) {
      const dollar = rest.indexOf('$');
      if (dollar < 0) break;
      out += rest.slice(0, dollar);
      rest = rest.slice(dollar + 1);
      if (rest.startsWith('$')) {
        out += '$';
        rest = rest.slice(1);
        continue;
      }
      const reference = /^(?:\{([\p{L}\p{Nd}_]+)\}|([\p{L}\p{Nd}_]+))/u.exec(rest);
      if (!reference) {
        out += '$';
        continue;
      }
      rest = rest.slice(reference[0].length);
      const name = reference[1] ?? reference[2];
      // A number with a leading zero, or of 10 digits or more, is a name, as regexp's extract has it.
      const index = /^(?:0|[1-9]\d{0,8})$/.test(name) ? Number(name) : this.re.namedGroups()[name];
      if (index !== undefined && index <= this.re.groupCount()) out += m.group(index) ?? '';
    }
    return out + rest;
  }
}
