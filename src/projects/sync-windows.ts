import type { SyncWindow } from '../api/app-project.js';
import { parseGoDurationOrError, wallClockIn } from '../templating/gotemplate/index.js';
import { nextActivation, parseCronSchedule, previousActivation, type CronSchedule } from './cron-schedule.js';

/**
 * AppProject sync windows as Argo CD's application controller applies them: which windows are
 * active at a moment, whether a sync may run then (deny beats allow, manualSync, syncOverrun), and,
 * Regatta's addition, when it next may and why it waits. Pure: the caller supplies the moments.
 */

/** A window of a project with its position in spec.syncWindows (Argo CD's window ID). */
export interface IndexedWindow {
  index: number;
  window: SyncWindow;
}

/** Why a sync waits, as plain data for the rollout and its readers. */
export interface WindowWait {
  /** The windows that hold the sync, as `windowName` names them (the first ten). */
  windows: string[];
  /** How many more windows hold it than are named. */
  more?: number;
  /** When the windows next let the sync run (ISO 8601, whole seconds); absent when none was found or the windows are invalid. */
  opensAt?: string;
  /** The windows cannot be evaluated (Argo CD's "invalid sync windows: …"): they hold every sync until fixed. */
  error?: string;
}

export type SyncWindowVerdict = { allowed: true } | ({ allowed: false } & WindowWait);

export interface SyncRequest {
  /** Initiated by a person (Argo CD: operation.initiatedBy.automated is false). */
  manual: boolean;
  at: Date;
  /** When the operation started, for syncOverrun: an operation allowed when it started may go on. */
  startedAt?: Date;
}

interface ParsedWindow extends IndexedWindow {
  schedule: CronSchedule;
  durationMs: number;
  zone: string;
}

class InvalidWindowError extends Error {}

/** Parsed once per window object: a project's windows are read for every sync and every reconcile, and change only with the project. */
const parsedWindows = new WeakMap<SyncWindow, ParsedWindow | InvalidWindowError>();

/** Argo CD's parse of each window, in order; the first bad schedule or duration makes the whole set invalid. */
function parseWindows(windows: IndexedWindow[]): ParsedWindow[] {
  return windows.map((indexed) => {
    let parsed = parsedWindows.get(indexed.window);
    if (!parsed) {
      parsed = parseWindow(indexed);
      parsedWindows.set(indexed.window, parsed);
    }
    if (parsed instanceof InvalidWindowError) throw parsed;
    return parsed.index === indexed.index ? parsed : { ...parsed, index: indexed.index };
  });
}

function parseWindow(indexed: IndexedWindow): ParsedWindow | InvalidWindowError {
  const { schedule = '', duration = '', timeZone = '' } = indexed.window;
  let parsedSchedule: CronSchedule;
  try {
    parsedSchedule = parseCronSchedule(schedule);
  } catch (error) {
    return new InvalidWindowError(`cannot parse schedule '${schedule}': ${(error as Error).message}`);
  }
  const parsedDuration = parseGoDurationOrError(duration);
  if ('error' in parsedDuration) return new InvalidWindowError(`cannot parse duration '${duration}': ${parsedDuration.error}`);
  return { ...indexed, schedule: parsedSchedule, durationMs: parsedDuration.nanoseconds / 1e6, zone: timeZone };
}

/**
 * Argo CD reads a schedule on the window zone's wall clock by shifting the moment by the zone's
 * UTC offset (an unknown zone is UTC). Argo CD takes the offset of the present moment; Regatta
 * takes the offset of the moment evaluated, which is the same for the present and stays true
 * across a clock change for moments ahead.
 */
const shiftOf = (window: ParsedWindow, at: number) => wallClockIn(at, window.zone) - at;

/** Active when the schedule fired within the last `duration` (a schedule that never fires counts as always fired, as Go's zero time does). */
function isActive(window: ParsedWindow, at: number): boolean {
  const shifted = at + shiftOf(window, at);
  const fired = nextActivation(window.schedule, shifted - window.durationMs);
  return fired === undefined || fired < shifted;
}

const kindIs = (kind: string) => (window: ParsedWindow) => window.window.kind === kind;

interface Evaluation {
  allowed: boolean;
  /** What decides: the active deny windows, else the inactive allow windows (none when nothing restricts). */
  deciding: ParsedWindow[];
}

