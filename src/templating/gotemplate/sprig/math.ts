import { randomInt } from 'node:crypto';
import type { FuncMap } from '../func-map.js';
import { allocate, checkValueSize, listBytes } from '../render-budget.js';
import type { GoValue } from '../value.js';
import { asInt, toFloat64, toInt64, variadic } from './arguments.js';

/** coefficient × 10^exponent, as shopspring/decimal holds a number. */
interface Decimal {
  coefficient: bigint;
  exponent: number;
}

/** decimal.NewFromFloat: the shortest decimal that reads back as the same float64. */
function decimalFromFloat(value: number): Decimal {
  if (!Number.isFinite(value)) throw new Error(`Cannot create a Decimal from ${Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf'}`);
  const [mantissa, exponent] = value.toExponential().split('e');
  const [whole, fraction = ''] = mantissa.split('.');
  return { coefficient: BigInt(whole + fraction), exponent: Number(exponent) - fraction.length };
}

function scaled(d: Decimal, exponent: number): bigint {
  return d.coefficient * 10n ** BigInt(d.exponent - exponent);
}

function add(a: Decimal, b: Decimal): Decimal {
  const exponent = Math.min(a.exponent, b.exponent);
  return { coefficient: scaled(a, exponent) + scaled(b, exponent), exponent };
}

function multiply(a: Decimal, b: Decimal): Decimal {
  return { coefficient: a.coefficient * b.coefficient, exponent: a.exponent + b.exponent };
}

/** decimal's Div: the quotient rounded half away from zero to DivisionPrecision (16) places. */
function divide(a: Decimal, b: Decimal): Decimal {
  if (b.coefficient === 0n) throw new Error('decimal division by 0');
  const precision = 16;
  const shift = a.exponent - b.exponent + precision;
  const numerator = shift >= 0 ? a.coefficient * 10n ** BigInt(shift) : a.coefficient;
  const denominator = shift >= 0 ? b.coefficient : b.coefficient * 10n ** BigInt(-shift);
  let quotient = numerator / denominator;
  const remainder = numerator % denominator;
  const abs = (n: bigint) => (n < 0n ? -n : n);
  if (2n * abs(remainder) >= abs(denominator)) quotient += numerator < 0n !== denominator < 0n ? -1n : 1n;
  return { coefficient: quotient, exponent: -precision };
}

/** Sprig's execDecimalOp: the f-variants compute in decimal, then take the nearest float64. */
function decimalOp(first: GoValue, rest: GoValue[], op: (a: Decimal, b: Decimal) => Decimal): number {
  const result = rest.reduce<Decimal>((acc, v) => op(acc, decimalFromFloat(toFloat64(v))), decimalFromFloat(toFloat64(first)));
  return Number(`${result.coefficient}e${result.exponent}`);
}

