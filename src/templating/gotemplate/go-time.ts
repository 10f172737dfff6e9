import { GoRegExp } from '../go-regexp.js';

/** Go's time.Duration text and parsing, and time.Parse for the layouts templates use (UTC). */

const UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** time.ParseDuration: "1h30m", "-1.5h", "300ms"; nanoseconds, or undefined when invalid. */
export function parseGoDuration(text: string): number | undefined {
  const match = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(text);
  if (!match) return text === '0' ? 0 : undefined;
  let total = 0;
  for (const part of text.replace(/^[+-]/, '').matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(part[1]) * UNITS[part[2]];
  return match[1] === '-' ? -total : total;
}

function trimFraction(value: number, digits: number): string {
  return value.toFixed(digits).replace(/\.?0+$/, '');
}

/** time.Duration.String(): "1h2m3s", "1.5s", "300ms", "0s". */
export function formatGoDuration(nanoseconds: number): string {
  if (nanoseconds === 0) return '0s';
  const sign = nanoseconds < 0 ? '-' : '';
  const ns = Math.abs(nanoseconds);
  if (ns < 1e3) return `${sign}${ns}ns`;
  if (ns < 1e6) return `${sign}${trimFraction(ns / 1e3, 3)}µs`;
  if (ns < 1e9) return `${sign}${trimFraction(ns / 1e6, 6)}ms`;
  const hours = Math.floor(ns / 3600e9);
  const minutes = Math.floor((ns % 3600e9) / 60e9);
  const seconds = trimFraction((ns % 60e9) / 1e9, 9);
  return `${sign}${hours ? `${hours}h` : ''}${hours || minutes ? `${minutes}m` : ''}${seconds}s`;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** time.Parse for numeric and month-name layouts, in UTC; undefined when the text does not fit. */
export function parseGoTime(layout: string, text: string): Date | undefined {
  const fields: string[] = [];
  const tokens: [string, string, string][] = [
    ['2006', '(\\d{4})', 'year'],
    ['January', `(${MONTHS.join('|')})`, 'monthName'],
    ['Jan', `(${MONTHS.map((m) => m.slice(0, 3)).join('|')})`, 'monthShort'],
    ['Monday', '(?:[A-Z][a-z]+day)', ''],
    ['Mon', '(?:[A-Z][a-z]{2})', ''],
    ['MST', '(?:[A-Z]{3,4})', ''],
    ['Z07:00', '(Z|[+-]\\d{2}:\\d{2})', 'zone'],
    ['-07:00', '([+-]\\d{2}:\\d{2})', 'zone'],
    ['-0700', '([+-]\\d{4})', 'zone'],
    ['.000', '\\.(\\d{3})', 'millis'],
    ['01', '(\\d{2})', 'month'],
    ['02', '(\\d{2})', 'day'],
    ['15', '(\\d{2})', 'hour'],
    ['04', '(\\d{2})', 'minute'],
    ['05', '(\\d{2})', 'second'],
    ['1', '(\\d{1,2})', 'month'],
    ['2', '(\\d{1,2})', 'day'],
  ];
  let source = '';
  for (let i = 0; i < layout.length; ) {
    const token = tokens.find(([t]) => layout.startsWith(t, i));
    if (token) {
      source += token[1];
      if (token[2]) fields.push(token[2]);
      i += token[0].length;
    } else source += layout[i++].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  const match = GoRegExp.compile(`^${source}$`).submatches(text);
  if (!match) return undefined;
  const value: Record<string, string> = {};
  fields.forEach((f, i) => (value[f] = match[i + 1] ?? ''));
  const month = value.month ? Number(value.month) - 1 : value.monthName ? MONTHS.indexOf(value.monthName) : value.monthShort ? MONTHS.findIndex((m) => m.startsWith(value.monthShort)) : 0;
  const utc = Date.UTC(Number(value.year ?? 0), month, Number(value.day ?? 1), Number(value.hour ?? 0), Number(value.minute ?? 0), Number(value.second ?? 0), Number(value.millis ?? 0));
  const zone = value.zone && value.zone !== 'Z' ? value.zone.replace(':', '') : '+0000';
  const offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
  return new Date(utc - offsetMinutes * 60_000);
}
