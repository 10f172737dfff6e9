import type { Arg, Node } from './ast.js';
import type { ErrorSite } from './error-context.js';
import { isMap, type GoValue } from './value.js';

/**
 * What most Application templates are: text and actions printing a field (`{{ .path.basename }}`).
 * Such a template is printed without an Execution (no variables, functions or control flow to
 * track) as long as every field it prints is a string held by a plain map. Anything else (a
 * missing key, a number, a method, output past the limit) prints nothing, and the full walk runs
 * with Go's conversions, errors and limits.
 */
export interface FieldPrinter {
  /** The output, or undefined when the full walk must decide. */
  print(data: GoValue, maxOutputBytes: number): string | undefined;
  /** The steps the full walk takes on this template: the printer stands in for it only within the walk's step limit and below its first clock reading. */
  readonly steps: number;
  /** Where the walk stands once it has run every node: an error charging the output is reported there. */
  readonly lastSite: ErrorSite | undefined;
}

/** A field chain the walk reads as map entries alone: names no object inherits, so a found value is the map's own. */
type FieldChain = readonly string[];

/** Steps the walk takes per text node, and per action (the action and its command). */
const TEXT_STEPS = 1;
const ACTION_STEPS = 2;

/** The printer for a template's nodes, or undefined when they are more than text and printed fields. */
export function compileFieldPrinter(list: Node[]): FieldPrinter | undefined {
  const parts: (string | FieldChain)[] = [];
  let steps = 0;
  let lastSite: ErrorSite | undefined;
  for (const node of list) {
    if (node.type === 'text') {
      parts.push(node.text);
      steps += TEXT_STEPS;
      lastSite = node;
      continue;
    }
    if (node.type !== 'action') return undefined;
    const field = printedField(node);
    if (!field) return undefined;
    parts.push(field.idents);
    steps += ACTION_STEPS;
    lastSite = field;
  }
  return { print: (data, maxOutputBytes) => print(parts, data, maxOutputBytes), steps, lastSite };
}

/** The field an action prints when it is `{{ .a.b }}`: one command of one field, nothing declared. */
function printedField(node: Extract<Node, { type: 'action' }>): Extract<Arg, { type: 'field' }> | undefined {
  const { decl, cmds } = node.pipe;
  if (decl.length !== 0 || cmds.length !== 1 || cmds[0].args.length !== 1) return undefined;
  const field = cmds[0].args[0];
  if (field.type !== 'field' || field.idents.some((name) => name in Object.prototype)) return undefined;
  return field;
}

function print(parts: readonly (string | FieldChain)[], data: GoValue, maxOutputBytes: number): string | undefined {
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    let value = data;
    for (let j = 0; j < part.length && value !== undefined; j++) value = entry(value, part[j]);
    if (typeof value !== 'string') return undefined;
    out += value;
  }
  return out.length > maxOutputBytes ? undefined : out;
}

/** A plain map's entry that is data, as the walk reads it; undefined for anything the walk treats otherwise (methods, sprig's semver versions, non-maps). */
function entry(receiver: GoValue, name: string): GoValue {
  if (!isMap(receiver) || typeof receiver.Major === 'bigint') return undefined;
  const value = receiver[name];
  return typeof value === 'function' ? undefined : value;
}
