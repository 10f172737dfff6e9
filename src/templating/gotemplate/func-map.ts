import { GoTemplateError } from './error-context.js';
import type { RenderBudget } from './render-budget.js';
import type { GoValue } from './value.js';

/** A template function. Errors it throws surface as Go's `error calling NAME: …`. */
export type GoFunction = ((...args: any[]) => unknown) & {
  /** Arguments accepted; defaults to the function's declared parameter count, exactly. */
  minArgs?: number;
  maxArgs?: number;
  /** and/or: receive thunks, evaluated only as far as needed. */
  lazy?: boolean;
};

export type FuncMap = Record<string, GoFunction>;

const methods = new WeakSet<GoFunction>();

/**
 * Makes `fn` a method of the map it is stored in, as a Go method of a map type (Helm's
 * .Files.Get, .Capabilities.APIVersions.Has): `.Obj.Name arg` calls it instead of reading a key.
 */
export function goMethod<F extends GoFunction>(fn: F): F {
  methods.add(fn);
  return fn;
}

export function isGoMethod(value: unknown): value is GoFunction {
  return typeof value === 'function' && methods.has(value as GoFunction);
}

/**
 * Calls a template function as text/template does: the argument count checked against what the
 * function declares, its work charged to the render's budget, its errors reported through `fail`.
 * Signals (a key to generate first) and the engine's own errors pass through unchanged.
 */
export function callFunction(name: string, fn: GoFunction, values: unknown[], budget: RenderBudget, fail: (message: string) => never): GoValue {
  const min = fn.minArgs ?? fn.length;
  const max = fn.maxArgs ?? fn.length;
  if (values.length < min || values.length > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    fail(`wrong number of args for ${name}: want ${want} got ${values.length}`);
  }
  let result: GoValue;
  try {
    result = fn(...values);
    chargeCall(budget, values, result);
  } catch (error) {
    if (error instanceof GoTemplateError || !(error instanceof Error)) throw error;
    return fail(`error calling ${name}: ${error.message}`);
  }
  return result;
}

/**
 * Charges a call to the render's budget: the characters it read and wrote count as work (so the
 * clock is read as they add up), a string it built counts against the value and render limits.
 */
function chargeCall(budget: RenderBudget, values: unknown[], result: GoValue): void {
  let volume = 0;
  for (const value of values) if (typeof value === 'string') volume += value.length;
  if (typeof result === 'string') {
    budget.checkValueSize(result.length);
    budget.charge(result.length);
  }
  if (volume > 0) budget.spend(volume);
}
