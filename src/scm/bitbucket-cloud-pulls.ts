import type { PullRequestGeneratorBitbucket } from '../api/application-set.js';
import type { PullRequest } from '../generators/generator.js';
import { bitbucketCloudPages } from './bitbucket-paging.js';
import { numberedItems, textAt } from './provider-answer.js';
import type { ScmHttp } from './scm-gateway.js';

export const BITBUCKET_CLOUD_API = 'https://api.bitbucket.org/2.0';

/**
 * Open pull requests of a Bitbucket Cloud repository, every page read.
 * Bitbucket Cloud has no pull request labels, so there are none.
 */
export async function listBitbucketCloudPulls(spec: PullRequestGeneratorBitbucket, auth: Record<string, string>, http: ScmHttp): Promise<PullRequest[]> {
  const what = `Bitbucket Cloud pull requests of ${spec.owner}/${spec.repo}`;
  const api = (spec.api || BITBUCKET_CLOUD_API).replace(/\/+$/, '');
  const url = `${api}/repositories/${encodeURIComponent(spec.owner)}/${encodeURIComponent(spec.repo)}/pullrequests?pagelen=50`;
  const pulls: PullRequest[] = [];
  for await (const body of bitbucketCloudPages(api, url, auth, what, http)) {
    for (const { pull, number } of numberedItems(body, 'values', 'id', what)) {
      pulls.push({
        number,
        title: textAt(pull, 'title'),
        branch: textAt(pull, 'source', 'branch', 'name'),
        targetBranch: textAt(pull, 'destination', 'branch', 'name'),
        headSha: textAt(pull, 'source', 'commit', 'hash'),
        labels: [],
        author: textAt(pull, 'author', 'nickname'),
      });
    }
  }
  return pulls;
}
