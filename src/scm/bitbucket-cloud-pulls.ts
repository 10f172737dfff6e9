import type { PullRequestGeneratorBitbucket } from '../api/application-set.js';
import type { PullRequest } from '../generators/generator.js';
import { MAX_PAGES, numberedItems, textAt } from './provider-answer.js';
import { getJson, ScmError } from './rate-limit.js';
import type { ScmHttp } from './scm-gateway.js';

const BITBUCKET_CLOUD_API = 'https://api.bitbucket.org/2.0';

/**
 * Open pull requests of a Bitbucket Cloud repository, following each page's `next` URL. `next`
 * is followed only on the origin of `api`: a hostile answer cannot send the credential elsewhere.
 * Bitbucket Cloud has no pull request labels, so there are none.
 */
export async function listBitbucketCloudPulls(spec: PullRequestGeneratorBitbucket, auth: Record<string, string>, http: ScmHttp): Promise<PullRequest[]> {
  const what = `Bitbucket Cloud pull requests of ${spec.owner}/${spec.repo}`;
  const api = (spec.api || BITBUCKET_CLOUD_API).replace(/\/+$/, '');
  let origin: string;
  try {
    origin = new URL(api).origin;
  } catch {
    throw new ScmError(`${what}: api ${JSON.stringify(api)} is not a URL`);
  }
  const pulls: PullRequest[] = [];
  let url: string | undefined = `${api}/repositories/${encodeURIComponent(spec.owner)}/${encodeURIComponent(spec.repo)}/pullrequests?pagelen=50`;
  const seen = new Set<string>();
  for (let pages = 0; url && pages < MAX_PAGES; pages++) {
    seen.add(url);
    const { body } = await getJson(url, auth, what, http);
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
    url = nextPage(textAt(body, 'next'), origin, what);
    if (url && seen.has(url)) throw new ScmError(`${what}: the answer names a page already read as the next one`);
  }
  if (url) throw new ScmError(`${what}: more than ${MAX_PAGES} pages`);
  return pulls;
}

function nextPage(next: string, origin: string, what: string): string | undefined {
  if (!next) return undefined;
  let url: URL;
  try {
    url = new URL(next);
  } catch {
    throw new ScmError(`${what}: the next page is not a URL`);
  }
  // Named without the URL itself: the origin is the part a reader needs, and the rest is the provider's.
  if (url.origin !== origin) throw new ScmError(`${what}: the next page is on ${url.origin}, not on the API's origin ${origin}; not followed`);
  return url.href;
}
