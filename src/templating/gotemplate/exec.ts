import { argString, type Arg, type Command, type Node, type Pipe } from './ast.js';
import { commandText, errorContext, GoTemplateError, pipeToString, type ErrorSite } from './error-context.js';
import { callFunction, type FuncMap, type GoFunction } from './func-map.js';
import type { TemplateSet } from './parser.js';
import type { RenderBudget } from './render-budget.js';
import { isSemver, isVersionValue, SEMVER_METHODS, semverMethodTakesVersion, type SemVer } from './semver.js';
import { isMap, isTrue, kindOf, printed, typeName, type GoValue } from './value.js';

export type MissingKeyMode = 'default' | 'invalid' | 'zero' | 'error';

export interface ExecLimits {
  maxSteps: number;
  maxOutputBytes: number;
  maxDepth: number;
}

const NO_FINAL = Symbol('no final value');
type Final = GoValue | typeof NO_FINAL;

class BreakSignal {}
class ContinueSignal {}

interface Variable {
  name: string;
  value: GoValue;
}

export class Executor {
  private out: string[] = [];
  private outBytes = 0;
  private steps = 0;
  private depth = 0;
  private vars: Variable[] = [];
  private at: ErrorSite | undefined;
  private templateName: string;

  constructor(
    private readonly parseName: string,
    private readonly text: string,
    private readonly set: TemplateSet,
    private readonly funcs: FuncMap,
    private readonly missingKey: MissingKeyMode,
    private readonly limits: ExecLimits,
    private readonly budget: RenderBudget,
  ) {
    this.templateName = parseName;
  }

  /** Executes under the render's budget (its clock running). */
  run(data: GoValue): string {
    return this.budget.run(() => this.execute(data));
  }

  private execute(data: GoValue): string {
    const root = this.set.get(this.parseName);
    if (!root) {
      throw new GoTemplateError(`template: ${this.parseName}: "${this.parseName}" is an incomplete or empty template`);
    }
    this.vars = [{ name: '$', value: data }];
    this.walkList(data, root);
    try {
      this.budget.charge(this.outBytes);
    } catch (error) {
      this.fail((error as Error).message);
    }
    return this.out.join('');
  }

  private fail(message: string): never {
    if (!this.at) throw new GoTemplateError(`template: ${this.templateName}: ${message}`);
    const { location, context } = errorContext(this.text, this.at);
    throw new GoTemplateError(`template: ${this.parseName}:${location}: executing "${this.templateName}" at <${context}>: ${message}`);
  }

  private step(): void {
    if (++this.steps > this.limits.maxSteps) this.fail(`template execution exceeded its budget of ${this.limits.maxSteps} steps`);
    // Reading the clock every step would cost more than most steps.
    if ((this.steps & 1023) === 0 && this.budget.expired()) this.fail(this.budget.timeoutMessage);
  }

  private write(text: string): void {
    this.outBytes += text.length;
    if (this.outBytes > this.limits.maxOutputBytes) this.fail(`template output exceeded its budget of ${this.limits.maxOutputBytes} bytes`);
    this.out.push(text);
  }

  private walkList(dot: GoValue, list: Node[]): void {
    for (const node of list) this.walk(dot, node);
  }

  private walk(dot: GoValue, node: Node): void {
    this.step();
    this.at = node;
    switch (node.type) {
      case 'text':
        this.write(node.text);
        return;
      case 'action': {
        const value = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.write(printed(value));
        return;
      }
      case 'if':
      case 'with': {
        const mark = this.vars.length;
        const value = this.evalPipeline(dot, node.pipe);
        if (isTrue(value)) this.walkList(node.type === 'with' ? value : dot, node.list);
        else if (node.elseList) this.walkList(dot, node.elseList);
        this.vars.length = mark;
        return;
      }
      case 'range':
        this.walkRange(dot, node);
        return;
      case 'template':
        this.walkTemplate(dot, node);
        return;
      case 'break':
        throw new BreakSignal();
      case 'continue':
        throw new ContinueSignal();
    }
  }

