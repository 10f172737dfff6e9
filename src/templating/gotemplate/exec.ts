import { argString, type Arg, type Command, type Node, type Pipe } from './ast.js';
import { commandText, executionError, GoTemplateError, pipeToString, type ErrorSite } from './error-context.js';
import { compileFieldPrinter, type FieldPrinter } from './field-printer.js';
import { callFunction, isGoMethod, type FuncMap, type GoFunction } from './func-map.js';
import type { TemplateSet } from './parser.js';
import { activeBudget, type RenderBudget } from './render-budget.js';
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

/*
 * A parsed template is compiled once, when it is parsed, to one closure per node; a render runs the
 * closures against an Execution (output, variables, step count, error site). The closures take the
 * same steps in the same order as text/template's walk, so limits, errors and their positions are
 * Go's; the choices that depend only on the tree (node kind, argument count, function, error texts)
 * are made at compile time instead of on every render.
 */
type RunNode = (ex: Execution, dot: GoValue) => void;
type Evaluate = (ex: Execution, dot: GoValue) => GoValue;
type EvaluateCommand = (ex: Execution, dot: GoValue, final: Final) => GoValue;
type EvaluateField = (ex: Execution, dot: GoValue, receiver: GoValue, final: Final) => GoValue;

/** The text a template was parsed from, for error positions: Go reports the file, not the template. */
export interface TemplateSource {
  file: string;
  text: string;
}

/** A parsed template set compiled against one function map. */
export interface CompiledTemplate {
  readonly templates: ReadonlyMap<string, RunNode>;
  /** The templates that are only text and printed fields, printed without a walk (see FieldPrinter). */
  readonly printers: ReadonlyMap<string, FieldPrinter>;
  /** Where each template was parsed from, when a set was parsed from several texts (Helm's chart files). */
  readonly sources?: ReadonlyMap<string, TemplateSource>;
  /** The set this one was parsed into (Helm's tpl parses into a clone of the chart's templates): its templates are found too. */
  readonly parent?: CompiledTemplate;
}

export function compileTemplateSet(
  set: TemplateSet,
  funcs: FuncMap,
  sources?: ReadonlyMap<string, TemplateSource>,
  parent?: CompiledTemplate,
): CompiledTemplate {
  const templates = new Map<string, RunNode>();
  const printers = new Map<string, FieldPrinter>();
  const compiled = { templates, printers, sources, parent };
  for (const [name, list] of set) {
    templates.set(name, compileList(list, funcs, compiled));
    const printer = compileFieldPrinter(list);
    if (printer) printers.set(name, printer);
  }
  return compiled;
}

/** The set (this one or one it was parsed into) that holds the template `name`. */
function setHolding(compiled: CompiledTemplate, name: string): CompiledTemplate | undefined {
  for (let set: CompiledTemplate | undefined = compiled; set; set = set.parent) if (set.templates.has(name)) return set;
  return undefined;
}

/** A template of the set (or of the sets it was parsed into) and the text it came from. */
function findTemplate(compiled: CompiledTemplate, name: string): { body: RunNode; source?: TemplateSource } | undefined {
  const set = setHolding(compiled, name);
  return set && { body: set.templates.get(name)!, source: set.sources?.get(name) };
}

/** Charges a printed template's output to the render, as the walk charges its output once it has run (under the render's clock). */
function chargePrinted(out: string, budget: RenderBudget, file: string, text: string, name: string, printer: FieldPrinter): void {
  if (activeBudget() !== budget) return budget.run(() => chargePrinted(out, budget, file, text, name, printer));
  try {
    budget.charge(out.length);
  } catch (error) {
    throw executionError(file, text, name, printer.lastSite, (error as Error).message);
  }
}

/** The walk reads the clock once every this many steps. */
const STEPS_PER_CLOCK_READING = 1024;

/** A template of a set made ready to run: each call renders it on `data` under `budget`. */
export type TemplateRun = (data: GoValue, budget: RenderBudget) => string;

/**
 * Readies the template `rootName` of a set to run as an Execution runs it: printed directly when it
 * is text and printed fields that hold strings, walked otherwise. `text` is what the template was
 * parsed from when the set has no sources, for error positions.
 */
