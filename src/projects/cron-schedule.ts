import { goQuote, isLoadableZone, wallClockIn } from '../templating/gotemplate/index.js';

/**
 * Cron schedules as Argo CD's sync windows read them (robfig/cron v3 with the fields minute, hour,
 * day of month, month and day of week): no seconds field and no @descriptors; an optional
 * `TZ=zone ` or `CRON_TZ=zone ` prefix. Errors carry the parser's texts.
 */

export class CronScheduleError extends Error {}

interface CronField {
  /** Index = value; true when the field allows it. */
  allowed: boolean[];
  /** Written as `*` or `?` (without a step above 1): day of month and day of week then combine with AND instead of OR. */
  star: boolean;
}

export interface CronSchedule {
  minute: CronField;
  hour: CronField;
  dayOfMonth: CronField;
  month: CronField;
  dayOfWeek: CronField;
  /** The zone of a TZ= prefix; otherwise the schedule reads UTC (the zone Argo CD's controller runs in). */
  zone?: string;
}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DAYS_OF_MONTH: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = {
  min: 1,
  max: 12,
  names: Object.fromEntries(['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map((n, i) => [n, i + 1])),
};
const DAYS_OF_WEEK: Bounds = { min: 0, max: 6, names: Object.fromEntries(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((n, i) => [n, i])) };

/** Go's unicode.IsSpace, which strings.Fields splits on. */
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;
const INT64_MAX = (1n << 63n) - 1n;

/** strconv.Atoi, then the parser's refusal of negative numbers. */
function parseNumber(text: string): bigint {
  const digits = /^[+-]?\d+$/.test(text);
  const value = digits ? BigInt(text) : undefined;
  if (value === undefined || value > INT64_MAX || value < -INT64_MAX - 1n) {
    throw new CronScheduleError(
      `failed to parse int from ${text}: strconv.Atoi: parsing ${goQuote(text)}: ${digits ? 'value out of range' : 'invalid syntax'}`,
    );
  }
  if (value < 0n) throw new CronScheduleError(`negative number (${value}) not allowed: ${text}`);
  return value;
}

function parseValue(text: string, bounds: Bounds): bigint {
  const named = bounds.names?.[text.toLowerCase()];
  return named !== undefined ? BigInt(named) : parseNumber(text);
}

/** One comma-separated part: `*`, `?`, `n`, `a-b`, each optionally `/step`; `n/step` runs to the maximum. */
function addRange(expression: string, bounds: Bounds, field: CronField): void {
  const [range, ...steps] = expression.split('/');
  const ends = range.split('-');
  let start: bigint;
  let end: bigint;
  let star = false;
  if (ends[0] === '*' || ends[0] === '?') {
    [start, end, star] = [BigInt(bounds.min), BigInt(bounds.max), true];
  } else {
    start = parseValue(ends[0], bounds);
    if (ends.length > 2) throw new CronScheduleError(`too many hyphens: ${expression}`);
    end = ends.length === 2 ? parseValue(ends[1], bounds) : start;
  }
  let step = 1n;
  if (steps.length > 1) throw new CronScheduleError(`too many slashes: ${expression}`);
  if (steps.length === 1) {
    step = parseNumber(steps[0]);
    if (ends.length === 1) end = BigInt(bounds.max);
    if (step > 1n) star = false;
  }
  if (start < BigInt(bounds.min)) throw new CronScheduleError(`beginning of range (${start}) below minimum (${bounds.min}): ${expression}`);
  if (end > BigInt(bounds.max)) throw new CronScheduleError(`end of range (${end}) above maximum (${bounds.max}): ${expression}`);
  if (start > end) throw new CronScheduleError(`beginning of range (${start}) beyond end of range (${end}): ${expression}`);
  if (step === 0n) throw new CronScheduleError(`step of range should be a positive number: ${expression}`);
  for (let value = Number(start); value <= Number(end); value += Number(step)) field.allowed[value] = true;
  field.star ||= star;
}

function parseField(text: string, bounds: Bounds): CronField {
  const field: CronField = { allowed: new Array<boolean>(bounds.max + 1).fill(false), star: false };
  // Empty parts ("1,,2", ",") are skipped, as strings.FieldsFunc skips them: "," allows nothing.
  for (const expression of text.split(',').filter(Boolean)) addRange(expression, bounds, field);
  return field;
}

export function parseCronSchedule(spec: string): CronSchedule {
  if (spec.length === 0) throw new CronScheduleError('empty spec string');
  let zone: string | undefined;
  let rest = spec;
  if (rest.startsWith('TZ=') || rest.startsWith('CRON_TZ=')) {
    const space = rest.indexOf(' ');
    if (space < 0) throw new CronScheduleError('expected exactly 5 fields, found 0: []');
    const name = rest.slice(rest.indexOf('=') + 1, space);
    if (!isLoadableZone(name) && name !== 'Local') throw new CronScheduleError(`provided bad location ${name}: unknown time zone ${name}`);
    zone = name === '' || name === 'UTC' || name === 'Local' ? undefined : name;
    rest = rest.slice(space).trim();
  }
  if (rest.startsWith('@')) throw new CronScheduleError(`parser does not accept descriptors: ${rest}`);
  const fields = rest.split(GO_SPACE).filter(Boolean);
  if (fields.length !== 5) throw new CronScheduleError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  return {
    minute: parseField(fields[0], MINUTES),
    hour: parseField(fields[1], HOURS),
    dayOfMonth: parseField(fields[2], DAYS_OF_MONTH),
    month: parseField(fields[3], MONTHS),
    dayOfWeek: parseField(fields[4], DAYS_OF_WEEK),
    ...(zone ? { zone } : {}),
  };
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** How far back a wall-clock time can repeat after a clock change (a zone's largest DST shift, with room). */
const REPEATED_WALL_CLOCK_MS = 3 * 3_600_000;

function dayMatches(schedule: CronSchedule, wall: Date): boolean {
  const byDate = schedule.dayOfMonth.allowed[wall.getUTCDate()];
  const byWeekday = schedule.dayOfWeek.allowed[wall.getUTCDay()];
  return schedule.dayOfMonth.star || schedule.dayOfWeek.star ? byDate && byWeekday : byDate || byWeekday;
}

/** The first wall-clock minute (ms, read in UTC fields) at or after `from` that the schedule allows, in a year up to `lastYear`. */
function nextWallMinute(schedule: CronSchedule, from: number, lastYear: number): number | undefined {
  let cursor = Math.ceil(from / MINUTE_MS) * MINUTE_MS;
  for (;;) {
    const wall = new Date(cursor);
    if (wall.getUTCFullYear() > lastYear) return undefined;
    const dayStart = Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth(), wall.getUTCDate());
    if (!schedule.month.allowed[wall.getUTCMonth() + 1]) {
      cursor = Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth() + 1, 1);
      continue;
    }
    if (dayMatches(schedule, wall)) {
      for (let hour = wall.getUTCHours(); hour < 24; hour++) {
        if (!schedule.hour.allowed[hour]) continue;
        const firstMinute = hour === wall.getUTCHours() ? wall.getUTCMinutes() : 0;
        const minute = schedule.minute.allowed.indexOf(true, firstMinute);
        if (minute >= 0) return dayStart + hour * 3_600_000 + minute * MINUTE_MS;
      }
    }
    cursor = dayStart + DAY_MS;
  }
}

/** The last wall-clock minute (ms, read in UTC fields) strictly before `before` that the schedule allows, in a year from `firstYear` on. */
function previousWallMinute(schedule: CronSchedule, before: number, firstYear: number): number | undefined {
  let cursor = Math.floor((before - 1) / MINUTE_MS) * MINUTE_MS;
  for (;;) {
    const wall = new Date(cursor);
    if (wall.getUTCFullYear() < firstYear) return undefined;
    const dayStart = Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth(), wall.getUTCDate());
    if (!schedule.month.allowed[wall.getUTCMonth() + 1]) {
      cursor = Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth(), 1) - MINUTE_MS;
      continue;
    }
    if (dayMatches(schedule, wall)) {
      for (let hour = wall.getUTCHours(); hour >= 0; hour--) {
        if (!schedule.hour.allowed[hour]) continue;
        const lastMinute = hour === wall.getUTCHours() ? wall.getUTCMinutes() : 59;
        const minute = schedule.minute.allowed.lastIndexOf(true, lastMinute);
        if (minute >= 0) return dayStart + hour * 3_600_000 + minute * MINUTE_MS;
      }
    }
    cursor = dayStart - MINUTE_MS;
  }
}

