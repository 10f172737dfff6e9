import { describe, expect, it } from 'vitest';
import { DashboardLoginCodes } from '../../src/api-server/dashboard-login-codes.js';

describe('DashboardLoginCodes', () => {
  it('trades a code for its token once, however it was typed', () => {
    const codes = new DashboardLoginCodes();
    const code = codes.issue('token-a');
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(codes.redeem(` ${code.toLowerCase().replace(/-/g, ' ')} `)).toBe('token-a');
    expect(codes.redeem(code)).toBeUndefined();
  });

  it('refuses a code past its TTL, and a wrong guess uses nothing up', () => {
    const expired = new DashboardLoginCodes(-1);
    expect(expired.redeem(expired.issue('token-a'))).toBeUndefined();
    const codes = new DashboardLoginCodes();
    const code = codes.issue('token-b');
    expect(codes.redeem('0000-0000-0000')).toBeUndefined();
    expect(codes.redeem(code)).toBe('token-b');
  });

  it('keeps only the newest codes when too many are issued', () => {
    const codes = new DashboardLoginCodes(60_000, 2);
    const first = codes.issue('one');
    const second = codes.issue('two');
    const third = codes.issue('three');
    expect(codes.redeem(first)).toBeUndefined();
    expect([codes.redeem(second), codes.redeem(third)]).toEqual(['two', 'three']);
  });
});
