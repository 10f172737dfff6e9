import { isPlainObject, setEntry } from '../lib/json-values.js';
/**
 * Flattens nested parameters to dotted keys with string values, as Argo CD does (post-selectors,
 * Git files in fasttemplate mode): maps and lists are walked (`a.b`, `list.0`), empty ones vanish,
 * leaves are printed the way Go's `%v` prints JSON values.
 */
export function flattenParams(params: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (value: unknown, prefix: string): void => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, prefix ? `${prefix}.${i}` : String(i)));
    } else if (isPlainObject(value)) {
      for (const key of Object.keys(value)) walk(value[key], prefix ? `${prefix}.${key}` : key);
    } else {
      setEntry(out, prefix, formatGoValue(value));
    }
  };
  walk(params, '');
  return out;
}

/** Go's `%v` for a JSON-decoded value (numbers are float64 there: 1e+06, not 1000000; maps print `map[k:v]` with sorted keys). */
export function formatGoValue(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'number') return formatGoFloat(value);
  if (Array.isArray(value)) return `[${value.map(formatGoValue).join(' ')}]`;
  if (isPlainObject(value)) {
    return `map[${Object.keys(value)
      .sort()
      .map((key) => `${key}:${formatGoValue(value[key])}`)
      .join(' ')}]`;
  }
  return String(value);
}

/** strconv.FormatFloat(f, 'g', -1, 64), which `%v` uses: exponent form from 1e+06 up and below 1e-04. */
export function formatGoFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa, exp] = value.toExponential().split('e');
  const exponent = Number(exp);
  if (exponent < -4 || exponent >= 6) {
    const magnitude = Math.abs(exponent);
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${magnitude < 10 ? '0' : ''}${magnitude}`;
  }
  return String(value);
}