export function templateRunner(rootName: string, text: string, compiled: CompiledTemplate, missingKey: MissingKeyMode, limits: ExecLimits): TemplateRun {
  const walk: TemplateRun = (data, budget) => new Execution(rootName, text, compiled, missingKey, limits, budget).run(data);
  const set = setHolding(compiled, rootName);
  const printer = set?.printers.get(rootName);
  // Within these bounds the walk neither runs out of steps nor reads the clock: only its output is charged.
  if (!set || !printer || printer.steps > limits.maxSteps || printer.steps >= STEPS_PER_CLOCK_READING) return walk;
  const source = set.sources?.get(rootName);
  const file = source?.file ?? rootName;
  const sourceText = source?.text ?? text;
  return (data, budget) => {
    const out = printer.print(data, limits.maxOutputBytes);
    if (out === undefined) return walk(data, budget);
    chargePrinted(out, budget, file, sourceText, rootName, printer);
    return out;
  };
}

function compileList(list: Node[], funcs: FuncMap, compiled: CompiledTemplate): RunNode {
  const runs = list.map((node) => compileNode(node, funcs, compiled));
  if (runs.length === 1) return runs[0];
  return (ex, dot) => {
    for (let i = 0; i < runs.length; i++) runs[i](ex, dot);
  };
}

function compileNode(node: Node, funcs: FuncMap, compiled: CompiledTemplate): RunNode {
  switch (node.type) {
    case 'text': {
      const text = node.text;
      return (ex) => {
        ex.step();
        ex.at = node;
        ex.write(text);
      };
    }
    case 'action': {
      const pipe = compilePipeline(node.pipe, funcs);
      const prints = node.pipe.decl.length === 0;
      return (ex, dot) => {
        ex.step();
        ex.at = node;
        const value = pipe(ex, dot);
        if (prints) ex.write(typeof value === 'string' ? value : printed(value));
      };
    }
    case 'if':
    case 'with': {
      const pipe = compilePipeline(node.pipe, funcs);
      const list = compileList(node.list, funcs, compiled);
      const elseList = node.elseList && compileList(node.elseList, funcs, compiled);
      const isWith = node.type === 'with';
      return (ex, dot) => {
        ex.step();
        ex.at = node;
        const mark = ex.vars.length;
        const value = pipe(ex, dot);
        if (isTrue(value)) list(ex, isWith ? value : dot);
        else if (elseList) elseList(ex, dot);
        ex.vars.length = mark;
      };
    }
    case 'range':
      return compileRange(node, funcs, compiled);
    case 'template':
      return compileTemplateCall(node, funcs, compiled);
    case 'break':
      return (ex) => {
        ex.step();
        ex.at = node;
        throw new BreakSignal();
      };
    case 'continue':
      return (ex) => {
        ex.step();
        ex.at = node;
        throw new ContinueSignal();
      };
  }
}