/** Argo CD's canSyncAtTime: active deny windows block, unless all allow manual syncs; outside every allow window a sync waits. */
function evaluateAt(windows: ParsedWindow[], manual: boolean, at: number): Evaluation {
  const active = windows.filter((w) => isActive(w, at));
  const activeDenies = active.filter(kindIs('deny'));
  if (activeDenies.length) return { allowed: manual && activeDenies.every((w) => w.window.manualSync === true), deciding: activeDenies };
  if (active.some(kindIs('allow'))) return { allowed: true, deciding: [] };
  const inactiveAllows = windows.filter((w) => kindIs('allow')(w) && !active.includes(w));
  return { allowed: !inactiveAllows.length || (manual && inactiveAllows.every((w) => w.window.manualSync === true)), deciding: inactiveAllows };
}

/** Argo CD's CanSync: as at `at`, plus syncOverrun (on every deciding window) for an operation that was allowed when it started. */
function evaluate(windows: ParsedWindow[], request: { manual: boolean; at: number; startedAt?: number }): Evaluation {
  const now = evaluateAt(windows, request.manual, request.at);
  if (now.allowed || request.startedAt === undefined || !now.deciding.every((w) => w.window.syncOverrun === true)) return now;
  return { ...now, allowed: evaluateAt(windows, request.manual, request.startedAt).allowed };
}

/** Steps of the search for the next opening, and how far ahead it looks. */
const MAX_SEARCH_STEPS = 1000;
const SEARCH_HORIZON_MS = 366 * 86_400_000;

/** The next moment after `at` at which the window may change state (undefined: it never does). */
function nextChange(window: ParsedWindow, at: number): number | undefined {
  const shift = shiftOf(window, at);
  const shifted = at + shift;
  const fired = nextActivation(window.schedule, shifted - window.durationMs);
  if (fired === undefined) return undefined;
  if (fired >= shifted) {
    const opens = nextActivation(window.schedule, shifted);
    return opens === undefined ? undefined : opens - shift;
  }
  // Active: it stays so until the latest firing's duration has passed (one jump over a run of firings).
  const latest = previousActivation(window.schedule, shifted) ?? fired;
  return latest + window.durationMs - shift;
}

/**
 * The first moment after `from` at which the sync may run, or how far the search looked without
 * finding one. A window changes state only when its schedule fires, when a firing's duration ends,
 * or when its zone's offset changes; the search walks those moments (bounded in steps and horizon),
 * so it is exact to the millisecond without scanning time.
 */
function nextOpening(windows: ParsedWindow[], request: { manual: boolean; startedAt?: number }, from: number): { opensAt: number } | { searchedUntil: number } {
  const allowedAt = (at: number) => evaluate(windows, { ...request, at }).allowed;
  // Windows of another kind never decide, and without a positive duration a window never changes state.
  const changing = windows.filter((w) => (kindIs('allow')(w) || kindIs('deny')(w)) && w.durationMs > 0);
  const allows = changing.filter(kindIs('allow'));
  // With allow windows an automated sync runs only inside one (a manual one may pass a manualSync window,
  // an overrun its start): outside them, only their openings can let it run, however often denies come and go.
  const insideAllowOnly = allows.length > 0 && request.startedAt === undefined && !request.manual;
  // An allow window opens just after its firing moment: look just past `from` too.
  let at = from + 1;
  for (let step = 0; step < MAX_SEARCH_STEPS && at - from <= SEARCH_HORIZON_MS; step++) {
    if (allowedAt(at)) return { opensAt: at };
    const movers = insideAllowOnly && !allows.some((w) => isActive(w, at)) ? allows : changing;
    let change = Infinity;
    for (const window of movers) change = Math.min(change, nextChange(window, at) ?? Infinity);
    if (change === Infinity) return { searchedUntil: Infinity };
    for (const window of movers) change = Math.min(change, zoneChangeBefore(window, at, change));
    at = Math.max(change, at) + 1;
  }
  return { searchedUntil: at };
}

/** The last moment before the window zone's offset changes, if it changes between `from` and `until`; else `until`. */
function zoneChangeBefore(window: ParsedWindow, from: number, until: number): number {
  const offset = shiftOf(window, from);
  if (shiftOf(window, until) === offset) return until;
  let [low, high] = [from, until];
  while (high - low > 1000) {
    const middle = Math.floor((low + high) / 2);
    if (shiftOf(window, middle) === offset) low = middle;
    else high = middle;
  }
  return high - 1;
}

