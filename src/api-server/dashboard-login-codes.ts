import { createHash, randomInt } from 'node:crypto';

/** Crockford's base32: no I, L, O or U to misread when a code is typed from a terminal. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const GROUPS = 3;
const GROUP_LENGTH = 4;

const digest = (code: string) => createHash('sha256').update(code).digest('hex');
/** What a person may have typed for a code: any case, with or without the dashes and spaces. */
const normalize = (typed: string) => typed.toUpperCase().replace(/[\s-]/g, '');

/**
 * One-time login codes, so a bearer token never has to travel in a URL or be printed: a host that
 * holds a token (the demo) issues a code for it, and the login form trades the code for a session
 * once, within the TTL. 60 random bits per code; codes are kept only as digests.
 */
export class DashboardLoginCodes {
  private readonly codes = new Map<string, { token: string; expires: number }>();

  constructor(
    readonly ttlMs = 10 * 60_000,
    private readonly max = 100,
  ) {}

  /** A new code for the token, e.g. `7KQ2-M9XD-40RT`. */
  issue(token: string): string {
    const code = Array.from({ length: GROUPS }, () => Array.from({ length: GROUP_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')).join('-');
    this.codes.set(digest(normalize(code)), { token, expires: Date.now() + this.ttlMs });
    for (const [key, entry] of this.codes) {
      if (this.codes.size <= this.max && entry.expires > Date.now()) break;
      this.codes.delete(key);
    }
    return code;
  }

  /** The token a code was issued for, once: the code is gone after this call, whatever the outcome. */
  redeem(typed: string): string | undefined {
    const key = digest(normalize(typed));
    const entry = this.codes.get(key);
    this.codes.delete(key);
    return entry && entry.expires > Date.now() ? entry.token : undefined;
  }
}
