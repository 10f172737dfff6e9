import type { NumberConstant } from './number-literal.js';
/** The parse tree of a Go text/template, as text/template/parse shapes it. */

export type Node =
  | { type: 'text'; pos: number; text: string }
  | { type: 'action'; pos: number; pipe: Pipe }
  | { type: 'if' | 'with'; pos: number; pipe: Pipe; list: Node[]; elseList?: Node[] }
  | { type: 'range'; pos: number; pipe: Pipe; list: Node[]; elseList?: Node[] }
  | { type: 'template'; pos: number; name: string; pipe?: Pipe }
  | { type: 'break' | 'continue'; pos: number };

export interface Pipe {
  pos: number;
  decl: string[];
  isAssign: boolean;
  cmds: Command[];
}

export interface Command {
  pos: number;
  args: Arg[];
}

export type Arg =
  | { type: 'field'; pos: number; idents: string[] }
  | { type: 'variable'; pos: number; name: string; idents: string[] }
  | { type: 'dot'; pos: number }
  | { type: 'nil'; pos: number }
  | { type: 'bool'; pos: number; value: boolean }
  | { type: 'number'; pos: number; text: string; constant: NumberConstant }
  | { type: 'string'; pos: number; text: string; value: string }
  | { type: 'identifier'; pos: number; name: string }
  | { type: 'pipe'; pos: number; pipe: Pipe }
  | { type: 'chain'; pos: number; node: Arg; idents: string[] };

export function argString(arg: Arg): string {
  switch (arg.type) {
    case 'field':
      return `.${arg.idents.join('.')}`;
    case 'variable':
      return [arg.name, ...arg.idents].join('.');
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return String(arg.value);
    case 'number':
    case 'string':
      return arg.text;
    case 'identifier':
      return arg.name;
    case 'pipe':
      return `(${pipeString(arg.pipe)})`;
    case 'chain':
      return `${argString(arg.node)}.${arg.idents.join('.')}`;
  }
}

export function pipeString(pipe: Pipe): string {
  const decl = pipe.decl.length ? `${pipe.decl.join(', ')} ${pipe.isAssign ? '=' : ':='} ` : '';
  return decl + pipe.cmds.map((c) => c.args.map(argString).join(' ')).join(' | ');
}
