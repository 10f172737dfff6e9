import { argoFunctions } from './argo-functions.js';
import { builtinFunctions } from './builtins.js';
import { GoTemplateError } from './error-context.js';
import { compileTemplateSet, templateRunner, type CompiledTemplate, type MissingKeyMode, type TemplateRun } from './exec.js';
import type { FuncMap, GoFunction } from './func-map.js';
import { ParseError, parseTemplate } from './parser.js';
import { WorkNeeded } from './off-thread-work.js';
import { activeBudget, DEFAULT_RENDER_LIMITS, RenderBudget, type RenderLimits } from './render-budget.js';
import { sprigCryptoFunctions, sprigFunctions } from './sprig/index.js';

export { DEFAULT_RENDER_LIMITS, GoTemplateError, RenderBudget, type FuncMap, type GoFunction, type MissingKeyMode, type RenderLimits };
// Go's own behaviour other parts of Regatta mirror too: Argo CD's name sanitizing, Go's quoting, durations and time zones.
export { sanitizeName, toKubeYaml } from './argo-functions.js';
export { goQuote } from './fmt.js';
export { isLoadableZone, parseGoDurationOrError, wallClockIn } from './go-time.js';
export { goMethod } from './func-map.js';
export { compareSemver, parseSemver, semverCompare } from './semver.js';
export { helmFunctions } from './helm-functions.js';
export { TemplateGroup, type GroupFunctions, type TemplateFile, type TemplateGroupOptions } from './template-group.js';
export { printed, typeName, type GoValue } from './value.js';

export interface GoTemplateOptions {
  missingKey?: MissingKeyMode;
  /** Functions added to (and overriding) Argo CD's set, e.g. Helm's include/tpl/required. */
  funcs?: FuncMap;
  /** Evaluation steps allowed per render; a runaway range or recursion fails cleanly. */
  maxSteps?: number;
  maxOutputBytes?: number;
}

const DEFAULT_LIMITS = { maxSteps: 1_000_000, maxOutputBytes: 4 * 1024 * 1024, maxDepth: 1000 };

function execLimits(options: GoTemplateOptions) {
  if (options.maxSteps === undefined && options.maxOutputBytes === undefined) return DEFAULT_LIMITS;
  return { ...DEFAULT_LIMITS, maxSteps: options.maxSteps ?? DEFAULT_LIMITS.maxSteps, maxOutputBytes: options.maxOutputBytes ?? DEFAULT_LIMITS.maxOutputBytes };
}

/** Renders running inside one another (a function that renders, as Helm's tpl and include do). */
const MAX_NESTED_RENDERS = 100;
let nestedRenders = 0;

/** User functions win over text/template's builtins, as Template.Funcs does; sprig's `slice` replaces Go's. */
const ARGO_FUNCTIONS: FuncMap = { ...builtinFunctions, ...sprigFunctions, ...sprigCryptoFunctions, ...argoFunctions };

const CACHE_LIMIT = 5000;
/** Templates parsed and compiled, by function map, then by name and text. */
const compiledByFuncs = new WeakMap<FuncMap, Map<string, CompiledTemplate>>();

function functionsFor(options: GoTemplateOptions): FuncMap {
  return options.funcs ? { ...ARGO_FUNCTIONS, ...options.funcs } : ARGO_FUNCTIONS;
}

function compiled(name: string, text: string, options: GoTemplateOptions): CompiledTemplate {
  const key = options.funcs ?? ARGO_FUNCTIONS;
  let cache = compiledByFuncs.get(key);
  if (!cache) {
    cache = new Map();
    compiledByFuncs.set(key, cache);
  }
  const cacheKey = `${name}\u0000${text}`;
  let template = cache.get(cacheKey);
  if (template) {
    // Refresh recency: Map iteration order is insertion order, so the oldest entry is first.
    cache.delete(cacheKey);
    cache.set(cacheKey, template);
    return template;
  }
  const funcs = functionsFor(options);
  try {
    template = compileTemplateSet(
      parseTemplate(name, text, (fn) => Object.hasOwn(funcs, fn)),
      funcs,
    );
  } catch (error) {
    if (error instanceof ParseError) throw new GoTemplateError(error.message);
    if (error instanceof RangeError) throw new GoTemplateError(`template: ${name}: expression nests too deeply`);
    throw error;
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(cacheKey, template);
  return template;
}

/** A template compiled for many renders: renders as renderGoTemplate would, throwing when that would. */
export type GoTemplate = (data: unknown, budget?: RenderBudget) => string;

/** Parses and compiles (cached) once; a parse error is thrown by each render, as renderGoTemplate throws it. */
export function compileGoTemplate(name: string, text: string, options: GoTemplateOptions = {}): GoTemplate {
  let template: CompiledTemplate;
  try {
    template = compiled(name, text, options);
  } catch (error) {
    return () => {
      checkNesting(name);
      throw error;
    };
  }
  const run = templateRunner(name, text, template, options.missingKey ?? 'default', execLimits(options));
  return (data, budget) => execute(name, run, data, budget);
}

/**
 * Parses (cached) and executes a Go text/template with Argo CD's function set. Errors read as
 * Go's: `template: NAME:LINE:COL: executing "NAME" at <.x>: map has no entry for key "x"`.
 * `budget` (time, memory, keys) may be shared by the strings of one render; without one, a render
 * inside a function (Helm's tpl) shares its caller's, and any other gets its own.
 */
export function renderGoTemplate(name: string, text: string, data: unknown, options: GoTemplateOptions = {}, budget?: RenderBudget): string {
  checkNesting(name);
  return execute(name, templateRunner(name, text, compiled(name, text, options), options.missingKey ?? 'default', execLimits(options)), data, budget);
}

function checkNesting(name: string): void {
  if (nestedRenders >= MAX_NESTED_RENDERS) throw new GoTemplateError(`template: ${name}: exceeded maximum nesting of renders (${MAX_NESTED_RENDERS})`);
}

function execute(name: string, run: TemplateRun, data: unknown, budget: RenderBudget | undefined): string {
  checkNesting(name);
  const outer = budget ?? activeBudget();
  nestedRenders++;
  try {
    return run(data, outer ?? new RenderBudget());
  } catch (error) {
    if (error instanceof GoTemplateError) throw error;
    if (error instanceof RangeError) throw new GoTemplateError(`template: ${name}: execution stopped: ${error.message}`);
    // Nobody above runs passes: this render's own budget cannot wait for off-thread work.
    if (error instanceof WorkNeeded && !outer)
      throw new GoTemplateError(`template: ${name}: generating keys and hashing passwords needs the asynchronous renderer`);
    throw error;
  } finally {
    nestedRenders--;
  }
}

/** renderGoTemplate for templates that may generate keys: they are made off the event loop between passes. */
export async function renderGoTemplateAsync(name: string, text: string, data: unknown, options: GoTemplateOptions = {}): Promise<string> {
  const budget = new RenderBudget();
  return budget.runPasses(
    () => renderGoTemplate(name, text, data, options, budget),
    () => text,
  );
}

/** Argo CD's goTemplateOptions; only `missingkey=` exists in text/template. */
export function parseGoTemplateOptions(options: string[] | undefined): GoTemplateOptions {
  const result: GoTemplateOptions = {};
  for (const option of options ?? []) {
    const match = /^missingkey=(default|invalid|zero|error)$/.exec(option);
    if (!match) throw new GoTemplateError(`unrecognized option: ${option}`);
    result.missingKey = match[1] as MissingKeyMode;
  }
  return result;
}
