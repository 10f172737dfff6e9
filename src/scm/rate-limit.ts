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
  ) {
    super(message);
  }
}

export interface RetryBudget {
  /** Longest single wait honoured; a longer reset fails the generation with the time it names. */
  maxWaitMs: number;
  attempts: number;
}

export const DEFAULT_RETRY_BUDGET: RetryBudget = { maxWaitMs: 60_000, attempts: 3 };

/** A GET of one page; rate-limit answers are waited out within the budget, never taken for "no pull requests". */
export async function getJson(url: string, headers: Record<string, string>, what: string, budget: RetryBudget = DEFAULT_RETRY_BUDGET): Promise<{ body: unknown; headers: Headers }> {
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(url, { headers: { accept: 'application/json', ...headers } });
    } catch (error) {
      throw new ScmError(`${what}: request failed: ${(error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).message}`);
    }
    if (response.ok) return { body: await response.json(), headers: response.headers };
    const wait = rateLimitWaitMs(response.status, Object.fromEntries(response.headers.entries()));
    if (wait !== undefined) {
      if (wait > budget.maxWaitMs || attempt >= budget.attempts) {
        throw new ScmError(`${what}: rate limited (HTTP ${response.status}); the provider allows more requests in ${Math.ceil(wait / 1000)} s`);
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
      continue;
    }
    throw new ScmError(`${what}: HTTP ${response.status} ${response.statusText}`, response.status === 404);
  }
}
