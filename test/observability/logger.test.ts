import { describe, expect, it } from 'vitest';
import { createLogger, throttledWarnings } from '../../src/observability/logger.js';

describe('throttledWarnings', () => {
  it('logs the first warning at once, then at most one per interval, counting those it left out', () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('test', { write: (line) => lines.push(JSON.parse(line)) });
    let now = 0;
    const warn = throttledWarnings(logger, 30_000, () => now);
    for (const at of [0, 1_000, 2_000, 29_999, 30_000, 30_001, 90_000]) {
      now = at;
      warn('sync queue worker error', { error: 'connect ECONNREFUSED' });
    }
    expect(lines.map((l) => [l.msg, l.notLoggedSince])).toEqual([
      ['sync queue worker error', undefined],
      ['sync queue worker error', 3],
      ['sync queue worker error', 1],
    ]);
  });
});
