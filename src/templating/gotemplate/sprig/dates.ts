import { goQuote } from '../fmt.js';
import type { FuncMap } from '../func-map.js';
import { formatGoDuration, parseGoDuration, parseGoTime, wallClockIn } from '../go-time.js';
import { spend } from '../render-budget.js';
import type { GoValue } from '../value.js';
import { asString } from './arguments.js';

/** Go's time layouts (reference time Mon Jan 2 15:04:05 MST 2006) applied to a UTC date. */
function formatDate(layout: string, date: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const tokens: [string, () => string][] = [
    ['2006', () => String(date.getUTCFullYear())],
    ['January', () => months[date.getUTCMonth()]],
    ['Monday', () => days[date.getUTCDay()]],
    ['Jan', () => months[date.getUTCMonth()].slice(0, 3)],
    ['Mon', () => days[date.getUTCDay()].slice(0, 3)],
    ['MST', () => 'UTC'],
    ['Z07:00', () => 'Z'],
    ['-07:00', () => '+00:00'],
    ['-0700', () => '+0000'],
    ['.000000000', () => `.${pad(date.getUTCMilliseconds(), 3)}000000`],
    ['.000000', () => `.${pad(date.getUTCMilliseconds(), 3)}000`],
    ['.000', () => `.${pad(date.getUTCMilliseconds(), 3)}`],
    ['06', () => pad(date.getUTCFullYear() % 100)],
    ['01', () => pad(date.getUTCMonth() + 1)],
    ['02', () => pad(date.getUTCDate())],
    ['15', () => pad(date.getUTCHours())],
    ['03', () => pad(date.getUTCHours() % 12 || 12)],
    ['04', () => pad(date.getUTCMinutes())],
    ['05', () => pad(date.getUTCSeconds())],
    ['PM', () => (date.getUTCHours() >= 12 ? 'PM' : 'AM')],
    ['pm', () => (date.getUTCHours() >= 12 ? 'pm' : 'am')],
    ['_2', () => String(date.getUTCDate()).padStart(2, ' ')],
    ['1', () => String(date.getUTCMonth() + 1)],
    ['2', () => String(date.getUTCDate())],
    ['3', () => String(date.getUTCHours() % 12 || 12)],
    ['4', () => String(date.getUTCMinutes())],
    ['5', () => String(date.getUTCSeconds())],
  ];
  let out = '';
  for (let i = 0; i < layout.length;) {
    // Each character is tried against every token: a long layout is slow, so it counts as work.
    spend(tokens.length);
    const token = tokens.find(([t]) => layout.startsWith(t, i));
    if (token) {
      out += token[1]();
      i += token[0].length;
    } else out += layout[i++];
  }
  return out;
}

function toDate(value: GoValue): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'bigint') return new Date(Number(value) * 1000);
  if (typeof value === 'number') return new Date(value * 1000);
  if (typeof value === 'string') {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date;
  }
  return new Date(0);
}

/** Go's zero time.Time, which sprig's toDate returns for text that does not fit the layout. */
const GO_ZERO_TIME = new Date(-62135596800000);

/** Sprig's date functions (UTC). */
export const dateFunctions: FuncMap = {
  now: () => new Date(),
  date: (layout: GoValue, date: GoValue) => formatDate(asString(layout), toDate(date)),
  dateInZone: (layout: GoValue, date: GoValue, zone: GoValue) => formatDate(asString(layout), new Date(wallClockIn(toDate(date).getTime(), asString(zone)))),
  htmlDateInZone: (date: GoValue, zone: GoValue) => formatDate('2006-01-02', new Date(wallClockIn(toDate(date).getTime(), asString(zone)))),
  htmlDate: (date: GoValue) => formatDate('2006-01-02', toDate(date)),
  unixEpoch: (date: GoValue) => String(Math.floor(toDate(date).getTime() / 1000)),
  toDate: (layout: GoValue, value: GoValue) => parseGoTime(asString(layout), asString(value)) ?? GO_ZERO_TIME,
  mustToDate: (layout: GoValue, value: GoValue) => {
    const date = parseGoTime(asString(layout), asString(value));
    if (!date) throw new Error(`parsing time ${goQuote(asString(value))} as ${goQuote(asString(layout))}: cannot parse`);
    return date;
  },
  dateModify: (modification: GoValue, date: GoValue) => {
    const ns = parseGoDuration(asString(modification));
    return ns === undefined ? toDate(date) : new Date(toDate(date).getTime() + ns / 1e6);
  },
  mustDateModify: (modification: GoValue, date: GoValue) => {
    const ns = parseGoDuration(asString(modification));
    if (ns === undefined) throw new Error(`time: invalid duration ${goQuote(asString(modification))}`);
    return new Date(toDate(date).getTime() + ns / 1e6);
  },
  duration: (seconds: GoValue) => {
    // sprig reads only strings and int64: a float64 from JSON parameters counts as 0, as in Argo CD.
    const n = typeof seconds === 'string' ? (/^-?\d+$/.test(seconds) ? Number(seconds) : 0) : typeof seconds === 'bigint' ? Number(seconds) : 0;
    return formatGoDuration(n * 1e9);
  },
  durationRound: (value: GoValue) => durationRound(value),
  ago: (date: GoValue) => formatGoDuration(Math.round((Date.now() - toDate(date).getTime()) / 1000) * 1e9),
};

/** sprig's durationRound: the largest whole unit (y, mo, d, h, m, s) of a duration or of the time since a date. */
function durationRound(value: GoValue): string {
  const ns =
    typeof value === 'string'
      ? (parseGoDuration(value) ?? 0)
      : typeof value === 'bigint'
        ? Number(value)
        : value instanceof Date
          ? Date.now() * 1e6 - value.getTime() * 1e6
          : 0;
  const u = Math.abs(ns);
  const second = 1e9;
  const units: [number, string][] = [
    [365 * 24 * 3600 * second, 'y'],
    [30 * 24 * 3600 * second, 'mo'],
    [24 * 3600 * second, 'd'],
    [3600 * second, 'h'],
    [60 * second, 'm'],
    [second, 's'],
  ];
  for (const [size, unit] of units) if (u > size) return `${Math.floor(u / size)}${unit}`;
  return '0s';
}
