import { Octokit } from '@octokit/rest';
import { BodyTooLargeError, readBodyWithin } from '../lib/bounded-body.js';
import { rateLimitWaitMs, requestTimeoutMs, ScmError, timeoutMessage, type RetryBudget } from './rate-limit.js';
import type { ScmHttp } from './scm-gateway.js';
import { isTimeout, MAX_ANSWER_BYTES } from './scm-transport.js';

const quietLog = { debug() {}, info() {}, warn() {}, error() {} };

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * Octokit's fetch: GETs go through the SCM gateway (shared, revalidated, one rate budget per
 * token); anything else is sent directly. Either way each request is given the budget's time and
 * its answer is read no further than MAX_ANSWER_BYTES before Octokit parses it.
 */
const gatewayFetch =
  (http: ScmHttp): typeof fetch =>
  async (input, init) => {
    const timeoutMs = requestTimeoutMs(http.budget);
    const url = input instanceof Request ? input.url : String(input);
    if ((init?.method ?? 'GET').toUpperCase() === 'GET') {
      const headers = Object.fromEntries(new Headers(init?.headers).entries());
      const answer = await http.gateway.get(url, headers, http.trust ?? {}, timeoutMs, http.caller);
      return new Response(NULL_BODY_STATUSES.has(answer.status) ? null : answer.text, {
        status: answer.status,
        statusText: answer.statusText,
        headers: answer.headers,
      });
    }
    const response = await fetch(input, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    const body = await readBodyWithin(response, MAX_ANSWER_BYTES);
    return new Response(NULL_BODY_STATUSES.has(response.status) ? null : body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };

/**
 * go-github's WithEnterpriseURLs: an Enterprise `api` is the server's root unless it already
 * ends in /api/v3/ or names an api. host.
 */
export function githubApiBase(api: string | undefined): string {
  if (!api) return 'https://api.github.com';
  const url = new URL(api);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  if (!url.pathname.endsWith('/api/v3/') && !url.hostname.startsWith('api.') && !url.hostname.includes('.api.')) url.pathname += 'api/v3/';
  return url.href.replace(/\/+$/, '');
}

/** An Octokit that never retries on its own (rate limits and 5xx answers are tried again by `retryingWithinBudget`) and reads bounded answers in bounded time. */
export function githubClient(api: string, auth: string | undefined, http: ScmHttp): Octokit {
  return new Octokit({ baseUrl: api, auth, userAgent: 'regatta', log: quietLog, request: { retries: 0, fetch: gatewayFetch(http) } });
}

/** The HTTP status of an Octokit failure; 0 when no answer came. */
export function githubStatus(error: unknown): number {
  return (error as { status?: number }).status ?? 0;
}

/**
 * Runs `request` (which may read many pages) again from the start after a rate-limit or 5xx
 * answer, within the budget, as getJson does for the other providers; any other failure becomes an
 * ScmError naming `what`, a 404 one marked notFound.
 */
export async function retryingWithinBudget<T>(what: string, budget: RetryBudget, request: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (error instanceof ScmError) throw error;
      const cause = (error as { cause?: unknown }).cause;
      if (cause instanceof BodyTooLargeError) throw new ScmError(`${what}: ${cause.message}`);
      if (isTimeout(cause)) throw new ScmError(`${what}: ${timeoutMessage(budget)}`);
      const status = githubStatus(error);
      const headers = ((error as { response?: { headers?: Record<string, string> } }).response?.headers ?? {}) as Record<string, string>;
      const wait = rateLimitWaitMs(status, headers);
      if (wait !== undefined && wait <= budget.maxWaitMs && attempt < budget.attempts) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      if (wait !== undefined) throw new ScmError(`${what}: rate limited (HTTP ${status}); the provider allows more requests in ${Math.ceil(wait / 1000)} s`);
      if (status >= 500 && attempt < budget.attempts) {
        await new Promise((resolve) => setTimeout(resolve, (budget.serverErrorBackoffMs ?? 1000) * attempt));
        continue;
      }
      const code = (cause as { code?: string } | undefined)?.code;
      throw new ScmError(`${what}: ${status ? `HTTP ${status}` : 'request failed'}${code ? `: ${code}` : ''}`, status === 404);
    }
  }
}