  private walkRange(dot: GoValue, node: Extract<Node, { type: 'range' }>): void {
    const mark = this.vars.length;
    const decl = node.pipe.decl;
    // `range $x = ...` assigns the enclosing variables (they keep the pipeline's value, then each
    // element, after the range); `:=` declares new ones for the body, as Go's walkRange does.
    const assign = node.pipe.isAssign;
    const value = this.evalPipeline(dot, assign ? node.pipe : { ...node.pipe, decl: [] });
    const iterate = (index: GoValue, element: GoValue): boolean => {
      this.step();
      if (assign) {
        if (decl.length === 1) this.setVar(decl[0], element);
        if (decl.length === 2) {
          this.setVar(decl[0], index);
          this.setVar(decl[1], element);
        }
      } else {
        if (decl.length === 1) this.vars.push({ name: decl[0], value: element });
        if (decl.length === 2) this.vars.push({ name: decl[0], value: index }, { name: decl[1], value: element });
      }
      const inner = this.vars.length;
      try {
        this.walkList(element, node.list);
      } catch (signal) {
        if (signal instanceof BreakSignal) return false;
        if (!(signal instanceof ContinueSignal)) throw signal;
      } finally {
        this.vars.length = assign ? inner : inner - decl.length;
      }
      return true;
    };
    let ran = false;
    switch (kindOf(value)) {
      case 'slice':
        for (let i = 0; i < (value as unknown[]).length; i++) {
          ran = true;
          if (!iterate(BigInt(i), (value as unknown[])[i])) break;
        }
        break;
      case 'map':
        for (const key of Object.keys(value as object).sort()) {
          ran = true;
          if (!iterate(key, (value as Record<string, unknown>)[key])) break;
        }
        break;
      case 'int': {
        const n = value as bigint;
        for (let i = 0n; i < n; i++) {
          ran = true;
          if (!iterate(i, i)) break;
        }
        break;
      }
      case 'invalid':
      case 'nil':
        break;
      default:
        this.at = { pos: node.pipe.pos, context: pipeToString(node.pipe) };
        this.fail(`range can't iterate over ${printed(value)}`);
    }
    this.vars.length = mark;
    if (!ran && node.elseList) this.walkList(dot, node.elseList);
  }

  private walkTemplate(dot: GoValue, node: Extract<Node, { type: 'template' }>): void {
    const body = this.set.get(node.name);
    if (!body) this.fail(`template ${JSON.stringify(node.name)} not defined`);
    const value = node.pipe ? this.evalPipeline(dot, node.pipe) : null;
    if (++this.depth > this.limits.maxDepth) this.fail(`exceeded maximum template depth (${this.limits.maxDepth})`);
    const saved = { vars: this.vars, name: this.templateName };
    this.vars = [{ name: '$', value }];
    this.templateName = node.name;
    try {
      this.walkList(value, body);
    } finally {
      this.vars = saved.vars;
      this.templateName = saved.name;
      this.depth--;
    }
  }

  private evalPipeline(dot: GoValue, pipe: Pipe): GoValue {
    let value: Final = NO_FINAL;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    const result = value === NO_FINAL ? undefined : value;
    for (const name of pipe.decl) {
      if (pipe.isAssign) this.setVar(name, result);
      else this.vars.push({ name, value: result });
    }
    return result;
  }