/** The instants whose wall clock in `zone` reads `wall`: none in a gap, two in a repeated hour. */
function instantsAt(wall: number, zone: string): number[] {
  const offsets = new Set([wallClockIn(wall - DAY_MS, zone) - (wall - DAY_MS), wallClockIn(wall + DAY_MS, zone) - (wall + DAY_MS)]);
  return [...offsets]
    .map((offset) => wall - offset)
    .filter((instant) => wallClockIn(instant, zone) === wall)
    .sort((a, b) => a - b);
}

/**
 * The schedule's first activation strictly after `after` (epoch ms; Go rounds up to the next whole
 * second first), or undefined when there is none within five years (Go's zero time).
 */
export function nextActivation(schedule: CronSchedule, after: number): number | undefined {
  const from = Math.floor(after / 1000) * 1000 + 1000;
  if (!schedule.zone) return nextWallMinute(schedule, from, new Date(from).getUTCFullYear() + 5);
  // In a zone, an activation is an instant whose wall clock the schedule allows: a time a clock change
  // skips never comes, a repeated one comes twice. Repeats make instants and wall clocks disagree in
  // order, so the search starts early and keeps the earliest instant found.
  const zone = schedule.zone;
  const lastYear = new Date(wallClockIn(from, zone)).getUTCFullYear() + 5;
  let best: number | undefined;
  let wall = nextWallMinute(schedule, wallClockIn(from, zone) - REPEATED_WALL_CLOCK_MS, lastYear);
  while (wall !== undefined && (best === undefined || wall <= wallClockIn(best, zone) + REPEATED_WALL_CLOCK_MS)) {
    const instant = instantsAt(wall, zone).find((candidate) => candidate >= from);
    if (instant !== undefined && (best === undefined || instant < best)) best = instant;
    wall = nextWallMinute(schedule, wall + MINUTE_MS, lastYear);
  }
  return best;
}

/**
 * The schedule's last activation strictly before `before` (epoch ms), within five years back; for
 * a schedule without a zone (a zoned one answers undefined: its callers step forward instead).
 */
export function previousActivation(schedule: CronSchedule, before: number): number | undefined {
  if (schedule.zone) return undefined;
  return previousWallMinute(schedule, before, new Date(before).getUTCFullYear() - 5);
}
