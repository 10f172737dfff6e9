import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { BodyTooLargeError, readBodyWithin } from '../lib/bounded-body.js';

/** Largest answer (one page) read from an SCM provider: a page of 100 repositories is well under 1 MB. */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

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

/** Whether a failed request was one that took longer than its budget allows. */
export const isTimeout = (error: unknown) => (error as { name?: string } | undefined)?.name === 'TimeoutError';

export const timeoutMessage = (budget: RetryBudget) => `no answer within ${Math.ceil(requestTimeoutMs(budget) / 1000)} s`;

export const DEFAULT_RETRY_BUDGET: RetryBudget = { maxWaitMs: 60_000, attempts: 3 };

interface Answer {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  text: string;
}

/** How a provider's HTTPS server is trusted: not verified (`insecure: true`), or also by the CA certificates (PEM) of a `caRef`. */
export interface TlsTrust {
  insecure?: boolean;
  ca?: string;
}

/** One GET, trusting the server as `trust` says. */
function get(url: string, headers: Record<string, string>, trust: TlsTrust, timeoutMs: number): Promise<Answer> {
  if (!(trust.insecure || trust.ca) || !url.startsWith('https:')) {
    return fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) }).then(async (response) => ({
      status: response.status,
      statusText: response.statusText,
      headers: Object.fromEntries(response.headers.entries()),
      text: await readBodyWithin(response, MAX_ANSWER_BYTES),
    }));
  }
  return new Promise((resolve, reject) => {
    // An abort (the timeout) surfaces as an error naming the signal's reason as its cause.
    const fail = (error: Error) => reject(isTimeout(error.cause) ? error.cause : Object.assign(new Error(error.message), { cause: error }));
    const request = httpsRequest(
      url,
      { headers, rejectUnauthorized: !trust.insecure, ca: trust.ca ? [...rootCertificates, trust.ca] : undefined, signal: AbortSignal.timeout(timeoutMs) },
      (response) => {
        response.on('error', fail);
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.byteLength;
          if (size > MAX_ANSWER_BYTES) {
            response.destroy();
            reject(new BodyTooLargeError(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`));
          } else chunks.push(chunk);
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            statusText: response.statusMessage ?? '',
            headers: Object.fromEntries(Object.entries(response.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')])),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    request.on('error', fail);
    request.end();
  });
}

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
  budget: RetryBudget = DEFAULT_RETRY_BUDGET,
  trust: TlsTrust = {},
): Promise<{ body: unknown; headers: Record<string, string> }> {
  for (let attempt = 1; ; attempt++) {
    let response: Answer;
    try {
      response = await get(url, { accept: 'application/json', ...headers }, trust, requestTimeoutMs(budget));
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
