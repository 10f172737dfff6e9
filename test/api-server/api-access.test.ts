import { describe, expect, it } from 'vitest';
import { AccessProblem, ApiAccess, applicationSetAccess, type AccessReviewer } from '../../src/api-server/api-access.js';

/** A reviewer whose answers the test changes, counting the reviews it is asked for. */
function reviewer(): AccessReviewer & { grants: Set<string>; tokens: Map<string, string>; down: boolean; calls: number } {
  const state = {
    grants: new Set<string>(),
    tokens: new Map([['t-alice', 'alice']]),
    down: false,
    calls: 0,
    async authenticate(token: string) {
      state.calls++;
      if (state.down) throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
      const username = state.tokens.get(token);
      return username ? { username, groups: ['system:authenticated'] } : undefined;
    },
    async allowed(user: { username: string }, access: { verb: string }) {
      state.calls++;
      if (state.down) throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
      return state.grants.has(`${user.username}:${access.verb}`);
    },
  };
  return state;
}

const problem = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: AccessProblem) => ({ status: error.status, message: error.message }),
  );

describe('ApiAccess', () => {
  it('lets a grant work at once, keeps it a few seconds, and asks again after', async () => {
    const reviews = reviewer();
    const access = new ApiAccess(reviews, 200);
    const patch = applicationSetAccess('patch', 'argocd', 'web');
    expect(await problem(access.require('t-alice', patch))).toEqual({
      status: 403,
      message: 'user "alice" may not patch applicationsets.argoproj.io "web" in namespace "argocd"',
    });
    reviews.grants.add('alice:patch');
    expect((await access.require('t-alice', patch)).username).toBe('alice');
    const calls = reviews.calls;
    await access.require('t-alice', patch);
    expect(reviews.calls).toBe(calls);
    reviews.grants.delete('alice:patch');
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await problem(access.require('t-alice', patch)))?.status).toBe(403);
  });

  it('answers 401 without a token or for one the cluster refuses, 503 when the reviews fail, and never repeats the token', async () => {
    const reviews = reviewer();
    const access = new ApiAccess(reviews);
    const get = applicationSetAccess('get', 'argocd');
    expect((await problem(access.require(undefined, get)))?.status).toBe(401);
    const refused = await problem(access.require('t-mallory-secret', get));
    expect(refused).toEqual({ status: 401, message: 'the bearer token was not accepted by the management cluster (TokenReview)' });
    reviews.down = true;
    const down = await problem(access.require('t-bob-secret', get));
    expect(down?.status).toBe(503);
    expect(down?.message).toContain('TokenReview on the management cluster failed');
    expect(down?.message).not.toContain('t-bob-secret');
  });
});
