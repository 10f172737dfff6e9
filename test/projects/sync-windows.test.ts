import { describe, expect, it } from 'vitest';
import type { SyncWindow } from '../../src/api/app-project.js';
import { describeWindowWait, syncWindowVerdict, windowName, type SyncRequest } from '../../src/projects/sync-windows.js';

const indexed = (...windows: SyncWindow[]) => windows.map((window, index) => ({ index, window }));
const verdict = (windows: SyncWindow[], at: string, request: Partial<Omit<SyncRequest, 'at'>> = {}) =>
  syncWindowVerdict(indexed(...windows), { manual: false, ...request, at: new Date(at) });

const nightlyFreeze: SyncWindow = { kind: 'deny', schedule: '0 1 * * *', duration: '1h', description: 'nightly freeze' };
const morningAllow: SyncWindow = { kind: 'allow', schedule: '0 3 * * *', duration: '1h' };

describe('syncWindowVerdict: Argo CD CanSync, and when the sync may run', () => {
  it('without windows every sync runs', () => {
    expect(verdict([], '2030-01-07T01:30:00Z')).toEqual({ allowed: true });
  });

  it('an active deny window holds the sync until it ends', () => {
    expect(verdict([nightlyFreeze], '2030-01-07T01:30:00Z')).toEqual({ allowed: false, windows: ['"nightly freeze"'], opensAt: '2030-01-07T02:00:00.000Z' });
    expect(verdict([nightlyFreeze], '2030-01-07T02:00:00Z')).toEqual({ allowed: true });
    expect(verdict([nightlyFreeze], '2030-01-07T00:59:59Z')).toEqual({ allowed: true });
  });

  it('with allow windows a sync runs only inside one; it waits for the next opening', () => {
    expect(verdict([morningAllow], '2030-01-07T01:30:00Z')).toEqual({ allowed: false, windows: ['#0 "0 3 * * *"'], opensAt: '2030-01-07T03:00:00.000Z' });
    expect(verdict([morningAllow], '2030-01-07T03:30:00Z')).toEqual({ allowed: true });
    expect(verdict([morningAllow], '2030-01-07T04:00:00Z')).toMatchObject({ allowed: false, opensAt: '2030-01-08T03:00:00.000Z' });
  });

  it('deny beats allow, and the sync waits until both permit it', () => {
    const longAllow: SyncWindow = { kind: 'allow', schedule: '0 0 * * *', duration: '8h' };
    const shortAllow: SyncWindow = { kind: 'allow', schedule: '0 0 * * *', duration: '1h30m' };
    expect(verdict([longAllow, nightlyFreeze], '2030-01-07T01:10:00Z')).toEqual({
      allowed: false,
      windows: ['"nightly freeze"'],
      opensAt: '2030-01-07T02:00:00.000Z',
    });
    expect(verdict([shortAllow, nightlyFreeze], '2030-01-07T01:10:00Z')).toEqual({
      allowed: false,
      windows: ['"nightly freeze"'],
      opensAt: '2030-01-08T00:00:00.000Z',
    });
  });

  it('manualSync lets manual syncs through only when every window that holds them allows it', () => {
    const manualFreeze = { ...nightlyFreeze, manualSync: true };
    expect(verdict([manualFreeze], '2030-01-07T01:30:00Z', { manual: true })).toEqual({ allowed: true });
    expect(verdict([manualFreeze], '2030-01-07T01:30:00Z', { manual: false })).toMatchObject({ allowed: false });
    const strictFreeze: SyncWindow = { kind: 'deny', schedule: '30 0 * * *', duration: '2h' };
    expect(verdict([manualFreeze, strictFreeze], '2030-01-07T01:30:00Z', { manual: true })).toEqual({
      allowed: false,
      windows: ['#1 "30 0 * * *"'],
      opensAt: '2030-01-07T02:30:00.000Z',
    });
    expect(verdict([{ ...morningAllow, manualSync: true }], '2030-01-07T01:30:00Z', { manual: true })).toEqual({ allowed: true });
  });

  it('syncOverrun lets an operation that was allowed when it started go on', () => {
    const startedAt = new Date('2030-01-07T00:50:00Z');
    expect(verdict([{ ...nightlyFreeze, syncOverrun: true }], '2030-01-07T01:10:00Z', { startedAt })).toEqual({ allowed: true });
    expect(verdict([nightlyFreeze], '2030-01-07T01:10:00Z', { startedAt })).toMatchObject({ allowed: false });
    const hourAllow: SyncWindow = { kind: 'allow', schedule: '0 0 * * *', duration: '1h' };
    expect(verdict([{ ...hourAllow, syncOverrun: true }], '2030-01-07T01:10:00Z', { startedAt })).toEqual({ allowed: true });
    expect(verdict([hourAllow], '2030-01-07T01:10:00Z', { startedAt })).toMatchObject({ allowed: false, opensAt: '2030-01-08T00:00:00.000Z' });
  });

  it('reads schedules on the window zone clock: a deny at 22:00 Amsterdam is 21:00 UTC in winter and 20:00 UTC in summer', () => {
    const evening: SyncWindow = { kind: 'deny', schedule: '0 22 * * *', duration: '1h', timeZone: 'Europe/Amsterdam' };
    expect(verdict([evening], '2030-01-07T21:30:00Z')).toMatchObject({ allowed: false, opensAt: '2030-01-07T22:00:00.000Z' });
    expect(verdict([evening], '2030-07-07T20:30:00Z')).toMatchObject({ allowed: false, opensAt: '2030-07-07T21:00:00.000Z' });
    expect(verdict([evening], '2030-07-07T21:30:00Z')).toEqual({ allowed: true });
  });

  it('across a clock change the window keeps its wall-clock end (Argo CD shifts by the offset of the moment): 01:00–04:00 Berlin', () => {
    const night: SyncWindow = { kind: 'deny', schedule: '0 1 * * *', duration: '3h', timeZone: 'Europe/Berlin' };
    // Spring forward (02:00 CET → 03:00 CEST): opened at 00:00 UTC, ends at 04:00 CEST = 02:00 UTC.
    expect(verdict([night], '2030-03-31T00:30:00Z')).toMatchObject({ allowed: false, opensAt: '2030-03-31T02:00:00.000Z' });
    expect(verdict([night], '2030-03-31T02:30:00Z')).toEqual({ allowed: true });
    // Fall back (03:00 CEST → 02:00 CET): opened at 23:00 UTC, ends at 04:00 CET = 03:00 UTC.
    expect(verdict([night], '2030-10-27T00:30:00Z')).toMatchObject({ allowed: false, opensAt: '2030-10-27T03:00:00.000Z' });
    expect(verdict([night], '2030-10-27T02:30:00Z')).toMatchObject({ allowed: false, opensAt: '2030-10-27T03:00:00.000Z' });
  });

  it('an unknown time zone is read as UTC, as Argo CD does', () => {
    expect(verdict([{ ...nightlyFreeze, timeZone: 'Mars/Olympus' }], '2030-01-07T01:30:00Z')).toMatchObject({
      allowed: false,
      opensAt: '2030-01-07T02:00:00.000Z',
    });
  });

  it('a window whose schedule never fires counts as always active (Go zero time); one that always covers the clock never opens', () => {
    expect(verdict([{ kind: 'allow', schedule: '0 0 31 2 *', duration: '1h' }], '2030-01-07T01:30:00Z')).toEqual({ allowed: true });
    expect(verdict([{ kind: 'deny', schedule: '0 0 31 2 *', duration: '1h' }], '2030-01-07T01:30:00Z')).toEqual({
      allowed: false,
      windows: ['#0 "0 0 31 2 *"'],
    });
    expect(verdict([{ kind: 'deny', schedule: '* * * * *', duration: '1h' }], '2030-01-07T01:30:00Z')).toEqual({ allowed: false, windows: ['#0 "* * * * *"'] });
  });

  it('finds a daily allow window a day ahead, past windows that fire every minute, and a deny inside it', () => {
    const windows: SyncWindow[] = [
      { kind: 'allow', schedule: '0 22 * * *', duration: '2m' },
      { kind: 'other', schedule: '* * * * *', duration: '1m' },
      { kind: 'deny', schedule: '*/2 * * * *', duration: '1m' },
    ];
    expect(verdict(windows, '2030-01-07T23:58:50Z')).toEqual({ allowed: false, windows: ['#2 "*/2 * * * *"'], opensAt: '2030-01-08T22:01:00.000Z' });
    expect(verdict(windows, '2030-01-07T23:59:30Z')).toEqual({ allowed: false, windows: ['#0 "0 22 * * *"'], opensAt: '2030-01-08T22:01:00.000Z' });
  });

  it('windows of another kind are ignored, but still have to parse', () => {
    expect(verdict([{ ...nightlyFreeze, kind: 'Deny' }], '2030-01-07T01:30:00Z')).toEqual({ allowed: true });
    expect(verdict([{ ...nightlyFreeze, kind: 'Deny', schedule: '0 1 * *' }], '2030-01-07T01:30:00Z')).toMatchObject({ allowed: false });
  });

  it("invalid windows hold every sync, with Argo CD's text", () => {
    expect(verdict([morningAllow, { ...nightlyFreeze, schedule: '0 1 * *' }], '2030-01-07T03:30:00Z')).toEqual({
      allowed: false,
      windows: ['#0 "0 3 * * *"', '"nightly freeze"'],
      error: "invalid sync windows: cannot parse schedule '0 1 * *': expected exactly 5 fields, found 4: [0 1 * *]",
    });
    expect(verdict([{ ...nightlyFreeze, duration: '1d' }], '2030-01-07T05:00:00Z')).toMatchObject({
      allowed: false,
      error: 'invalid sync windows: cannot parse duration \'1d\': time: unknown unit "d" in duration "1d"',
    });
    expect(verdict([{ kind: 'deny', duration: '1h' }], '2030-01-07T05:00:00Z')).toMatchObject({
      error: "invalid sync windows: cannot parse schedule '': empty spec string",
    });
  });

  it('answers quickly even for windows that never open', () => {
    for (let minute = 0; minute < 50; minute++)
      verdict([{ kind: 'deny', schedule: '*/5 * * * *', duration: '1h', timeZone: 'Europe/Berlin' }], `2030-01-07T01:${String(minute).padStart(2, '0')}:00Z`);
  });
});