function compileRange(node: Extract<Node, { type: 'range' }>, funcs: FuncMap, compiled: CompiledTemplate): RunNode {
  const decl = node.pipe.decl;
  // `range $x = ...` assigns the enclosing variables (they keep the pipeline's value, then each
  // element, after the range); `:=` declares new ones for the body, as Go's walkRange does.
  const assign = node.pipe.isAssign;
  const pipe = compilePipeline(assign ? node.pipe : { ...node.pipe, decl: [] }, funcs);
  const body = compileList(node.list, funcs, compiled);
  const elseList = node.elseList && compileList(node.elseList, funcs, compiled);
  const notIterable = { pos: node.pipe.pos, context: pipeToString(node.pipe) };
  return (ex, dot) => {
    ex.step();
    ex.at = node;
    const mark = ex.vars.length;
    const value = pipe(ex, dot);
    const iterate = (index: GoValue, element: GoValue): boolean => {
      ex.step();
      if (assign) {
        if (decl.length === 1) ex.setVar(decl[0], element);
        if (decl.length === 2) {
          ex.setVar(decl[0], index);
          ex.setVar(decl[1], element);
        }
      } else {
        if (decl.length === 1) ex.vars.push({ name: decl[0], value: element });
        if (decl.length === 2) ex.vars.push({ name: decl[0], value: index }, { name: decl[1], value: element });
      }
      const inner = ex.vars.length;
      try {
        body(ex, element);
      } catch (signal) {
        if (signal instanceof BreakSignal) return false;
        if (!(signal instanceof ContinueSignal)) throw signal;
      } finally {
        ex.vars.length = assign ? inner : inner - decl.length;
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
        ex.at = notIterable;
        ex.fail(`range can't iterate over ${printed(value)}`);
    }
    ex.vars.length = mark;
    if (!ran && elseList) elseList(ex, dot);
  };
}

function compileTemplateCall(node: Extract<Node, { type: 'template' }>, funcs: FuncMap, compiled: CompiledTemplate): RunNode {
  const name = node.name;
  const notDefined = `template ${JSON.stringify(name)} not defined`;
  const pipe = node.pipe && compilePipeline(node.pipe, funcs);
  return (ex, dot) => {
    ex.step();
    ex.at = node;
    // Looked up when run: a template may call itself, or one defined after it.
    const found = findTemplate(compiled, name);
    if (!found) return ex.fail(notDefined);
    const value = pipe ? pipe(ex, dot) : null;
    ex.enterTemplate(name, value, () => found.body(ex, value), found.source);
  };
}

function compilePipeline(pipe: Pipe, funcs: FuncMap): Evaluate {
  const cmds = pipe.cmds.map((cmd) => compileCommand(cmd, funcs));
  const decl = pipe.decl;
  const assign = pipe.isAssign;
  if (cmds.length === 1 && decl.length === 0) {
    const only = cmds[0];
    return (ex, dot) => only(ex, dot, NO_FINAL);
  }
  return (ex, dot) => {
    let value: Final = NO_FINAL;
    for (let i = 0; i < cmds.length; i++) value = cmds[i](ex, dot, value);
    const result = value === NO_FINAL ? undefined : value;
    for (const name of decl) {
      if (assign) ex.setVar(name, result);
      else ex.vars.push({ name, value: result });
    }
    return result;
  };
}

function compileCommand(cmd: Command, funcs: FuncMap): EvaluateCommand {
  const first = cmd.args[0];
  const takesArguments = cmd.args.length > 1;
  const nonFunction = `can't give argument to non-function ${argString(first)}`;
  const notAFunction = (ex: Execution, final: Final): void => {
    if (takesArguments || final !== NO_FINAL) ex.fail(nonFunction);
  };
  switch (first.type) {
    case 'field': {
      const chain = compileFieldChain(first, first.idents, cmd.args, funcs);
      return (ex, dot, final) => {
        ex.step();
        ex.at = first;
        return chain(ex, dot, dot, final);
      };
    }
    case 'chain': {
      const receiver = compileArg(first.node, funcs);
      const chain = compileFieldChain(first, first.idents, cmd.args, funcs);
      return (ex, dot, final) => {
        ex.step();
        ex.at = first;
        return chain(ex, dot, receiver(ex, dot), final);
      };
    }
    case 'identifier': {
      const call = compileFunction(first, cmd.args, funcs, cmd);
      return (ex, dot, final) => {
        ex.step();
        ex.at = first;
        return call(ex, dot, final);
      };
    }
    case 'pipe': {
      const pipe = compilePipeline(first.pipe, funcs);
      return (ex, dot, final) => {
        ex.step();
        ex.at = first;
        notAFunction(ex, final);
        return pipe(ex, dot);
      };
    }
    case 'variable': {
      const name = first.name;
      if (first.idents.length === 0) {
        return (ex, _dot, final) => {
          ex.step();
          ex.at = first;
          const value = ex.varValue(name);
          notAFunction(ex, final);
          return value;
        };
      }
      const chain = compileFieldChain(first, first.idents, cmd.args, funcs);
      return (ex, dot, final) => {
        ex.step();
        ex.at = first;
        return chain(ex, dot, ex.varValue(name), final);
      };
    }
  }
  const constant = compileConstant(first);
  return (ex, dot, final) => {
    ex.step();
    ex.at = first;
    notAFunction(ex, final);
    return constant(ex, dot);
  };
}

/** A command's or argument's value that needs no evaluation: a literal, dot or nil. */
function compileConstant(node: Extract<Arg, { type: 'bool' | 'dot' | 'nil' | 'number' | 'string' }>): Evaluate {
  switch (node.type) {
    case 'bool':
    case 'string': {
      const value = node.value;
      return () => value;
    }
    case 'dot':
      return (_ex, dot) => dot;
    case 'nil':
      return (ex) => ex.fail('nil is not a command');
    case 'number': {
      // exec's idealConstant: an integer constant past int64 (but within uint64) fails only when used.
      const constant = node.constant;
      if ('overflowsInt' in constant) return (ex) => ex.fail(`${node.text} overflows int`);
      return () => constant.value;
    }
  }
}

function compileFieldChain(node: Arg, idents: string[], args: Arg[], funcs: FuncMap): EvaluateField {
  const last = idents.length - 1;
  const fields = idents.map((name, i) => compileField(name, node, i === last ? args : [], funcs));
  if (fields.length === 1) return fields[0];
  return (ex, dot, receiver, final) => {
    let value = receiver;
    for (let i = 0; i < fields.length; i++) value = fields[i](ex, dot, value, i === last ? final : NO_FINAL);
    return value;
  };
}

function compileField(name: string, node: Arg, args: Arg[], funcs: FuncMap): EvaluateField {
  const quoted = JSON.stringify(name);
  const takesArguments = args.length > 1;
  const methodArgs = args.slice(1).map((arg) => compileArg(arg, funcs));
  // A name no object inherits is a map's own entry whenever reading it finds something: one lookup.
  const onlyOwn = !(name in Object.prototype);
  return (ex, dot, receiver, final) => {
    ex.at = node;
    if (receiver === undefined) {
      if (ex.missingKey === 'error') ex.fail(`nil data; no entry for key ${quoted}`);
      return undefined;
    }
    if (receiver === null) ex.fail(`nil pointer evaluating interface {}.${name}`);
    const member = typeof receiver === 'object' ? (receiver as Record<string, unknown>)[name] : undefined;
    if (isGoMethod(member)) {
      const values: unknown[] = [];
      for (let i = 0; i < methodArgs.length; i++) values.push(methodArgs[i](ex, dot));
      if (final !== NO_FINAL) values.push(final);
      return ex.call(node, name, member, values);
    }
    if (!isMap(receiver)) return ex.fail(`can't evaluate field ${name} in type interface {}`);
    if (typeof receiver.Major === 'bigint' && isSemver(receiver)) return ex.callSemverMethod(dot, name, node, args, methodArgs, final, receiver);
    if (takesArguments || final !== NO_FINAL) ex.fail(`${name} is not a method but has arguments`);
    if (onlyOwn) {
      const value = receiver[name];
      if (value !== undefined) return value;
    }
    if (Object.hasOwn(receiver, name)) {
      const value = receiver[name];
      return value === undefined ? null : value;
    }
    switch (ex.missingKey) {
      case 'error':
        return ex.fail(`map has no entry for key ${quoted}`);
      case 'zero':
        return null;
      default:
        return undefined;
    }
  };
}

function compileFunction(node: Extract<Arg, { type: 'identifier' }>, args: Arg[], funcs: FuncMap, cmd?: Command): EvaluateCommand {
  const name = node.name;
  const fn = funcs[name] as GoFunction | undefined;
  if (!fn) return (ex) => ex.fail(`"${name}" is not a defined function`);
  const rest = args.slice(1).map((arg) => compileArg(arg, funcs));
  // Go reports call errors at the whole command: <index .list 5>.
  const site: ErrorSite = cmd ? { pos: node.pos, context: commandText(cmd) } : node;
  if (fn.lazy) {
    return (ex, dot, final) => {
      const thunks = rest.map((evaluate) => () => evaluate(ex, dot));
      if (final !== NO_FINAL) thunks.push(() => final);
      return ex.call(site, name, fn, thunks);
    };
  }
  return (ex, dot, final) => {
    const values: unknown[] = [];
    for (let i = 0; i < rest.length; i++) values.push(rest[i](ex, dot));
    if (final !== NO_FINAL) values.push(final);
    return ex.call(site, name, fn, values);
  };
}

function compileArg(arg: Arg, funcs: FuncMap): Evaluate {
  let evaluate: Evaluate;
  switch (arg.type) {
    case 'dot':
    case 'number':
    case 'bool':
    case 'string':
      evaluate = compileConstant(arg);
      break;
    case 'nil':
      evaluate = () => null;
      break;
    case 'field': {
      const chain = compileFieldChain(arg, arg.idents, [arg], funcs);
      evaluate = (ex, dot) => chain(ex, dot, dot, NO_FINAL);
      break;
    }
    case 'variable': {
      const name = arg.name;
      if (arg.idents.length === 0) {
        evaluate = (ex) => ex.varValue(name);
        break;
      }
      const chain = compileFieldChain(arg, arg.idents, [arg], funcs);
      evaluate = (ex, dot) => chain(ex, dot, ex.varValue(name), NO_FINAL);
      break;
    }
    case 'pipe':
      evaluate = compilePipeline(arg.pipe, funcs);
      break;
    case 'identifier': {
      const call = compileFunction(arg, [arg], funcs);
      evaluate = (ex, dot) => call(ex, dot, NO_FINAL);
      break;
    }
    case 'chain': {
      const receiver = compileArg(arg.node, funcs);
      const chain = compileFieldChain(arg, arg.idents, [arg], funcs);
      evaluate = (ex, dot) => chain(ex, dot, receiver(ex, dot), NO_FINAL);
      break;
    }
  }
  return (ex, dot) => {
    ex.step();
    ex.at = arg;
    return evaluate(ex, dot);
  };
}

/** One render of a compiled template: its output, variables, steps and where an error is reported. */
class Execution {
  /** Variables declared in the running template, innermost last; `$` lies beneath them all. */
  vars: Variable[] = [];
  private dollar: GoValue;
  at: ErrorSite | undefined;
  private out = '';
  private steps = 0;
  private depth = 0;
  private templateName: string;
  private source: TemplateSource;

  /** `rootName` is the template run first; `source` the text it was parsed from, when not a set's own. */
  constructor(
    private readonly rootName: string,
    text: string,
    private readonly compiled: CompiledTemplate,
    readonly missingKey: MissingKeyMode,
    private readonly limits: ExecLimits,
    private readonly budget: RenderBudget,
  ) {
    this.templateName = rootName;
    this.source = { file: rootName, text };
  }

  /** Executes under the render's budget (its clock running). */
  run(data: GoValue): string {
    return this.budget.run(() => this.execute(data));
  }

  private execute(data: GoValue): string {
    const root = findTemplate(this.compiled, this.rootName);
    if (!root) {
      throw new GoTemplateError(`template: ${this.rootName}: "${this.rootName}" is an incomplete or empty template`);
    }
    if (root.source) this.source = root.source;
    this.dollar = data;
    root.body(this, data);
    try {
      this.budget.charge(this.out.length);
    } catch (error) {
      this.fail((error as Error).message);
    }
    return this.out;
  }

  fail(message: string): never {
    throw executionError(this.source.file, this.source.text, this.templateName, this.at, message);
  }

  step(): void {
    if (++this.steps > this.limits.maxSteps) this.fail(`template execution exceeded its budget of ${this.limits.maxSteps} steps`);
    // Reading the clock every step would cost more than most steps.
    if (this.steps % STEPS_PER_CLOCK_READING === 0 && this.budget.expired()) this.fail(this.budget.timeoutMessage);
  }

  write(text: string): void {
    if (this.out.length + text.length > this.limits.maxOutputBytes) this.fail(`template output exceeded its budget of ${this.limits.maxOutputBytes} bytes`);
    this.out += text;
  }

  enterTemplate(name: string, dot: GoValue, body: () => void, source = this.source): void {
    if (++this.depth > this.limits.maxDepth) this.fail(`exceeded maximum template depth (${this.limits.maxDepth})`);
    const saved = { vars: this.vars, dollar: this.dollar, name: this.templateName, source: this.source };
    this.vars = [];
    this.dollar = dot;
    this.templateName = name;
    this.source = source;
    try {
      body();
    } finally {
      this.vars = saved.vars;
      this.dollar = saved.dollar;
      this.templateName = saved.name;
      this.source = saved.source;
      this.depth--;
    }
  }

  setVar(name: string, value: GoValue): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) {
        this.vars[i].value = value;
        return;
      }
    }
    if (name !== '$') this.fail(`undefined variable: ${name}`);
    this.dollar = value;
  }

  varValue(name: string): GoValue {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    if (name !== '$') this.fail(`undefined variable: ${name}`);
    return this.dollar;
  }

  call(site: ErrorSite, name: string, fn: GoFunction, values: unknown[]): GoValue {
    this.at = site;
    return callFunction(name, fn, values, this.budget, (message) => {
      // Lazy arguments moved the position on while the call ran.
      this.at = site;
      return this.fail(message);
    });
  }

  /** A method of the *semver.Version sprig's semver returns, with text/template's argument checks. */
  callSemverMethod(dot: GoValue, name: string, node: Arg, args: Arg[], argValues: Evaluate[], final: Final, version: SemVer): GoValue {
    const method = Object.hasOwn(SEMVER_METHODS, name) ? SEMVER_METHODS[name] : undefined;
    const receiverType = isVersionValue(version) ? 'semver.Version' : '*semver.Version';
    if (!method || (method.pointer && isVersionValue(version))) this.fail(`can't evaluate field ${name} in type ${receiverType}`);
    const wantsVersion = semverMethodTakesVersion(name);
    const values = args.slice(1).map((arg, i) => {
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
      const value = argValues[i](this, dot);
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
}
