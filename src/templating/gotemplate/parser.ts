import type { Arg, Command, Node, Pipe } from './ast.js';
import { lex, LexError, type Token } from './lexer.js';
import { numberConstant } from './number-literal.js';

/** A parsed template and the templates it defines ({{define}} / {{block}}). */
export type TemplateSet = Map<string, Node[]>;

export class ParseError extends Error {}

/** Go's strconv.Unquote for "…" and `…` literals. */
export function unquote(text: string): string {
  if (text.startsWith('`')) return text.slice(1, -1);
  const body = text.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = body[++i];
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v' };
    if (next in simple) out += simple[next];
    else if (next === 'x') {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (next === 'u' || next === 'U') {
      const width = next === 'u' ? 4 : 8;
      out += String.fromCodePoint(parseInt(body.slice(i + 1, i + 1 + width), 16));
      i += width;
    } else if (/[0-7]/.test(next)) {
      out += String.fromCharCode(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else throw new ParseError(`invalid syntax: ${text}`);
  }
  return out;
}

class Parser {
  private index = 0;
  private readonly tokens: Token[];
  private rangeDepth = 0;
  /** Variables in scope, as Go checks them at parse time. */
  private vars: string[] = ['$'];
  readonly set: TemplateSet = new Map();

  constructor(
    private readonly name: string,
    text: string,
    private readonly isFunction: (name: string) => boolean,
  ) {
    try {
      this.tokens = lex(text);
    } catch (error) {
      if (error instanceof LexError) this.fail(error.message, error.line);
      throw error;
    }
  }

  fail(message: string, line = this.peek().line): never {
    throw new ParseError(`template: ${this.name}:${line}: ${message}`);
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    return this.tokens[Math.min(this.index++, this.tokens.length - 1)];
  }

  private nextNonSpace(): Token {
    let token = this.next();
    while (token.type === 'space') token = this.next();
    return token;
  }

  private peekNonSpace(): Token {
    let i = this.index;
    while (this.tokens[i]?.type === 'space') i++;
    return this.tokens[Math.min(i, this.tokens.length - 1)];
  }

  private expect(type: Token['type'], context: string): Token {
    const token = this.nextNonSpace();
    if (token.type !== type) this.fail(`unexpected ${describe(token)} in ${context}`, token.line);
    return token;
  }

  parse(): TemplateSet {
    const { list, end } = this.itemList(true);
    if (end) this.fail(`unexpected {{${end.value}}}`, end.line);
    if (!this.set.has(this.name) || list.some((n) => n.type !== 'text' || n.text.trim() !== '')) this.set.set(this.name, list);
    return this.set;
  }

  /** Nodes up to {{end}} / {{else}} (returned as `end`) or, at top level, EOF. */
  private itemList(topLevel: boolean): { list: Node[]; end?: Token } {
    const list: Node[] = [];
    for (;;) {
      const token = this.next();
      if (token.type === 'eof') {
        if (!topLevel) this.fail('unexpected EOF', token.line);
        return { list };
      }
      if (token.type === 'text') {
        list.push({ type: 'text', pos: token.pos, text: token.value });
        continue;
      }
      const keyword = this.peekNonSpace();
      if (keyword.type === 'keyword' && (keyword.value === 'end' || keyword.value === 'else')) {
        if (topLevel) this.fail(`unexpected {{${keyword.value}}}`, keyword.line);
        this.nextNonSpace();
        if (keyword.value === 'end') this.expect('right', 'end');
        return { list, end: keyword };
      }
      const node = this.action(topLevel);
      if (node) list.push(node);
    }
  }

  private action(topLevel: boolean): Node | undefined {
    const token = this.peekNonSpace();
    if (token.type === 'keyword') {
      this.nextNonSpace();
      switch (token.value) {
        case 'if':
        case 'with':
        case 'range':
          return this.control(token);
        case 'template':
          return this.templateCall(token);
        case 'block':
          return this.block(token);
        case 'define':
          if (!topLevel) this.fail('unexpected <define> in command', token.line);
          this.define(token);
          return undefined;
        case 'break':
        case 'continue':
          if (this.rangeDepth === 0) this.fail(`{{${token.value}}} outside {{range}}`, token.line);
          this.expect('right', token.value);
          return { type: token.value, pos: token.pos };
      }
    }
    const pipe = this.pipeline('command', 'right');
    return { type: 'action', pos: token.pos, pipe };
  }

  private control(keyword: Token): Node {
    const mark = this.vars.length;
    try {
      return this.controlBody(keyword);
    } finally {
      this.vars.length = mark;
    }
  }

  private controlBody(keyword: Token): Node {
    const type = keyword.value as 'if' | 'with' | 'range';
    const pipe = this.pipeline(type, 'right');
    if (type === 'range') this.rangeDepth++;
    const { list, end } = this.itemList(false);
    if (type === 'range') this.rangeDepth--;
    let elseList: Node[] | undefined;
    if (end?.value === 'else') {
      const chained = this.peekNonSpace();
      if (
        (type === 'if' && chained.type === 'keyword' && chained.value === 'if') ||
        (type === 'with' && chained.type === 'keyword' && chained.value === 'with')
      ) {
        this.nextNonSpace();
        // {{else if}} / {{else with}}: the nested control shares the outer {{end}}.
        elseList = [this.control(chained)];
        return { type, pos: keyword.pos, pipe, list, elseList };
      }
      this.expect('right', 'else');
      const rest = this.itemList(false);
      if (rest.end?.value !== 'end') this.fail('expected end; found {{else}}', rest.end?.line);
      elseList = rest.list;
    }
    return { type, pos: keyword.pos, pipe, list, elseList };
  }

  private checkVariable(token: Token): void {
    if (!this.vars.includes(token.value)) this.fail(`undefined variable ${JSON.stringify(token.value)}`, token.line);
  }

  private templateName(context: string): string {
    return this.templateNameToken(context).name;
  }

  private templateNameToken(context: string): { name: string; pos: number } {
    const token = this.nextNonSpace();
    if (token.type !== 'string' && token.type !== 'rawString') this.fail(`unexpected ${describe(token)} in ${context} clause`, token.line);
    return { name: unquote(token.value), pos: token.pos };
  }

  private templateCall(keyword: Token): Node {
    const { name, pos } = this.templateNameToken('template');
    void keyword;
    const after = this.peekNonSpace();
    if (after.type === 'right') {
      this.nextNonSpace();
      return { type: 'template', pos, name };
    }
    return { type: 'template', pos, name, pipe: this.pipeline('template', 'right') };
  }

  private define(keyword: Token): void {
    const name = this.templateName('define');
    this.expect('right', 'define clause');
    const outer = this.vars;
    this.vars = ['$'];
    const { list, end } = this.itemList(false);
    this.vars = outer;
    if (end?.value !== 'end') this.fail('unexpected {{else}} in define', keyword.line);
    this.set.set(name, list);
  }

  private block(keyword: Token): Node {
    const name = this.templateName('block');
    const pipe = this.pipeline('block', 'right');
    const { list, end } = this.itemList(false);
    if (end?.value !== 'end') this.fail('unexpected {{else}} in block', keyword.line);
    this.set.set(name, list);
    return { type: 'template', pos: keyword.pos, name, pipe };
  }

  private pipeline(context: string, end: 'right' | 'rightParen'): Pipe {
    const start = this.peekNonSpace();
    const pipe: Pipe = { pos: start.pos, decl: [], isAssign: false, cmds: [] };
    // Declarations: $x := …, $x = …, $i, $v := … (range only).
    if (start.type === 'variable') {
      const save = this.index;
      const first = this.nextNonSpace();
      const op = this.peekNonSpace();
      if (op.type === 'declare' || op.type === 'assign') {
        this.nextNonSpace();
        pipe.decl.push(first.value);
        pipe.isAssign = op.type === 'assign';
      } else if (op.type === 'comma' && context === 'range') {
        this.nextNonSpace();
        if (this.peekNonSpace().type !== 'variable') this.fail('range can only initialize variables', op.line);
        const second = this.nextNonSpace();
        const declare = this.nextNonSpace();
        if (declare.type === 'comma') this.fail('too many declarations in range', declare.line);
        if (declare.type !== 'declare' && declare.type !== 'assign') this.fail('range can only initialize variables', declare.line);
        pipe.decl.push(first.value, second.value);
        pipe.isAssign = declare.type === 'assign';
      } else this.index = save;
    }
    for (;;) {
      const token = this.peekNonSpace();
      if (token.type === end) {
        this.nextNonSpace();
        if (pipe.cmds.length === 0) this.fail(`missing value for ${context}`, token.line);
        // Go's parser takes an assigned variable as known too: assigning an undeclared one fails when executed.
        this.vars.push(...pipe.decl);
        return pipe;
      }
      if (token.type === 'eof' || token.type === 'right' || token.type === 'rightParen') this.fail(`unexpected ${describe(token)} in ${context}`, token.line);
      pipe.cmds.push(this.command(context, end));
    }
  }

  private command(context: string, end: 'right' | 'rightParen'): Command {
    const first = this.peekNonSpace();
    const command: Command = { pos: first.pos, args: [] };
    for (;;) {
      const token = this.peekNonSpace();
      if (token.type === end || token.type === 'eof') break;
      if (token.type === 'pipe') {
        this.nextNonSpace();
        if (command.args.length === 0) this.fail('missing command', token.line);
        return command;
      }
      if (token.type === 'right' || token.type === 'rightParen') this.fail(`unexpected ${describe(token)} in operand`, token.line);
      command.args.push(this.operand());
    }
    if (command.args.length === 0) this.fail(`missing value for ${context}`, first.line);
    return command;
  }

  private operand(): Arg {
    const token = this.nextNonSpace();
    let arg = this.term(token);
    // A field chain directly after a term: (pipe).a.b, $x.a, .a.b
    const idents: string[] = [];
    let lastPos = arg.pos;
    const firstFieldPos = this.peek().pos;
    while (this.peek().type === 'field') {
      const field = this.next();
      idents.push(field.value.slice(1));
      lastPos = field.pos;
    }
    if (!idents.length) return arg;
    // Go positions a field chain at its last field, so errors point there.
    if (arg.type === 'field') return { ...arg, pos: lastPos, idents: [...arg.idents, ...idents] };
    if (arg.type === 'variable') return { ...arg, pos: lastPos, idents: [...arg.idents, ...idents] };
    if (arg.type === 'bool' || arg.type === 'string' || arg.type === 'number' || arg.type === 'nil' || arg.type === 'dot') {
      this.fail(`unexpected . after term ${JSON.stringify(token.value)}`, token.line);
    }
    // and a chain on a term at its first field, as parse's newChain does.
    arg = { type: 'chain', pos: firstFieldPos, node: arg, idents };
    return arg;
  }

  private term(token: Token): Arg {
    switch (token.type) {
      case 'identifier':
        if (!this.isFunction(token.value)) this.fail(`function ${JSON.stringify(token.value)} not defined`, token.line);
        return { type: 'identifier', pos: token.pos, name: token.value };
      case 'dot':
        return { type: 'dot', pos: token.pos };
      case 'nil':
        return { type: 'nil', pos: token.pos };
      case 'variable':
        this.checkVariable(token);
        return { type: 'variable', pos: token.pos, name: token.value, idents: [] };
      case 'field':
        return { type: 'field', pos: token.pos, idents: [token.value.slice(1)] };
      case 'bool':
        return { type: 'bool', pos: token.pos, value: token.value === 'true' };
      case 'char': {
        const char = unquote(`"${token.value.slice(1, -1).replace(/"/g, '\\"')}"`);
        return { type: 'number', pos: token.pos, text: token.value, constant: { value: BigInt(char.codePointAt(0) ?? 0) } };
      }
      case 'number':
      case 'complex':
        try {
          return { type: 'number', pos: token.pos, text: token.value, constant: numberConstant(token.value, token.type === 'complex') };
        } catch (error) {
          this.fail((error as Error).message, token.line);
        }
      // falls through (fail never returns)
      case 'string':
      case 'rawString':
        try {
          return { type: 'string', pos: token.pos, text: token.value, value: unquote(token.value) };
        } catch {
          this.fail(`invalid syntax: ${token.value}`, token.line);
        }
      // falls through
      case 'leftParen':
        return { type: 'pipe', pos: token.pos, pipe: this.pipeline('parenthesized pipeline', 'rightParen') };
      default:
        this.fail(`unexpected ${describe(token)} in operand`, token.line);
    }
  }
}

function describe(token: Token): string {
  switch (token.type) {
    case 'eof':
      return 'EOF';
    case 'right':
      return '"}}"';
    case 'rightParen':
      return '")"';
    case 'keyword':
      return `<${token.value}>`;
    default:
      return JSON.stringify(token.value);
  }
}

export function parseTemplate(name: string, text: string, isFunction: (name: string) => boolean): TemplateSet {
  return new Parser(name, text, isFunction).parse();
}
