import { GoRegExp } from '../go-regexp.js';

/** Go's time.Duration text and parsing, time.Parse for the layouts templates use (UTC), and zone wall clocks. */

const UNIT_NANOSECONDS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  µs: 1000n,
  μs: 1000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const TWO_TO_63 = 1n << 63n;

/** The time package's quoting in error texts: bytes outside printable ASCII as \xNN. */
function timeQuote(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x20 || code >= 0x80) for (const byte of Buffer.from(char, 'utf8')) out += `\\x${byte.toString(16).padStart(2, '0')}`;
    else out += char === '"' || char === '\\' ? `\\${char}` : char;
  }
  return `${out}"`;
}

const isDigit = (char: string | undefined) => char !== undefined && char >= '0' && char <= '9';

/**
 * time.ParseDuration with Go's error texts: a signed sequence of decimal numbers, each with a
 * unit (ns, us, µs, ms, s, m, h), within ±2^63-1 nanoseconds; "0" needs no unit.
 */
export function parseGoDurationOrError(text: string): { nanoseconds: number } | { error: string } {
  const invalid = { error: `time: invalid duration ${timeQuote(text)}` };
  let rest = text;
  const negative = rest.startsWith('-');
  if (negative || rest.startsWith('+')) rest = rest.slice(1);
  if (rest === '0') return { nanoseconds: 0 };
  if (rest === '') return invalid;
  let total = 0n;
  while (rest !== '') {
    if (rest[0] !== '.' && !isDigit(rest[0])) return invalid;
    let whole = 0n;
    let i = 0;
    for (; isDigit(rest[i]); i++) {
      whole = whole * 10n + BigInt(rest[i]);
      if (whole > TWO_TO_63) return invalid;
    }
    const hasWhole = i > 0;
    // Fraction digits beyond what 63 bits hold are read but, as in Go, add no precision.
    let fraction = 0n;
    let scale = 1;
    let hasFraction = false;
    let saturated = false;
    if (rest[i] === '.') {
      i++;
      for (; isDigit(rest[i]); i++) {
        hasFraction = true;
        const next = fraction * 10n + BigInt(rest[i]);
        saturated ||= fraction > (TWO_TO_63 - 1n) / 10n || next > TWO_TO_63;
        if (saturated) continue;
        fraction = next;
        scale *= 10;
      }
    }
    if (!hasWhole && !hasFraction) return invalid;
    rest = rest.slice(i);
    let unitLength = 0;
    while (unitLength < rest.length && rest[unitLength] !== '.' && !isDigit(rest[unitLength])) unitLength++;
    if (unitLength === 0) return { error: `time: missing unit in duration ${timeQuote(text)}` };
    const unitName = rest.slice(0, unitLength);
    rest = rest.slice(unitLength);
    const unit = UNIT_NANOSECONDS[unitName];
    if (unit === undefined) return { error: `time: unknown unit ${timeQuote(unitName)} in duration ${timeQuote(text)}` };
    if (whole > TWO_TO_63 / unit) return invalid;
    let value = whole * unit;
    if (fraction > 0n) {
      value += BigInt(Math.floor(Number(fraction) * (Number(unit) / scale)));
      if (value > TWO_TO_63) return invalid;
    }
    total += value;
    if (total > TWO_TO_63) return invalid;
  }
  if (!negative && total > TWO_TO_63 - 1n) return invalid;
  return { nanoseconds: Number(negative ? -total : total) };
}

/** time.ParseDuration: "1h30m", "-1.5h", "300ms"; nanoseconds, or undefined when invalid. */
export function parseGoDuration(text: string): number | undefined {
  const parsed = parseGoDurationOrError(text);
  return 'error' in parsed ? undefined : parsed.nanoseconds;
}

/** Formatters by zone (null: a zone Intl cannot load), bounded: zone names come from users. */
const zoneFormats = new Map<string, Intl.DateTimeFormat | null>();
const ZONE_FORMATS_KEPT = 256;

function zoneFormat(zone: string): Intl.DateTimeFormat | null {
  let format = zoneFormats.get(zone);
  if (format !== undefined) return format;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  } catch {
    format = null;
  }
  if (zoneFormats.size >= ZONE_FORMATS_KEPT) zoneFormats.clear();
  zoneFormats.set(zone, format);
  return format;
}

/** Whether time.LoadLocation would load the zone ("" and "UTC" are UTC). */
export function isLoadableZone(zone: string): boolean {
  return zone === '' || zone === 'UTC' || zoneFormat(zone) !== null;
}

function exactOffset(format: Intl.DateTimeFormat, instant: number): number {
  const parts = format.formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - Math.floor(instant / 1000) * 1000;
}

const DAY_MS = 86_400_000;
/** `zone|UTC day` → the zone's offset through that day, or null when it changes during it. */
const dayOffsets = new Map<string, number | null>();
const DAY_OFFSETS_KEPT = 20_000;

/** A zone's UTC offset at an instant; whole days without a clock change are looked up once (offset searches ask often). */
function offsetAt(format: Intl.DateTimeFormat, zone: string, instant: number): number {
  const day = Math.floor(instant / DAY_MS);
  const key = `${zone}|${day}`;
  let offset = dayOffsets.get(key);
  if (offset === undefined) {
    const [start, end] = [exactOffset(format, day * DAY_MS), exactOffset(format, (day + 1) * DAY_MS - 1000)];
    offset = start === end ? start : null;
    if (dayOffsets.size >= DAY_OFFSETS_KEPT) dayOffsets.clear();
    dayOffsets.set(key, offset);
  }
  return offset ?? exactOffset(format, instant);
}

/**
 * The wall clock of an instant (epoch ms) in an IANA zone, as epoch ms whose UTC fields read that
 * wall clock. Go falls back to UTC for a zone it cannot load; so does this.
 */
export function wallClockIn(instant: number, zone: string): number {
  const format = zone === '' || zone === 'UTC' ? null : zoneFormat(zone);
  return format ? instant + offsetAt(format, zone, instant) : instant;
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
  for (let i = 0; i < layout.length;) {
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
  const month = value.month
    ? Number(value.month) - 1
    : value.monthName
      ? MONTHS.indexOf(value.monthName)
      : value.monthShort
        ? MONTHS.findIndex((m) => m.startsWith(value.monthShort))
        : 0;
  const utc = Date.UTC(
    Number(value.year ?? 0),
    month,
    Number(value.day ?? 1),
    Number(value.hour ?? 0),
    Number(value.minute ?? 0),
    Number(value.second ?? 0),
    Number(value.millis ?? 0),
  );
  const zone = value.zone && value.zone !== 'Z' ? value.zone.replace(':', '') : '+0000';
  const offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
  return new Date(utc - offsetMinutes * 60_000);
}
