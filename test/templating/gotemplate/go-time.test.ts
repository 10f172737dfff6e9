import { describe, expect, it } from 'vitest';
import { parseGoDuration } from '../../../src/templating/gotemplate/go-time.js';
import { isLoadableZone, parseGoDurationOrError, wallClockIn } from '../../../src/templating/gotemplate/index.js';

describe('parseGoDurationOrError: time.ParseDuration', () => {
  it.each([
    ['1h30m', 5_400e9],
    ['-1.5h', -5_400e9],
    ['.5h', 1_800e9],
    ['1.h', 3_600e9],
    ['300ms', 300e6],
    ['1µs', 1e3],
    ['1μs', 1e3],
    ['0', 0],
    ['+0', 0],
    ['-0', 0],
    ['-9223372036854775808ns', -(2 ** 63)],
  ])('%s is %d ns', (text, nanoseconds) => {
    expect(parseGoDurationOrError(text)).toEqual({ nanoseconds });
  });

  it.each([
    ['', 'time: invalid duration ""'],
    ['1h 30m', 'time: unknown unit "h " in duration "1h 30m"'],
    ['1d', 'time: unknown unit "d" in duration "1d"'],
    ['1.5', 'time: missing unit in duration "1.5"'],
    ['.h', 'time: invalid duration ".h"'],
    ['h', 'time: invalid duration "h"'],
    ['9223372036854775808ns', 'time: invalid duration "9223372036854775808ns"'],
    ['2562048h', 'time: invalid duration "2562048h"'],
    ['µ', 'time: invalid duration "\\xc2\\xb5"'],
    ['1"', 'time: unknown unit "\\"" in duration "1\\""'],
  ])("%j is refused with Go's text", (text, error) => {
    expect(parseGoDurationOrError(text)).toEqual({ error });
    expect(parseGoDuration(text)).toBeUndefined();
  });
});

describe('wallClockIn', () => {
  const wall = (iso: string, zone: string) => new Date(wallClockIn(Date.parse(iso), zone)).toISOString();

  it('reads the zone clock on both sides of a clock change', () => {
    expect(wall('2030-03-31T00:59:59Z', 'Europe/Berlin')).toBe('2030-03-31T01:59:59.000Z');
    expect(wall('2030-03-31T01:00:00Z', 'Europe/Berlin')).toBe('2030-03-31T03:00:00.000Z');
    expect(wall('2030-10-27T00:30:00.250Z', 'Europe/Berlin')).toBe('2030-10-27T02:30:00.250Z');
    expect(wall('2030-10-27T01:30:00Z', 'Europe/Berlin')).toBe('2030-10-27T02:30:00.000Z');
    expect(wall('2030-06-01T12:00:00Z', 'Asia/Kolkata')).toBe('2030-06-01T17:30:00.000Z');
  });

  it('falls back to UTC for a zone that cannot be loaded, as Go does', () => {
    expect(wall('2030-06-01T12:00:00Z', 'Nope/Zone')).toBe('2030-06-01T12:00:00.000Z');
    expect(isLoadableZone('Nope/Zone')).toBe(false);
    expect(isLoadableZone('')).toBe(true);
    expect(isLoadableZone('America/New_York')).toBe(true);
  });
});
