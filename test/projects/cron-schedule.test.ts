import { describe, expect, it } from 'vitest';
import { CronScheduleError, nextActivation, parseCronSchedule, previousActivation } from '../../src/projects/cron-schedule.js';

const at = (iso: string) => Date.parse(iso);
const next = (spec: string, after: string) => {
  const found = nextActivation(parseCronSchedule(spec), at(after));
  return found === undefined ? undefined : new Date(found).toISOString();
};

describe('parseCronSchedule: what Argo CD accepts in a sync window schedule', () => {
  it.each([
    ['', 'empty spec string'],
    ['@daily', 'parser does not accept descriptors: @daily'],
    ['0 2 * *', 'expected exactly 5 fields, found 4: [0 2 * *]'],
    ['0 0 2 * * *', 'expected exactly 5 fields, found 6: [0 0 2 * * *]'],
    ['60 * * * *', 'end of range (60) above maximum (59): 60'],
    ['0 0 0 * *', 'beginning of range (0) below minimum (1): 0'],
    ['0 0 * * 7', 'end of range (7) above maximum (6): 7'],
    ['5-1 * * * *', 'beginning of range (5) beyond end of range (1): 5-1'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
    ['*/2/3 * * * *', 'too many slashes: */2/3'],
    ['x * * * *', 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ['*/-1 * * * *', 'negative number (-1) not allowed: -1'],
    ['99999999999999999999 * * * *', 'failed to parse int from 99999999999999999999: strconv.Atoi: parsing "99999999999999999999": value out of range'],
    ['TZ=Nope/Zone 0 2 * * *', 'provided bad location Nope/Zone: unknown time zone Nope/Zone'],
  ])('%j is refused: %s', (spec, message) => {
    expect(() => parseCronSchedule(spec)).toThrow(new CronScheduleError(message));
  });

  it('accepts month and weekday names in any case, ranges, steps, lists and extra spaces', () => {
    for (const spec of ['0 0 * JAN-mar Mon', '*/15  9-17 1,15 * mon-FRI', '0 22 * * ?', 'CRON_TZ=Europe/Berlin 0 2 * * *'])
      expect(() => parseCronSchedule(spec)).not.toThrow();
  });
});

describe('nextActivation: robfig/cron Next', () => {
  it('is strictly after the given moment, rounded up to the next whole second first', () => {
    expect(next('0 2 * * *', '2030-01-07T01:30:00Z')).toBe('2030-01-07T02:00:00.000Z');
    expect(next('0 2 * * *', '2030-01-07T02:00:00Z')).toBe('2030-01-08T02:00:00.000Z');
    expect(next('0 2 * * *', '2030-01-07T01:59:59.500Z')).toBe('2030-01-07T02:00:00.000Z');
    expect(next('*/20 9-10 * * *', '2030-01-07T10:41:00Z')).toBe('2030-01-08T09:00:00.000Z');
  });

  it('day of month OR day of week, unless either is a star (then AND); a step above 1 is not a star', () => {
    // 2030-01-01 is a Tuesday.
    expect(next('0 0 13 * 5', '2030-01-01T00:00:00Z')).toBe('2030-01-04T00:00:00.000Z');
    expect(next('0 0 ? * 5', '2030-01-01T00:00:00Z')).toBe('2030-01-04T00:00:00.000Z');
    expect(next('0 0 13 * */1', '2030-01-01T00:00:00Z')).toBe('2030-01-13T00:00:00.000Z');
    expect(next('0 0 13 * */2', '2030-01-01T00:00:00Z')).toBe('2030-01-03T00:00:00.000Z');
  });

  it('finds leap days, and nothing (Go zero time) for a date that never comes within five years', () => {
    expect(next('0 0 29 2 *', '2030-03-01T00:00:00Z')).toBe('2032-02-29T00:00:00.000Z');
    expect(next('0 0 31 2 *', '2030-01-01T00:00:00Z')).toBeUndefined();
  });

  it('a TZ= schedule reads the zone wall clock: a time the spring change skips never comes, a repeated one comes twice', () => {
    expect(next('TZ=Europe/Berlin 30 2 * * *', '2030-03-30T12:00:00Z')).toBe('2030-04-01T00:30:00.000Z');
    expect(next('TZ=Europe/Berlin 30 2 * * *', '2030-10-27T00:00:00Z')).toBe('2030-10-27T00:30:00.000Z');
    expect(next('TZ=Europe/Berlin 30 2 * * *', '2030-10-27T00:30:00Z')).toBe('2030-10-27T01:30:00.000Z');
    expect(next('CRON_TZ=America/New_York 0 9 * * mon-fri', '2030-01-05T00:00:00Z')).toBe('2030-01-07T14:00:00.000Z');
  });
});

describe('previousActivation', () => {
  it('is the last activation strictly before the moment', () => {
    const schedule = parseCronSchedule('0 2 * * 1-5');
    expect(new Date(previousActivation(schedule, at('2030-01-07T02:00:00Z'))!).toISOString()).toBe('2030-01-04T02:00:00.000Z');
    expect(new Date(previousActivation(schedule, at('2030-01-07T02:00:00.001Z'))!).toISOString()).toBe('2030-01-07T02:00:00.000Z');
    expect(previousActivation(parseCronSchedule('0 0 31 2 *'), at('2030-01-01T00:00:00Z'))).toBeUndefined();
  });
});