  private setVar(name: string, value: GoValue): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) {
        this.vars[i].value = value;
        return;
      }
    }
    this.fail(`undefined variable: ${name}`);
  }

  private varValue(name: string): GoValue {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    this.fail(`undefined variable: ${name}`);
  }

  private notAFunction(args: Arg[], final: Final): void {
    if (args.length > 1 || final !== NO_FINAL) this.fail(`can't give argument to non-function ${argString(args[0])}`);
  }

  private evalCommand(dot: GoValue, cmd: Command, final: Final): GoValue {
    this.step();
    const first = cmd.args[0];
    this.at = first;
    switch (first.type) {
      case 'field':
        return this.evalFieldChain(dot, dot, first, first.idents, cmd.args, final);
      case 'chain': {
        const receiver = this.evalArg(dot, first.node);
        return this.evalFieldChain(dot, receiver, first, first.idents, cmd.args, final);
      }
      case 'identifier':
        return this.evalFunction(dot, first, cmd.args, final, cmd);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first.pipe);
      case 'variable': {
        const value = this.varValue(first.name);
        if (first.idents.length === 0) {
          this.notAFunction(cmd.args, final);
          return value;
        }
        return this.evalFieldChain(dot, value, first, first.idents, cmd.args, final);
      }
    }
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        return this.fail('nil is not a command');
      case 'number':
        return this.idealConstant(first);
      case 'string':
        return first.value;
    }
  }

  private evalFieldChain(dot: GoValue, receiver: GoValue, node: Arg, idents: string[], args: Arg[], final: Final): GoValue {
    let value = receiver;
    for (let i = 0; i < idents.length; i++) {
      const last = i === idents.length - 1;
      value = this.evalField(dot, idents[i], node, last ? args : [], last ? final : NO_FINAL, value);
    }
    return value;
  }

  private evalField(dot: GoValue, name: string, node: Arg, args: Arg[], final: Final, receiver: GoValue): GoValue {
    this.at = node;
    if (receiver === undefined) {
      if (this.missingKey === 'error') this.fail(`nil data; no entry for key ${JSON.stringify(name)}`);
      return undefined;
    }
    if (receiver === null) this.fail(`nil pointer evaluating interface {}.${name}`);
    if (isSemver(receiver)) return this.callSemverMethod(dot, name, node, args, final, receiver);
    if (isMap(receiver)) {
      if (args.length > 1 || final !== NO_FINAL) this.fail(`${name} is not a method but has arguments`);
      if (Object.hasOwn(receiver, name)) {
        const value = receiver[name];
        return value === undefined ? null : value;
      }
      switch (this.missingKey) {
        case 'error':
          return this.fail(`map has no entry for key ${JSON.stringify(name)}`);
        case 'zero':
          return null;
        default:
          return undefined;
      }
    }
    return this.fail(`can't evaluate field ${name} in type interface {}`);
  }

  /** A method of the *semver.Version sprig's semver returns, with text/template's argument checks. */
  private callSemverMethod(dot: GoValue, name: string, node: Arg, args: Arg[], final: Final, version: SemVer): GoValue {
    const method = Object.hasOwn(SEMVER_METHODS, name) ? SEMVER_METHODS[name] : undefined;
    const receiverType = isVersionValue(version) ? 'semver.Version' : '*semver.Version';
    if (!method || (method.pointer && isVersionValue(version))) this.fail(`can't evaluate field ${name} in type ${receiverType}`);
    const wantsVersion = semverMethodTakesVersion(name);
    const values = args.slice(1).map((arg) => {
      if (arg.type === 'nil') {
        if (wantsVersion) this.fail(`error calling ${name}: runtime error: invalid memory address or nil pointer dereference`);
        this.fail('cannot assign nil to string');
      }
      // evalArg's checks for a typed parameter: a constant of the wrong kind, then a value of the wrong type.
      if (arg.type === 'string' || arg.type === 'number' || arg.type === 'bool') {
        this.at = arg;
        if (wantsVersion) this.fail(`can't handle ${argString(arg)} for arg of type *semver.Version`);
        if (arg.type !== 'string') this.fail(`expected string; found ${argString(arg)}`);
      }
      const value = this.evalArg(dot, arg);
      const fits = wantsVersion ? isSemver(value) && !isVersionValue(value) : typeof value === 'string';
      if (!fits) {
        const got = isSemver(value) ? (isVersionValue(value) ? 'semver.Version' : '*semver.Version') : typeName(value);
        this.fail(`wrong type for value; expected ${wantsVersion ? '*semver.Version' : 'string'}; got ${got}`);
      }
      return value as SemVer | string;
    });
    if (final !== NO_FINAL) values.push(final as SemVer | string);
    this.at = node;
    if (values.length !== method.arity) this.fail(`wrong number of args for ${name}: want ${method.arity} got ${values.length}`);
    try {
      return method.call(version, ...values);
    } catch (error) {
      return this.fail(`error calling ${name}: ${(error as Error).message}`);
    }
  }

  private evalFunction(dot: GoValue, node: Extract<Arg, { type: 'identifier' }>, args: Arg[], final: Final, cmd?: Command): GoValue {
    const fn = this.funcs[node.name];
    if (!fn) this.fail(`"${node.name}" is not a defined function`);
    const rest = args.slice(1);
    if (fn.lazy) {
      const thunks = rest.map((arg) => () => this.evalArg(dot, arg));
      if (final !== NO_FINAL) thunks.push(() => final);
      return this.call(node, fn, thunks, cmd);
    }
    const values = rest.map((arg) => this.evalArg(dot, arg));
    if (final !== NO_FINAL) values.push(final);
    return this.call(node, fn, values, cmd);
  }

  private call(node: Extract<Arg, { type: 'identifier' }>, fn: GoFunction, values: unknown[], cmd?: Command): GoValue {
    // Go reports call errors at the whole command: <index .list 5>.
    const site = cmd ? { pos: node.pos, context: commandText(cmd) } : node;
    this.at = site;
    return callFunction(node.name, fn, values, this.budget, (message) => {
      // Lazy arguments moved the position on while the call ran.
      this.at = site;
      return this.fail(message);
    });
  }

  private evalArg(dot: GoValue, arg: Arg): GoValue {
    this.step();
    this.at = arg;
    switch (arg.type) {
      case 'dot':
        return dot;
      case 'nil':
        return null;
      case 'field':
        return this.evalFieldChain(dot, dot, arg, arg.idents, [arg], NO_FINAL);
      case 'variable': {
        const value = this.varValue(arg.name);
        return arg.idents.length ? this.evalFieldChain(dot, value, arg, arg.idents, [arg], NO_FINAL) : value;
      }
      case 'pipe':
        return this.evalPipeline(dot, arg.pipe);
      case 'identifier':
        return this.evalFunction(dot, arg, [arg], NO_FINAL);
      case 'chain':
        return this.evalFieldChain(dot, this.evalArg(dot, arg.node), arg, arg.idents, [arg], NO_FINAL);
      case 'number':
        return this.idealConstant(arg);
      case 'bool':
      case 'string':
        return arg.value;
    }
  }

  /** exec's idealConstant: an integer constant past int64 (but within uint64) fails only when used. */
  private idealConstant(node: Extract<Arg, { type: 'number' }>): GoValue {
    if ('overflowsInt' in node.constant) this.fail(`${node.text} overflows int`);
    return node.constant.value;
  }
}
