import { MAX_PAGES, textAt } from './provider-answer.js';
import { getJson, ScmError } from './rate-limit.js';
import type { ScmHttp } from './scm-gateway.js';

/** Argo CD's reading of a Bitbucket Server `api`: the REST root is `<api>/rest` unless `api` already ends there. */
export function bitbucketServerRestRoot(api: string): string {
  if (api.endsWith('/rest/')) return api.slice(0, -1);
  return api.endsWith('/rest') ? api : `${api}/rest`;
}

/** Argo CD's client sends these so that Bitbucket Server's XSRF check never refuses an authenticated call. */
export const BITBUCKET_SERVER_HEADERS = { 'x-atlassian-token': 'no-check', 'x-requested-with': 'XMLHttpRequest' };

/**
 * Every page of a Bitbucket Server listing at `url` (which has no query yet), 100 a page,
 * following `isLastPage`/`nextPageStart`; a next page that does not move forward fails.
 */
export async function* bitbucketServerPages(url: string, headers: Record<string, string>, what: string, http: ScmHttp): AsyncGenerator<unknown> {
  let start: number | undefined;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const query = new URLSearchParams({ limit: '100' });
    if (start !== undefined) query.set('start', String(start));
    const { body } = await getJson(`${url}?${query}`, { ...headers, ...BITBUCKET_SERVER_HEADERS }, what, http);
    yield body;
    const page = body as { isLastPage?: unknown; nextPageStart?: unknown } | null;
    if (page?.isLastPage !== false) return;
    const next = page.nextPageStart;
    if (typeof next !== 'number' || !Number.isSafeInteger(next) || next <= (start ?? 0)) {
      throw new ScmError(`${what}: the answer names no next page after start ${start ?? 0}`);
    }
    start = next;
  }
  throw new ScmError(`${what}: more than ${MAX_PAGES} pages`);
}

/**
 * Every page of a Bitbucket Cloud listing from `url`, following each page's `next` URL only on
 * the origin of `api`: a hostile answer cannot send the credential elsewhere.
 */
export async function* bitbucketCloudPages(api: string, url: string, auth: Record<string, string>, what: string, http: ScmHttp): AsyncGenerator<unknown> {
  let origin: string;
  try {
    origin = new URL(api).origin;
  } catch {
    throw new ScmError(`${what}: api ${JSON.stringify(api)} is not a URL`);
  }
  const seen = new Set<string>();
  let next: string | undefined = url;
  for (let pages = 0; next && pages < MAX_PAGES; pages++) {
    seen.add(next);
    const { body } = await getJson(next, auth, what, http);
    yield body;
    next = nextPage(textAt(body, 'next'), origin, what);
    if (next && seen.has(next)) throw new ScmError(`${what}: the answer names a page already read as the next one`);
  }
  if (next) throw new ScmError(`${what}: more than ${MAX_PAGES} pages`);
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