describe('describeWindowWait and windowName', () => {
  const now = new Date('2030-01-07T01:30:00Z');

  it('names the windows and the opening in UTC, with the date when it is more than a day away', () => {
    expect(describeWindowWait({ windows: ['"nightly freeze"'], opensAt: '2030-01-07T02:00:00.000Z' }, now)).toBe(
      'waiting for sync window "nightly freeze" (opens 02:00 UTC)',
    );
    expect(describeWindowWait({ windows: ['#0 "0 3 * * *"', '#2 "0 9 * * 1"'], opensAt: '2030-01-09T03:00:00.000Z' }, now)).toBe(
      'waiting for sync windows #0 "0 3 * * *", #2 "0 9 * * 1" (opens 2030-01-09 03:00 UTC)',
    );
    expect(describeWindowWait({ windows: ['#0 "0 1 * * *"'], opensAt: '2030-01-07T02:00:30.000Z' }, now)).toBe(
      'waiting for sync window #0 "0 1 * * *" (opens 02:00:30 UTC)',
    );
    expect(describeWindowWait({ windows: ['#0 "* * * * *"'] }, now)).toBe('waiting for sync window #0 "* * * * *" (no opening found)');
    expect(
      describeWindowWait({ windows: ['#0 "x"'], error: "invalid sync windows: cannot parse schedule 'x': expected exactly 5 fields, found 1: [x]" }, now),
    ).toBe("blocked by invalid sync windows: cannot parse schedule 'x': expected exactly 5 fields, found 1: [x]");
  });

  it('a description names the window, bounded; without one, its index and schedule do', () => {
    expect(windowName({ index: 3, window: { schedule: '0 1 * * *' } })).toBe('#3 "0 1 * * *"');
    expect(windowName({ index: 0, window: { schedule: '0 1 * * *', description: '  CHG-1234 freeze ' } })).toBe('"CHG-1234 freeze"');
    expect(windowName({ index: 0, window: { description: 'x'.repeat(300) } })).toHaveLength(102);
  });

  it('what a hostile project makes a status repeat is bounded: names, how many are named, error texts', () => {
    const many = Array.from({ length: 50 }, (): SyncWindow => ({ kind: 'deny', schedule: '0 1 * * *', duration: '1h' }));
    const held = verdict(many, '2030-01-07T01:30:00Z');
    expect(held).toMatchObject({ allowed: false, opensAt: '2030-01-07T02:00:00.000Z' });
    expect(held.allowed === false && [held.windows.length, held.more]).toEqual([10, 40]);
    expect(describeWindowWait(held as never, now)).toBe(
      'waiting for sync windows #0 "0 1 * * *", #1 "0 1 * * *", #2 "0 1 * * *" and 47 more (opens 02:00 UTC)',
    );
    const invalid = verdict([{ kind: 'deny', schedule: `0 1 * * ${'x'.repeat(10_000)}`, duration: '1h' }], '2030-01-07T01:30:00Z');
    expect(invalid.allowed === false && invalid.error!.length).toBe(300);
    expect(invalid.allowed === false && invalid.windows[0].length).toBeLessThan(80);
  });
});
