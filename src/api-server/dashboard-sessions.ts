import { createHmac, randomBytes } from 'node:crypto';
import { sameSecret } from '../lib/constant-time.js';

export const SESSION_COOKIE = 'regatta_session';
/** The login form's own cookie: a nonce the form's CSRF token is derived from. */
export const LOGIN_COOKIE = 'regatta_login';
/** Where a browser's POST carries the CSRF token: a form field, or a header for scripts. */
export const CSRF_FIELD = 'csrf';
export const CSRF_HEADER = 'x-csrf-token';

const LOGIN_PATH = '/dashboard/login';
const RANDOM_ID = /^[A-Za-z0-9_-]{43}$/;

interface Session {
  token: string;
  /** Proves a POST came from a page this session was shown. */
  csrf: string;
  expires: number;
}

const randomId = () => randomBytes(32).toString('base64url');

/**
 * Whether the browser reached Regatta over TLS: its own connection, or, only when configured to
 * trust the TLS-terminating proxy in front, that proxy's `X-Forwarded-Proto`.
 */
export function servedOverTls(
  request: { socket?: { encrypted?: boolean }; headers: Record<string, string | string[] | undefined> },
  trustForwardedProto: boolean,
): boolean {
  if (request.socket?.encrypted === true) return true;
  if (!trustForwardedProto) return false;
  const forwarded = request.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0].trim().toLowerCase();
  return first === 'https';
}

/**
 * Browser sessions of the dashboard: the bearer token a user logged in with stays on the server,
 * the browser holds only a random session id in an HttpOnly, SameSite=Strict cookie. Every POST
 * a session makes must carry the session's CSRF token, and the login form one derived from its
 * own cookie. Every request is still checked with TokenReview and SubjectAccessReview, so a
 * revoked token or grant stops working within ApiAccess's few seconds of caching.
 */
export class DashboardSessions {
  private readonly sessions = new Map<string, Session>();
  /** Signs login-form nonces; a new process makes open login forms stale, which a reload mends. */
  private readonly formKey = randomBytes(32);

  constructor(
    readonly ttlMs = 8 * 3600_000,
    private readonly max = 10_000,
  ) {}

  create(token: string): { id: string; csrf: string } {
    const id = randomId();
    const csrf = randomId();
    this.sessions.set(id, { token, csrf, expires: Date.now() + this.ttlMs });
    for (const [old, session] of this.sessions) {
      if (this.sessions.size <= this.max && session.expires > Date.now()) break;
      this.sessions.delete(old);
    }
    return { id, csrf };
  }

  tokenOf(id: string | undefined): string | undefined {
    return this.live(id)?.token;
  }

  /** The CSRF token the session's pages put in their forms. */
  csrfOf(id: string | undefined): string | undefined {
    return this.live(id)?.csrf;
  }

  csrfMatches(id: string | undefined, given: unknown): boolean {
    const session = this.live(id);
    return session !== undefined && sameSecret(session.csrf, given);
  }

  end(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  /** The Set-Cookie value that starts (or, with no id, ends) a session. */
  cookie(id: string | undefined, secure: boolean): string {
    const attributes = `Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
    return id ? `${SESSION_COOKIE}=${id}; Max-Age=${Math.floor(this.ttlMs / 1000)}; ${attributes}` : `${SESSION_COOKIE}=; Max-Age=0; ${attributes}`;
  }

  /** The login form's nonce (kept when the browser already has a valid one) and the CSRF token the form carries. */
  loginForm(nonce: string | undefined): { nonce: string; csrf: string } {
    const kept = nonce && RANDOM_ID.test(nonce) ? nonce : randomId();
    return { nonce: kept, csrf: this.formToken(kept) };
  }

  /** Whether a posted login form carries the token its page derived from the nonce in the browser's cookie. */
  loginFormMatches(nonce: string | undefined, given: unknown): boolean {
    return nonce !== undefined && RANDOM_ID.test(nonce) && sameSecret(this.formToken(nonce), given);
  }

  loginCookie(nonce: string, secure: boolean): string {
    return `${LOGIN_COOKIE}=${nonce}; Path=${LOGIN_PATH}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  }

  private formToken(nonce: string): string {
    return createHmac('sha256', this.formKey).update(nonce).digest('base64url');
  }

  private live(id: string | undefined): Session | undefined {
    const session = id ? this.sessions.get(id) : undefined;
    if (!session) return undefined;
    if (session.expires <= Date.now()) {
      this.sessions.delete(id!);
      return undefined;
    }
    return session;
  }
}

/** One cookie's value from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}
