import { isPlainObject, ownEntry, setEntry } from '../lib/json-values.js';
import type { Values } from './chart.js';
import { HelmError } from './helm-error.js';

/** Helm's strvals limits: list indexes and nested names a --set may write. */
const MAX_INDEX = 65536;
const MAX_NESTED_NAME_LEVEL = 30;

class EndOfInput {}
const END = new EndOfInput();
class NotAList {}
const NOT_A_LIST = new NotAList();

/** How a value's text becomes a value: typed (--set), kept as a string (--set-string), or read from a file (--set-file). */
export type SetValueReader = (text: string) => unknown;

/** --set's typing: true/false/null, integers without a leading zero as int64; anything else stays a string. */
export function typedSetValue(text: string): unknown {
  const lower = text.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (lower === 'null') return null;
  if (text === '0') return 0n;
  if (text.length > 0 && text[0] !== '0' && /^[+-]?\d+$/.test(text)) {
    const value = BigInt(text);
    if (value >= -(2n ** 63n) && value < 2n ** 63n) return value;
  }
  return text;
}

/**
 * Helm's strvals parser (`--set a.b[0].c=x,d={1,2}`), writing into `into`: dotted names make
 * tables, [N] list elements, {x,y} lists, a backslash escapes the next character.
 */
class SetParser {
  private index = 0;
  constructor(
    private readonly text: string,
    private readonly read: SetValueReader,
    /** List items are typed only for --set; --set-file reads its value, never list items. */
    private readonly readListItem: SetValueReader,
  ) {}

  parseInto(data: Values): void {
    for (;;) {
      const result = this.key(data, 0);
      if (result === END) return;
    }
  }

  private runesUntil(stop: string): { text: string; last?: string } {
    let text = '';
    while (this.index < this.text.length) {
      const c = this.text[this.index++];
      if (c === '\\') {
        if (this.index < this.text.length) text += this.text[this.index++];
        continue;
      }
      if (stop.includes(c)) return { text, last: c };
      text += c;
    }
    return { text };
  }

  private key(data: Values, nested: number): EndOfInput | undefined {
    const { text: key, last } = this.runesUntil('=[,.');
    if (last === undefined) {
      if (key.length === 0) return END;
      throw new HelmError(`key "${key}" has no value`);
    }
    switch (last) {
      case '[': {
        const i = this.keyIndex();
        const existing = ownEntry(data, key);
        const list = Array.isArray(existing) ? existing : [];
        setEntry(data, key, this.listItem(list, i, nested));
        return undefined;
      }
      case '=': {
        const list = this.valueList();
        if (list === END) {
          setEntry(data, key, '');
          return END;
        }
        if (list !== NOT_A_LIST) {
          setEntry(data, key, list);
          return undefined;
        }
        const { value, end } = this.value();
        setEntry(data, key, this.read(value));
        return end ? END : undefined;
      }
      case ',':
        setEntry(data, key, '');
        throw new HelmError(`key "${key}" has no value (cannot end with ,)`);
      default: {
        if (++nested > MAX_NESTED_NAME_LEVEL) throw new HelmError(`value name nested level is greater than maximum supported nested level of ${MAX_NESTED_NAME_LEVEL}`);
        const existing = ownEntry(data, key);
        const inner: Values = isPlainObject(existing) ? existing : {};
        const result = this.key(inner, nested);
        if (result === undefined && Object.keys(inner).length === 0) throw new HelmError(`key map "${key}" has no value`);
        if (Object.keys(inner).length !== 0) setEntry(data, key, inner);
        return result;
      }
    }
  }

  private keyIndex(): number {
    const { text, last } = this.runesUntil(']');
    if (last === undefined) throw new HelmError(`EOF`);
    if (!/^[+-]?\d+$/.test(text)) throw new HelmError(`strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
    return Number(text);
  }

  private setIndex(list: unknown[], index: number, value: unknown): unknown[] {
    if (index < 0) throw new HelmError(`negative ${index} index not allowed`);
    if (index > MAX_INDEX) throw new HelmError(`index of ${index} is greater than maximum supported index of ${MAX_INDEX}`);
    while (list.length <= index) list.push(null);
    list[index] = value;
    return list;
  }

  private listItem(list: unknown[], index: number, nested: number): unknown[] {
    if (index < 0) throw new HelmError(`negative ${index} index not allowed`);
    const { text, last } = this.runesUntil('[.=');
    if (text.length > 0) throw new HelmError(`unexpected data at end of array index: ${JSON.stringify(text)}`);
    if (last === undefined) throw new HelmError('EOF');
    if (last === '=') {
      const items = this.valueList();
      if (items === END) return this.setIndex(list, index, '');
      if (items !== NOT_A_LIST) return this.setIndex(list, index, items);
      const { value } = this.value();
      return this.setIndex(list, index, this.read(value));
    }
    if (last === '[') {
      const next = this.keyIndex();
      const existing = list[index];
      return this.setIndex(list, index, this.listItem(Array.isArray(existing) ? existing : [], next, nested));
    }
    const existing = list[index];
    const inner: Values = isPlainObject(existing) ? existing : {};
    this.key(inner, nested);
    return this.setIndex(list, index, inner);
  }

  private value(): { value: string; end: boolean } {
    const { text, last } = this.runesUntil(',');
    return { value: text, end: last === undefined };
  }

  private valueList(): unknown[] | EndOfInput | NotAList {
    if (this.index >= this.text.length) return END;
    if (this.text[this.index] !== '{') return NOT_A_LIST;
    this.index++;
    const list: unknown[] = [];
    for (;;) {
      const { text, last } = this.runesUntil(',}');
      if (last === undefined) throw new HelmError(`list must terminate with '}'`);
      list.push(this.readListItem(text));
      if (last === '}') {
        const next = this.text[this.index];
        if (next === undefined) return list;
        if (next === ',') {
          this.index++;
          return list;
        }
        throw new HelmError(`parse error: unexpected token ${next}`);
      }
    }
  }
}

/** Parses one --set style expression into `into` (Helm's strvals.ParseInto and its string and file forms). */
export function parseSetInto(expression: string, into: Values, read: SetValueReader = typedSetValue, readListItem: SetValueReader = read): void {
  new SetParser(expression, read, readListItem).parseInto(into);
}

/** Argo CD escapes commas in a parameter's value (unless it is a {list}) before handing it to helm --set. */
export function escapeSetValue(value: string): string {
  if (value.startsWith('{') && value.endsWith('}')) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) out += value[i] === ',' && value[i - 1] !== '\\' ? '\\,' : value[i];
  return out;
}
