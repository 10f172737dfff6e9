import { BodyTooLargeError } from '../lib/bounded-body.js';
import type { ScmHttp } from './scm-gateway.js';
import { isTimeout, type ScmAnswer } from './scm-transport.js';

/** How long a provider asks us to wait (Retry-After, or GitHub/GitLab/Gitea's rate-limit reset), if it is rate limiting. */
export function rateLimitWaitMs(status: number, headers: Record<string, string | undefined>, now = Date.now()): number | undefined {
  if (status !== 403 && status !== 429) return undefined;
  const retryAfter = headers['retry-after'];
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    return Number.isFinite(seconds) ? Math.max(0, seconds * 1000) : Math.max(0, Date.parse(retryAfter) - now);
  }
  const remaining = headers['x-ratelimit-remaining'] ?? headers['ratelimit-remaining'];
  const reset = headers['x-ratelimit-reset'] ?? headers['ratelimit-reset'];
  if (remaining === '0' && reset !== undefined) return Math.max(0, Number(reset) * 1000 - now);
  return status === 429 ? 1000 : undefined;
}

export class ScmError extends Error {
  constructor(
    message: string,
    readonly notFound = false,
    /** The provider's JSON error answer, for providers that say what was not found in it (Azure DevOps' typeKey); never put in a message. */
    readonly answer?: unknown,
  ) {
    super(message);
  }
}

export interface RetryBudget {
  /** Longest single wait honoured; a longer reset fails the generation with the time it names. */
  maxWaitMs: number;
  attempts: number;
  /** Longest one request (answer included) may take; 60 s when unset. */
  requestTimeoutMs?: number;
  /** Wait before the next try after a 5xx answer, times the tries so far (1 s unless set). */
  serverErrorBackoffMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

export const requestTimeoutMs = (budget: RetryBudget) => budget.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;

export const timeoutMessage = (budget: RetryBudget) => `no answer within ${Math.ceil(requestTimeoutMs(budget) / 1000)} s`;

export const DEFAULT_RETRY_BUDGET: RetryBudget = { maxWaitMs: 60_000, attempts: 3 };

function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A GET of one page; rate-limit answers are waited out within the budget, never taken for "no pull requests". */
export async function getJson(
  url: string,
  headers: Record<string, string>,
  what: string,
  http: ScmHttp,
): Promise<{ body: unknown; headers: Record<string, string> }> {
  const { budget } = http;
  for (let attempt = 1; ; attempt++) {
    let response: ScmAnswer;
    try {
      response = await http.gateway.get(url, { accept: 'application/json', ...headers }, http.trust ?? {}, requestTimeoutMs(budget), http.caller);
    } catch (error) {
      if (error instanceof BodyTooLargeError) throw new ScmError(`${what}: ${error.message}`);
      if (isTimeout(error) || isTimeout((error as { cause?: unknown }).cause)) throw new ScmError(`${what}: ${timeoutMessage(budget)}`);
      throw new ScmError(`${what}: request failed: ${(error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).message}`);
    }
    // No Content: Bitbucket Server's answer for the default branch of an empty repository.
    if (response.status === 204) return { body: null, headers: response.headers };
    if (response.status >= 200 && response.status < 300) {
      try {
        return { body: JSON.parse(response.text), headers: response.headers };
      } catch {
        throw new ScmError(`${what}: the answer is not JSON`);
      }
    }
    const wait = rateLimitWaitMs(response.status, response.headers);
    if (wait !== undefined) {
      if (wait > budget.maxWaitMs || attempt >= budget.attempts) {
        throw new ScmError(`${what}: rate limited (HTTP ${response.status}); the provider allows more requests in ${Math.ceil(wait / 1000)} s`);
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
      continue;
    }
    // A provider's outage is often brief: tried again within the budget, then an error, never "no pull requests".
    if (response.status >= 500 && attempt < budget.attempts) {
      await new Promise((resolve) => setTimeout(resolve, (budget.serverErrorBackoffMs ?? 1000) * attempt));
      continue;
    }
    throw new ScmError(`${what}: HTTP ${response.status} ${response.statusText}`, response.status === 404, jsonOrUndefined(response.text));
  }
}

/** Most pages one listing reads before it fails rather than grow without bound. */
export const MAX_LISTING_PAGES = 1000;