/** Project text is tenant input: what a status or message repeats of it is cut to a bound. */
const bounded = (text: string, length: number) => (text.length > length ? `${text.slice(0, length - 1)}…` : text);
const WINDOWS_NAMED = 10;
const WINDOWS_SHOWN = 3;

/** How people are told about a window: its description, else its index and schedule. */
export function windowName({ index, window }: IndexedWindow): string {
  const description = window.description?.trim();
  if (description) return JSON.stringify(bounded(description, 100));
  return `#${index} ${JSON.stringify(bounded(window.schedule ?? '', 64))}`;
}

const named = (windows: IndexedWindow[]) => ({
  windows: windows.slice(0, WINDOWS_NAMED).map(windowName),
  ...(windows.length > WINDOWS_NAMED ? { more: windows.length - WINDOWS_NAMED } : {}),
});

/**
 * Openings found, by the windows and request they were found for: one stands from the moment it
 * was searched from until the opening (or as far as the search looked), so the many Applications
 * a window holds, and their repeated checks, search once.
 */
const openings = new Map<string, { from: number; until: number; opensAt?: number }>();
const OPENINGS_KEPT = 1000;

function cachedOpening(windows: ParsedWindow[], matching: IndexedWindow[], request: { manual: boolean; startedAt?: number }, at: number): number | undefined {
  const key = JSON.stringify([matching, request.manual, request.startedAt]);
  const known = openings.get(key);
  if (known && known.from <= at && at < known.until) return known.opensAt;
  const opening = nextOpening(windows, request, at);
  if (openings.size >= OPENINGS_KEPT) openings.clear();
  openings.set(key, 'opensAt' in opening ? { from: at, until: opening.opensAt, opensAt: opening.opensAt } : { from: at, until: opening.searchedUntil });
  return 'opensAt' in opening ? opening.opensAt : undefined;
}

/**
 * Whether the windows that match an Application let a sync run at `request.at`, and if not, which
 * windows hold it and when it may run. Invalid windows hold every sync, as in Argo CD.
 */
export function syncWindowVerdict(matching: IndexedWindow[], request: SyncRequest): SyncWindowVerdict {
  if (!matching.length) return { allowed: true };
  let windows: ParsedWindow[];
  try {
    windows = parseWindows(matching);
  } catch (error) {
    if (!(error instanceof InvalidWindowError)) throw error;
    return { allowed: false, ...named(matching), error: bounded(`invalid sync windows: ${error.message}`, 300) };
  }
  const timing = { manual: request.manual, startedAt: request.startedAt?.getTime() };
  const at = request.at.getTime();
  const now = evaluate(windows, { ...timing, at });
  if (now.allowed) return { allowed: true };
  // A manual sync is held only by the windows that do not allow manual syncs.
  const holding = request.manual ? now.deciding.filter((w) => w.window.manualSync !== true) : now.deciding;
  const opensAt = cachedOpening(windows, matching, timing, at);
  return { allowed: false, ...named(holding), ...(opensAt !== undefined ? { opensAt: new Date(Math.floor(opensAt / 1000) * 1000).toISOString() } : {}) };
}

/** 02:00 UTC within a day, else 2030-01-07 02:00 UTC; seconds only when there are some. */
function formatOpening(opensAt: string, now: Date): string {
  const at = new Date(opensAt);
  const time = at.toISOString().slice(11, at.getUTCSeconds() ? 19 : 16);
  return at.getTime() - now.getTime() < 86_400_000 ? `${time} UTC` : `${at.toISOString().slice(0, 10)} ${time} UTC`;
}

/** Why a sync waits, for people: `waiting for sync window "nightly freeze" (opens 02:00 UTC)`. */
export function describeWindowWait(wait: WindowWait, now: Date): string {
  if (wait.error) return `blocked by ${wait.error}`;
  const unnamed = Math.max(0, wait.windows.length - WINDOWS_SHOWN) + (wait.more ?? 0);
  const more = unnamed ? ` and ${unnamed} more` : '';
  const windows = `sync window${wait.windows.length === 1 ? '' : 's'} ${wait.windows.slice(0, WINDOWS_SHOWN).join(', ')}${more}`;
  return `waiting for ${windows} (${wait.opensAt ? `opens ${formatOpening(wait.opensAt, now)}` : 'no opening found'})`;
}
