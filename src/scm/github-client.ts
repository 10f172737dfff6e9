import { Octokit } from '@octokit/rest';
import { rateLimitWaitMs, ScmError, type RetryBudget } from './rate-limit.js';

const quietLog = { debug() {}, info() {}, warn() {}, error() {} };

/** An Octokit that never retries on its own: rate limits are waited out by `retryingRateLimits`. */
export function githubClient(api: string, auth: string | undefined): Octokit {
  return new Octokit({ baseUrl: api, auth, userAgent: 'regatta', log: quietLog, request: { retries: 0 } });
}

/** The HTTP status of an Octokit failure; 0 when no answer came. */
export function githubStatus(error: unknown): number {
  return (error as { status?: number }).status ?? 0;
}

/**
 * Runs `request` (which may read many pages) again from the start after a rate-limit answer, within
 * the budget; any other failure becomes an ScmError naming `what`, a 404 one marked notFound.
 */
export async function retryingRateLimits<T>(what: string, budget: RetryBudget, request: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (error instanceof ScmError) throw error;
      const status = githubStatus(error);
      const headers = ((error as { response?: { headers?: Record<string, string> } }).response?.headers ?? {}) as Record<string, string>;
      const wait = rateLimitWaitMs(status, headers);
      if (wait !== undefined && wait <= budget.maxWaitMs && attempt < budget.attempts) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      if (wait !== undefined) throw new ScmError(`${what}: rate limited (HTTP ${status}); the provider allows more requests in ${Math.ceil(wait / 1000)} s`);
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new ScmError(`${what}: ${status ? `HTTP ${status}` : 'request failed'}${cause ? `: ${cause}` : ''}`, status === 404);
    }
  }
}
