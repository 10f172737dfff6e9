import { randomBytes } from 'node:crypto';

export const SESSION_COOKIE = 'regatta_session';

/**
 * Browser sessions of the dashboard: the bearer token a user logged in with stays on the server,
 * the browser holds only a random session id in an HttpOnly cookie. Every request is still
 * checked with TokenReview and SubjectAccessReview, so a revoked token or grant stops working
 * within ApiAccess's few seconds of caching.
 */
export class DashboardSessions {
  private readonly sessions = new Map<string, { token: string; expires: number }>();

  constructor(
    readonly ttlMs = 8 * 3600_000,
    private readonly max = 10_000,
  ) {}

  create(token: string): string {
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, { token, expires: Date.now() + this.ttlMs });
    for (const [old, session] of this.sessions) {
      if (this.sessions.size <= this.max && session.expires > Date.now()) break;
      this.sessions.delete(old);
    }
    return id;
  }

  tokenOf(id: string | undefined): string | undefined {
    const session = id ? this.sessions.get(id) : undefined;
    if (!session) return undefined;
    if (session.expires <= Date.now()) {
      this.sessions.delete(id!);
      return undefined;
    }
    return session.token;
  }

  end(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  /** The Set-Cookie value that starts (or, with no id, ends) a session. */
  cookie(id: string | undefined, secure: boolean): string {
    const attributes = `Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
    return id ? `${SESSION_COOKIE}=${id}; Max-Age=${Math.floor(this.ttlMs / 1000)}; ${attributes}` : `${SESSION_COOKIE}=; Max-Age=0; ${attributes}`;
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
