import type { PullRequestGeneratorBitbucketServer } from '../api/application-set.js';
import type { PullRequest } from '../generators/generator.js';
import { bitbucketServerPages, bitbucketServerRestRoot } from './bitbucket-paging.js';
import { numberedItems, textAt } from './provider-answer.js';
import type { ScmHttp } from './scm-gateway.js';

/**
 * Open pull requests of a Bitbucket Server (Data Center) repository, every page read.
 * Bitbucket Server has no pull request labels, so there are none.
 */
export async function listBitbucketServerPulls(
  spec: PullRequestGeneratorBitbucketServer,
  auth: Record<string, string>,
  /** With the server's trust (`insecure`, `caRef`). */
  http: ScmHttp,
): Promise<PullRequest[]> {
  const what = `Bitbucket Server pull requests of ${spec.project}/${spec.repo}`;
  const url = `${bitbucketServerRestRoot(spec.api)}/api/1.0/projects/${encodeURIComponent(spec.project)}/repos/${encodeURIComponent(spec.repo)}/pull-requests`;
  const pulls: PullRequest[] = [];
  for await (const body of bitbucketServerPages(url, auth, what, http)) {
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
  }
  return pulls;
}
