import type { PullRequestGeneratorBitbucketServer } from '../api/application-set.js';
import type { PullRequest } from '../generators/generator.js';
import { MAX_PAGES, numberedItems, textAt } from './provider-answer.js';
import { getJson, ScmError } from './rate-limit.js';
import type { ScmHttp } from './scm-gateway.js';

/** Argo CD's reading of `api`: the REST root is `<api>/rest` unless `api` already ends there. */
export function bitbucketServerRestRoot(api: string): string {
  if (api.endsWith('/rest/')) return api.slice(0, -1);
  return api.endsWith('/rest') ? api : `${api}/rest`;
}

/**
 * Open pull requests of a Bitbucket Server (Data Center) repository, 100 a page, following
 * `isLastPage`/`nextPageStart`. Bitbucket Server has no pull request labels, so there are none.
 */
export async function listBitbucketServerPulls(
  spec: PullRequestGeneratorBitbucketServer,
  auth: Record<string, string>,
  /** With the server's trust (`insecure`, `caRef`). */
  http: ScmHttp,
): Promise<PullRequest[]> {
  const what = `Bitbucket Server pull requests of ${spec.project}/${spec.repo}`;
  const base = `${bitbucketServerRestRoot(spec.api)}/api/1.0/projects/${encodeURIComponent(spec.project)}/repos/${encodeURIComponent(spec.repo)}/pull-requests`;
  // Argo CD's client sends these so that Bitbucket's XSRF check never refuses an authenticated call.
  const headers = { ...auth, 'x-atlassian-token': 'no-check', 'x-requested-with': 'XMLHttpRequest' };
  const pulls: PullRequest[] = [];
  let start: number | undefined;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const query = new URLSearchParams({ limit: '100' });
    if (start !== undefined) query.set('start', String(start));
    const { body } = await getJson(`${base}?${query}`, headers, what, http);
    for (const { pull, number } of numberedItems(body, 'values', 'id', what)) {
      pulls.push({
        number,
        title: textAt(pull, 'title'),
        branch: textAt(pull, 'fromRef', 'displayId'),
        targetBranch: textAt(pull, 'toRef', 'displayId'),
        // Not in Bitbucket's documented schema, but what the server sends and Argo CD reads.
        headSha: textAt(pull, 'fromRef', 'latestCommit'),
        labels: [],
        author: textAt(pull, 'author', 'user', 'name'),
      });
    }
    const page = body as { isLastPage?: unknown; nextPageStart?: unknown };
    if (page.isLastPage !== false) return pulls;
    const next = page.nextPageStart;
    // A next page that does not move forward would page forever.
    if (typeof next !== 'number' || !Number.isSafeInteger(next) || next <= (start ?? 0)) {
      throw new ScmError(`${what}: the answer names no next page after start ${start ?? 0}`);
    }
    start = next;
  }
  throw new ScmError(`${what}: more than ${MAX_PAGES} pages`);
}
