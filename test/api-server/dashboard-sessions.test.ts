import { describe, expect, it } from 'vitest';
import { DashboardSessions, servedOverTls } from '../../src/api-server/dashboard-sessions.js';

describe('DashboardSessions', () => {
  it('gives each session its own CSRF token, valid only for that session and only while it lives', () => {
    const sessions = new DashboardSessions();
    const a = sessions.create('token-a');
    const b = sessions.create('token-b');
    expect(sessions.csrfMatches(a.id, a.csrf)).toBe(true);
    expect(sessions.csrfMatches(a.id, b.csrf)).toBe(false);
    expect(sessions.csrfMatches(a.id, undefined)).toBe(false);
    expect(sessions.csrfMatches(undefined, a.csrf)).toBe(false);
    sessions.end(a.id);
    expect(sessions.csrfMatches(a.id, a.csrf)).toBe(false);
    const expired = new DashboardSessions(-1);
    const old = expired.create('token-c');
    expect([expired.tokenOf(old.id), expired.csrfMatches(old.id, old.csrf)]).toEqual([undefined, false]);
  });

  it('accepts a login form only with the token derived from its own nonce cookie', () => {
    const sessions = new DashboardSessions();
    const form = sessions.loginForm(undefined);
    expect(sessions.loginFormMatches(form.nonce, form.csrf)).toBe(true);
    expect(sessions.loginForm(form.nonce)).toEqual(form);
    const other = sessions.loginForm('not a nonce');
    expect(other.nonce).not.toBe('not a nonce');
    expect(sessions.loginFormMatches(other.nonce, form.csrf)).toBe(false);
    expect(sessions.loginFormMatches(undefined, form.csrf)).toBe(false);
    // Another process (another key) cannot vouch for this one's forms.
    expect(new DashboardSessions().loginFormMatches(form.nonce, form.csrf)).toBe(false);
  });
});

describe('servedOverTls', () => {
  const request = (headers: Record<string, string>, encrypted = false) => ({ socket: { encrypted }, headers });

  it('believes X-Forwarded-Proto only when told to trust the proxy', () => {
    expect(servedOverTls(request({}, true), false)).toBe(true);
    expect(servedOverTls(request({ 'x-forwarded-proto': 'https' }), false)).toBe(false);
    expect(servedOverTls(request({ 'x-forwarded-proto': 'https' }), true)).toBe(true);
    expect(servedOverTls(request({ 'x-forwarded-proto': 'HTTPS, http' }), true)).toBe(true);
    expect(servedOverTls(request({ 'x-forwarded-proto': 'http' }), true)).toBe(false);
    expect(servedOverTls(request({}), true)).toBe(false);
  });
});
