import type { PullRequestGenerator } from '../api/application-set.js';
import type { CommitStatus, PreviewState } from '../generators/generator.js';
import { githubApiBase } from './github-client.js';

/**
 * Commit statuses on a pull request's head commit: how GitHub, GitLab and Gitea each take one.
 * Pure: builds the request; the PullRequest service sends it with the generator's own token.
 */

export interface CommitStatusRequest {
  api: 'github' | 'gitlab' | 'gitea';
  url: string;
  /** The credential header for `token`. */
  headers: Record<string, string>;
  body: string;
  insecure: boolean;
}

/** GitHub refuses longer descriptions. */
const MAX_DESCRIPTION = 140;
const COMMIT_SHA = /^[0-9a-f]{7,64}$/i;

const GITLAB_STATES: Record<PreviewState, string> = { pending: 'pending', running: 'running', success: 'success', failure: 'failed' };
/** GitHub and Gitea have no "running": a sync in progress is pending. */
const GITHUB_STATES: Record<PreviewState, string> = { pending: 'pending', running: 'pending', success: 'success', failure: 'failure' };

/** Whether the generator's provider takes commit statuses from Regatta (GitHub, GitLab, Gitea). */
export function commitStatusProvider(spec: PullRequestGenerator): 'github' | 'gitlab' | 'gitea' | undefined {
  return spec.github ? 'github' : spec.gitlab ? 'gitlab' : spec.gitea ? 'gitea' : undefined;
}

/** The request posting `status` on `sha`, or why there is none. */
export function commitStatusRequest(spec: PullRequestGenerator, sha: string, status: CommitStatus, token: string): CommitStatusRequest | { refusal: string } {
  if (!COMMIT_SHA.test(sha)) return { refusal: `head_sha ${JSON.stringify(sha.slice(0, 80))} is not a commit SHA` };
  const description = status.description.length > MAX_DESCRIPTION ? `${status.description.slice(0, MAX_DESCRIPTION - 1)}…` : status.description;
  const target = status.targetUrl ? { target_url: status.targetUrl } : {};
  if (spec.github) {
    const { owner, repo } = spec.github;
    return {
      api: 'github',
      url: `${githubApiBase(spec.github.api || undefined)}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/statuses/${sha}`,
      headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.github+json' },
      body: JSON.stringify({ state: GITHUB_STATES[status.state], description, context: status.context, ...target }),
      insecure: false,
    };
  }
  if (spec.gitea) {
    const { owner, repo } = spec.gitea;
    return {
      api: 'gitea',
      url: `${spec.gitea.api.replace(/\/+$/, '')}/api/v1/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/statuses/${sha}`,
      headers: { authorization: `token ${token}` },
      body: JSON.stringify({ state: GITHUB_STATES[status.state], description, context: status.context, ...target }),
      insecure: spec.gitea.insecure === true,
    };
  }
  if (spec.gitlab) {
    return {
      api: 'gitlab',
      url: `${(spec.gitlab.api || 'https://gitlab.com/').replace(/\/+$/, '')}/api/v4/projects/${encodeURIComponent(spec.gitlab.project)}/statuses/${sha}`,
      headers: { 'private-token': token },
      body: JSON.stringify({ state: GITLAB_STATES[status.state], description, name: status.context, ...target }),
      insecure: spec.gitlab.insecure === true,
    };
  }
  return { refusal: 'commit statuses are posted to GitHub, GitLab and Gitea only' };
}
