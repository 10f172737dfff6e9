import { argString, type Arg, type Command, type Node, type Pipe } from './ast.js';

export class GoTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GoTemplateError';
  }
}

/** What an execution error is reported at: a parse node, or a position with its text (a whole command). */
export type ErrorSite = Node | Arg | { pos: number; context: string };

/** Go's ErrorContext: the site's `LINE:COL` in the template text, and the text shown for it. */
export function errorContext(text: string, site: ErrorSite): { location: string; context: string } {
  const before = text.slice(0, site.pos);
  const line = before.split('\n').length;
  const lastNewline = before.lastIndexOf('\n');
  const column = lastNewline < 0 ? site.pos : site.pos - lastNewline - 1;
  return { location: `${line}:${column}`, context: 'context' in site ? site.context : describeNode(site) };
}

/** Go's execution error: `template: FILE:LINE:COL: executing "NAME" at <CONTEXT>: MESSAGE`, or `template: NAME: MESSAGE` before any node ran. */
export function executionError(file: string, text: string, templateName: string, site: ErrorSite | undefined, message: string): GoTemplateError {
  if (!site) return new GoTemplateError(`template: ${templateName}: ${message}`);
  const { location, context } = errorContext(text, site);
  return new GoTemplateError(`template: ${file}:${location}: executing "${templateName}" at <${context}>: ${message}`);
}

/** A command as Go shows it in call errors: `index .list 5`. */
export function commandText(cmd: Command): string {
  return cmd.args.map(argString).join(' ');
}

export function pipeToString(pipe: Pipe): string {
  return pipe.cmds.map(commandText).join(' | ');
}

function describeNode(node: Node | Arg): string {
  switch (node.type) {
    case 'text':
      return node.text;
    case 'action':
      return `{{${pipeToString(node.pipe)}}}`;
    case 'if':
    case 'with':
    case 'range':
      return `{{${node.type} ${pipeToString(node.pipe)}}}`;
    case 'template':
      return `{{template ${JSON.stringify(node.name)}}}`;
    case 'break':
    case 'continue':
      return `{{${node.type}}}`;
    default:
      return argString(node);
  }
}