/** Sprig's integer math (int64), float math (the f-variants, float64) and integer slices. */
export const mathFunctions: FuncMap = {
  add: variadic((...values: GoValue[]) => values.reduce<bigint>((sum, v) => int64(sum + toInt64(v)), 0n)),
  add1: (v: GoValue) => int64(toInt64(v) + 1n),
  sub: (a: GoValue, b: GoValue) => int64(toInt64(a) - toInt64(b)),
  mul: variadic((first: GoValue, ...rest: GoValue[]) => rest.reduce<bigint>((product, v) => int64(product * toInt64(v)), toInt64(first)), 1),
  div: (a: GoValue, b: GoValue) => {
    const divisor = toInt64(b);
    if (divisor === 0n) throw new Error('runtime error: integer divide by zero');
    return int64(toInt64(a) / divisor);
  },
  mod: (a: GoValue, b: GoValue) => {
    const divisor = toInt64(b);
    if (divisor === 0n) throw new Error('runtime error: integer divide by zero');
    return toInt64(a) % divisor;
  },
  max: variadic((first: GoValue, ...rest: GoValue[]) => rest.reduce<bigint>((m, v) => (toInt64(v) > m ? toInt64(v) : m), toInt64(first)), 1),
  min: variadic((first: GoValue, ...rest: GoValue[]) => rest.reduce<bigint>((m, v) => (toInt64(v) < m ? toInt64(v) : m), toInt64(first)), 1),
  addf: variadic((...values: GoValue[]) => decimalOp(0, values, add)),
  add1f: (v: GoValue) => decimalOp(v, [1], add),
  subf: variadic((first: GoValue, ...rest: GoValue[]) => decimalOp(first, rest, (a, b) => add(a, { coefficient: -b.coefficient, exponent: b.exponent })), 1),
  mulf: variadic((first: GoValue, ...rest: GoValue[]) => decimalOp(first, rest, multiply), 1),
  divf: variadic((first: GoValue, ...rest: GoValue[]) => decimalOp(first, rest, divide), 1),
  maxf: variadic((first: GoValue, ...rest: GoValue[]) => Math.max(toFloat64(first), ...rest.map(toFloat64)), 1),
  minf: variadic((first: GoValue, ...rest: GoValue[]) => Math.min(toFloat64(first), ...rest.map(toFloat64)), 1),
  floor: (v: GoValue) => Math.floor(toFloat64(v)),
  ceil: (v: GoValue) => Math.ceil(toFloat64(v)),
  round: variadic((v: GoValue, places: GoValue, ...roundOn: GoValue[]) => {
    const p = Number(toInt64(places));
    const threshold = roundOn.length ? toFloat64(roundOn[0]) : 0.5;
    const factor = 10 ** p;
    const scaled = toFloat64(v) * factor;
    const whole = Math.trunc(scaled);
    const fraction = Math.abs(scaled - whole);
    return (fraction >= threshold ? whole + Math.sign(scaled || 1) : whole) / factor;
  }, 2),
  randInt: (min: GoValue, max: GoValue) => BigInt(randomInt(asInt(min), asInt(max))),

  // Integer slices
  until: (count: GoValue) => untilStep(0n, toInt64(count), toInt64(count) >= 0n ? 1n : -1n),
  untilStep: (start: GoValue, stop: GoValue, step: GoValue) => untilStep(toInt64(start), toInt64(stop), toInt64(step)),
  seq: variadic((...params: GoValue[]) => seq(params.map(toInt64))),
};

/** Go's int64 arithmetic wraps around. */
function int64(value: bigint): bigint {
  return BigInt.asIntN(64, value);
}

/** How many values start, start+step, … lie before stop (0 when the step heads away from it). */
function stepCount(start: bigint, stop: bigint, step: bigint): number {
  if (step === 0n || (step > 0n ? start >= stop : start <= stop)) return 0;
  const span = step > 0n ? stop - start : start - stop;
  const stride = step > 0n ? step : -step;
  return Number((span + stride - 1n) / stride);
}

function untilStep(start: bigint, stop: bigint, step: bigint): bigint[] {
  const count = stepCount(start, stop, step);
  allocate(listBytes(count));
  const out = new Array<bigint>(count);
  for (let i = 0, value = start; i < count; i++, value += step) out[i] = value;
  return out;
}

/** sprig's seq, after GNU seq: seq LAST, seq FIRST LAST, seq FIRST STEP LAST, as a space-joined string. */
function seq(params: bigint[]): string {
  if (params.length < 1 || params.length > 3) return '';
  const [first, step0, last] = params.length === 1 ? [1n, 1n, params[0]] : params.length === 2 ? [params[0], 1n, params[1]] : params;
  let step = step0;
  if (params.length < 3 && last < first) step = -1n;
  if (step === 0n || (step > 0n && last < first) || (step < 0n && last > first)) return '';
  const count = stepCount(first, step > 0n ? last + 1n : last - 1n, step);
  const widest = Math.max(String(first).length, String(last).length);
  checkValueSize(count * (widest + 1));
  allocate(listBytes(count));
  const out = new Array<bigint>(count);
  for (let i = 0, value = first; i < count; i++, value += step) out[i] = value;
  return out.join(' ');
}
