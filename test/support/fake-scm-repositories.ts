import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import {
  answerInstallationTokenRequest,
  githubRateLimitAnswer,
  jsonAnswer,
  misbehave,
  type FakeBehaviour,
  type JsonAnswer,
  type RateLimitAnswer,
} from './fake-scm.js';

export interface FakeRepository {
  name: string;
  id: number;
  defaultBranch: string;
  /** Branch name → head SHA; an empty repository has none. */
  branches: Record<string, string>;
  /** Files of every branch (their directories exist too). */
  files?: string[];
  /** Files of single branches, on top of `files`. */
  branchFiles?: Record<string, string[]>;
  topics?: string[];
  archived?: boolean;
}

/** The name a fake's clone URLs carry, so tests can tell ssh from https. */
export const FAKE_SCM_HOST = 'scm.example.com';

/** The only user Basic auth is accepted for on Bitbucket Cloud (Bitbucket Server takes any user; Azure DevOps an empty one). */
export const FAKE_BITBUCKET_USER = 'regatta-bot';

const epochIn = (seconds: number) => String(Math.ceil(Date.now() / 1000) + seconds);

/**
 * Each API's rate-limit answer as its documentation describes it: GitLab's 429 with RateLimit-*
 * and Retry-After, Bitbucket Data Center's 429 with Retry-After and X-RateLimit-*, Bitbucket
 * Cloud's bare 429, Azure DevOps' 429 with Retry-After and X-RateLimit-*; GitHub's and Gitea's 403
 * with X-RateLimit-Remaining 0 and the reset.
 */
function rateLimitAnswerFor(pathname: string): RateLimitAnswer {
  if (pathname.startsWith('/api/v4/'))
    return (json, wait) =>
      json(
        429,
        { message: 'Retry later' },
        { 'retry-after': String(wait), 'ratelimit-limit': '2000', 'ratelimit-remaining': '0', 'ratelimit-reset': epochIn(wait) },
      );
  if (pathname.startsWith('/rest/api/'))
    return (json, wait) =>
      json(
        429,
        { errors: [{ message: 'Too many requests' }] },
        { 'retry-after': String(wait), 'x-ratelimit-limit': '60', 'x-ratelimit-interval-seconds': '1', 'x-ratelimit-fillrate': '5' },
      );
  if (pathname.startsWith('/2.0/')) return (json) => json(429, { type: 'error', error: { message: 'Rate limit for this resource has been exceeded' } });
  if (pathname.split('/')[3] === '_apis')
    return (json, wait) =>
      json(
        429,
        { message: 'Request was blocked due to exceeding usage of resource' },
        { 'retry-after': String(wait), 'x-ratelimit-resource': 'ATCPU', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': epochIn(wait) },
      );
  return githubRateLimitAnswer;
}

/** The id Azure DevOps gives a fake repository. */
export const azureRepositoryId = (id: number) => `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`;

/**
 * One HTTP server on 127.0.0.1 answering as GitHub's (/api/v3), GitLab's (/api/v4), Gitea's
 * (/api/v1), Bitbucket Server's (/rest/api/1.0), Bitbucket Cloud's (/2.0) and Azure DevOps'
 * (/<organization>/<project>/_apis) REST APIs answer for listing an organization's repositories,
 * their branches and their files, with each API's own paging (GitHub Link, GitLab x-next-page,
 * Gitea page/limit with a server maximum, Bitbucket Server start/isLastPage/nextPageStart,
 * Bitbucket Cloud `next` URLs, Azure DevOps x-ms-continuationtoken) and credential checks.
 * GitHub, GitLab and both Bitbuckets serve `pageSize` items a page whatever the client asks, so a
 * handful of repositories spans several pages.
 */
export class FakeScmRepositories {
  readonly requests: string[] = [];
  /**
   * GitHub's primary rate limit: every answer but a 304 to a conditional request spends one;
   * with none left, GitHub answers 403 until the window resets.
   */
  readonly githubRateLimit = { limit: 5000, used: 0, resetAt: Math.ceil(Date.now() / 1000) + 3600 };
  /** GitHub answers 304 to this many conditional requests. */
  notModified = 0;
  behaviour: FakeBehaviour = {};
  /** A GitHub App's public key: the fake's token is also issued as an installation token for JWTs it verifies. */
  appPublicKey?: string;
  /** Where Bitbucket Cloud's `next` links point instead of this server (a hostile answer). */
  bitbucketNextOrigin?: string;
  private constructor(
    private readonly server: Server,
    readonly base: string,
    private readonly organizations: Record<string, FakeRepository[]>,
    private readonly token: string,
    private readonly pageSize: number,
  ) {}

  /** With `tls`, serves HTTPS with that key and certificate (one no client trusts by default). */
  static async start(
    organizations: Record<string, FakeRepository[]>,
    token: string,
    tls?: { keyPem: string; certPem: string },
    pageSize = 2,
  ): Promise<FakeScmRepositories> {
    const holder: { fake?: FakeScmRepositories } = {};
    const handler = (req: IncomingMessage, res: ServerResponse) => holder.fake!.handle(req, res);
    const server = tls ? createTlsServer({ key: tls.keyPem, cert: tls.certPem }, handler) : createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    holder.fake = new FakeScmRepositories(server, `${tls ? 'https' : 'http'}://127.0.0.1:${port}`, organizations, token, pageSize);
    return holder.fake;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.base);
    this.requests.push(url.pathname + url.search);
    const json = jsonAnswer(res);
    if (misbehave(this.behaviour, json, rateLimitAnswerFor(url.pathname))) return;
    if (answerInstallationTokenRequest(req, url, this.appPublicKey, this.token, json)) return;
    const authorization = req.headers.authorization ?? '';
    const basic = authorization.startsWith('Basic ') ? Buffer.from(authorization.slice(6), 'base64').toString('utf8') : undefined;
    const user = basic?.slice(0, basic.indexOf(':'));
    const presented =
      req.headers['private-token'] ?? (basic !== undefined ? basic.slice(basic.indexOf(':') + 1) : authorization.replace(/^(token|Bearer) /, ''));
    if (presented !== this.token) return json(401, { message: 'Bad credentials' });
    const segments = url.pathname.split('/').slice(1).map(decodeURIComponent);
    const [api, version] = segments;
    if (api === 'rest' && version === 'api') return this.bitbucketServer(url, segments.slice(3), json, res);
    if (api === '2.0') return user === FAKE_BITBUCKET_USER ? this.bitbucketCloud(url, segments.slice(1), json) : json(401, { type: 'error' });
    if (segments[2] === '_apis') return user === '' ? this.azureDevOps(url, segments, json) : json(401, { message: 'Unauthorized' });
    if (api !== 'api') return json(404, { message: 'Not Found' });
    const rest = segments.slice(2);
    if (version === 'v3') return this.github(url, rest, this.githubAnswer(req, res));
    if (version === 'v4') return this.gitlab(url, rest, json);
    if (version === 'v1') return this.gitea(url, rest, json);
    json(404, { message: 'Not Found' });
  }

  /** GitHub's answers: an ETag on each 200, 304 when If-None-Match names it, and the X-RateLimit headers. */
  private githubAnswer(req: IncomingMessage, res: ServerResponse): JsonAnswer {
    const limit = this.githubRateLimit;
    const rateHeaders = () => ({
      'x-ratelimit-limit': String(limit.limit),
      'x-ratelimit-remaining': String(Math.max(0, limit.limit - limit.used)),
      'x-ratelimit-used': String(limit.used),
      'x-ratelimit-reset': String(limit.resetAt),
      'x-ratelimit-resource': 'core',
    });
    return (status, body, headers = {}) => {
      const text = JSON.stringify(body);
      const etag = `"${createHash('sha1').update(text).digest('hex')}"`;
      if (status === 200 && req.headers['if-none-match'] === etag) {
        this.notModified++;
        res.writeHead(304, { etag, ...headers, ...rateHeaders() });
        return res.end();
      }
      if (limit.used >= limit.limit) return jsonAnswer(res)(403, { message: 'API rate limit exceeded' }, rateHeaders());
      limit.used++;
      jsonAnswer(res)(status, body, { ...(status === 200 ? { etag, 'cache-control': 'private, max-age=60, s-maxage=60' } : {}), ...headers, ...rateHeaders() });
    };
  }

  private repo(org: string, name: string): FakeRepository | undefined {
    return this.organizations[org]?.find((r) => r.name === name);
  }

  private pathExists(repo: FakeRepository, branch: string, path: string): { file: boolean; directory: boolean } {
    const files = [...(repo.files ?? []), ...(repo.branchFiles?.[branch] ?? [])];
    return { file: files.includes(path), directory: files.some((f) => f.startsWith(`${path}/`)) };
  }

  private page<T>(items: T[], url: URL, size: number): { items: T[]; next?: number } {
    const page = Number(url.searchParams.get('page') || '1');
    const last = Math.max(1, Math.ceil(items.length / size));
    return { items: items.slice((page - 1) * size, page * size), next: page < last ? page + 1 : undefined };
  }

  private github(url: URL, path: string[], json: JsonAnswer): void {
    const linked = <T>(items: T[]) => {
      const { items: slice, next } = this.page(items, url, this.pageSize);
      const headers: Record<string, string> = {};
      if (next) {
        const link = new URL(url);
        link.searchParams.set('page', String(next));
        headers.link = `<${link.href}>; rel="next"`;
      }
      json(200, slice, headers);
    };
    if (path[0] === 'orgs' && path[2] === 'repos' && path.length === 3) {
      const repos = this.organizations[path[1]];
      if (!repos) return json(404, { message: 'Not Found' });
      return linked(
        repos.map((r) => ({
          id: r.id,
          name: r.name,
          owner: { login: path[1] },
          default_branch: r.defaultBranch,
          ssh_url: `git@${FAKE_SCM_HOST}:${path[1]}/${r.name}.git`,
          clone_url: `https://${FAKE_SCM_HOST}/${path[1]}/${r.name}.git`,
          archived: r.archived === true,
          topics: r.topics ?? [],
        })),
      );
    }
    const repo = path[0] === 'repos' ? this.repo(path[1], path[2]) : undefined;
    if (!repo) return json(404, { message: 'Not Found' });
    const branchJson = (name: string) => ({ name, commit: { sha: repo.branches[name] } });
    if (path[3] === 'branches' && path.length === 4) return linked(Object.keys(repo.branches).map(branchJson));
    if (path[3] === 'branches' && path.length === 5)
      return repo.branches[path[4]] ? json(200, branchJson(path[4])) : json(404, { message: 'Branch not found' });
    if (path[3] === 'contents') {
      const found = this.pathExists(repo, url.searchParams.get('ref') ?? repo.defaultBranch, path.slice(4).join('/'));
      return found.file || found.directory ? json(200, found.file ? { type: 'file' } : []) : json(404, { message: 'Not Found' });
    }
    json(404, { message: 'Not Found' });
  }

  private gitlab(url: URL, path: string[], json: JsonAnswer): void {
    const paged = <T>(items: T[]) => {
      const { items: slice, next } = this.page(items, url, this.pageSize);
      json(200, slice, { 'x-next-page': next ? String(next) : '' });
    };
    const everyRepo = Object.entries(this.organizations).flatMap(([org, repos]) => repos.map((repo) => ({ org, repo })));
    if (path[0] === 'groups' && path[2] === 'projects') {
      const repos = this.organizations[path[1]];
      if (!repos) return json(404, { message: '404 Group Not Found' });
      // GitLab's `archived` limits the listing to (non-)archived projects; absent, it lists both.
      const archived = url.searchParams.get('archived');
      const topic = url.searchParams.get('topic');
      return paged(
        repos
          .filter((r) => archived === null || String(r.archived === true) === archived)
          .filter((r) => !topic || (r.topics ?? []).includes(topic))
          .map((r) => ({
            id: r.id,
            path: r.name,
            default_branch: r.defaultBranch,
            ssh_url_to_repo: `git@${FAKE_SCM_HOST}:${path[1]}/${r.name}.git`,
            http_url_to_repo: `https://${FAKE_SCM_HOST}/${path[1]}/${r.name}.git`,
            topics: r.topics ?? [],
            namespace: { full_path: path[1] },
          })),
      );
    }
    if (path[0] !== 'projects') return json(404, { message: '404 Not Found' });
    const byId = everyRepo.find(({ org, repo }) => String(repo.id) === path[1] || `${org}/${repo.name}` === path[1]);
    if (!byId) return json(404, { message: '404 Project Not Found' });
    const { repo } = byId;
    if (path.length === 2) return json(200, { id: repo.id });
    const branchJson = (name: string) => ({ name, commit: { id: repo.branches[name] } });
    if (path[3] === 'branches' && path.length === 4) return paged(Object.keys(repo.branches).map(branchJson));
    if (path[3] === 'branches' && path.length === 5)
      return repo.branches[path[4]] ? json(200, branchJson(path[4])) : json(404, { message: '404 Branch Not Found' });
    const ref = url.searchParams.get('ref') ?? repo.defaultBranch;
    if (path[3] === 'files') return this.pathExists(repo, ref, path[4]).file ? json(200, { file_path: path[4] }) : json(404, { message: '404 File Not Found' });
    if (path[3] === 'tree') {
      return this.pathExists(repo, ref, url.searchParams.get('path') ?? '').directory ? json(200, []) : json(404, { message: '404 Tree Not Found' });
    }
    json(404, { message: '404 Not Found' });
  }

  private gitea(url: URL, path: string[], json: JsonAnswer): void {
    // Gitea caps `limit` at its MAX_RESPONSE_ITEMS (50 by default).
    const limited = <T>(items: T[]) => json(200, this.page(items, url, Math.min(50, Number(url.searchParams.get('limit') || '30'))).items);
    if (path[0] === 'orgs' && path[2] === 'repos') {
      const repos = this.organizations[path[1]];
      if (!repos) return json(404, { message: 'GetOrgByName', errors: null });
      return limited(
        repos.map((r) => ({
          id: r.id,
          name: r.name,
          default_branch: r.defaultBranch,
          ssh_url: `git@${FAKE_SCM_HOST}:${path[1]}/${r.name}.git`,
          html_url: `https://${FAKE_SCM_HOST}/${path[1]}/${r.name}`,
          archived: r.archived === true,
        })),
      );
    }
    const repo = path[0] === 'repos' ? this.repo(path[1], path[2]) : undefined;
    if (!repo) return json(404, { message: 'Not Found' });
    if (path[3] === 'labels') return limited((repo.topics ?? []).map((name, i) => ({ id: i + 1, name })));
    const branchJson = (name: string) => ({ name, commit: { id: repo.branches[name] } });
    if (path[3] === 'branches' && path.length === 4) return limited(Object.keys(repo.branches).map(branchJson));
    if (path[3] === 'branches' && path.length === 5)
      return repo.branches[path[4]] ? json(200, branchJson(path[4])) : json(404, { message: 'branch not found' });
    if (path[3] === 'contents') {
      const found = this.pathExists(repo, url.searchParams.get('ref') ?? repo.defaultBranch, path.slice(4).join('/'));
      return found.file || found.directory ? json(200, found.file ? { type: 'file' } : []) : json(404, { message: 'Not Found' });
    }
    json(404, { message: 'Not Found' });
  }

  /** Bitbucket Server's pages: `start`/`limit`, at most `pageSize` a page, `nextPageStart` until `isLastPage`. */
  private startLimited<T>(items: T[], url: URL, json: JsonAnswer): void {
    const start = Number(url.searchParams.get('start') || '0');
    const limit = Math.min(this.pageSize, Number(url.searchParams.get('limit') || '25'));
    const values = items.slice(start, start + limit);
    const isLastPage = start + limit >= items.length;
    json(200, { size: values.length, limit, start, isLastPage, values, ...(isLastPage ? {} : { nextPageStart: start + limit }) });
  }

  private bitbucketServer(url: URL, path: string[], json: JsonAnswer, res: ServerResponse): void {
    // path: projects/<key>/repos[/<name>/(branches[/default]|browse/<path…>)]
    const repos = path[0] === 'projects' && path[2] === 'repos' ? this.organizations[path[1]] : undefined;
    if (!repos) return json(404, { errors: [{ message: `Project ${path[1]} does not exist.` }] });
    if (path.length === 3) {
      return this.startLimited(
        repos.map((r) => ({
          id: r.id,
          slug: r.name.toLowerCase(),
          name: r.name,
          project: { key: path[1] },
          links: {
            clone: [
              { href: `ssh://git@${FAKE_SCM_HOST}:7999/${path[1].toLowerCase()}/${r.name}.git`, name: 'ssh' },
              { href: `https://${FAKE_SCM_HOST}/scm/${path[1].toLowerCase()}/${r.name}.git`, name: 'http' },
            ],
          },
        })),
        url,
        json,
      );
    }
    const repo = this.repo(path[1], path[3]);
    if (!repo) return json(404, { errors: [{ message: `Repository ${path[1]}/${path[3]} does not exist.` }] });
    const branchJson = (name: string) => ({
      id: `refs/heads/${name}`,
      displayId: name,
      latestCommit: repo.branches[name],
      isDefault: name === repo.defaultBranch,
    });
    if (path[4] === 'branches' && path[5] === 'default') {
      if (Object.keys(repo.branches).length === 0) {
        res.writeHead(204);
        return void res.end();
      }
      return repo.branches[repo.defaultBranch] ? json(200, branchJson(repo.defaultBranch)) : json(404, { errors: [{ message: 'No default branch' }] });
    }
    if (path[4] === 'branches' && path.length === 5) return this.startLimited(Object.keys(repo.branches).map(branchJson), url, json);
    if (path[4] === 'browse') {
      const found = this.pathExists(repo, url.searchParams.get('at') ?? repo.defaultBranch, path.slice(5).join('/'));
      return found.file || found.directory ? json(200, { path: { toString: path.slice(5).join('/') } }) : json(404, { errors: [{ message: 'Not found' }] });
    }
    json(404, { errors: [{ message: 'Not found' }] });
  }

  private bitbucketCloud(url: URL, path: string[], json: JsonAnswer): void {
    const paged = <T>(items: T[]) => {
      const { items: values, next } = this.page(items, url, this.pageSize);
      const link = new URL(url.pathname + url.search, this.bitbucketNextOrigin ?? this.base);
      link.searchParams.set('page', String(next));
      json(200, { pagelen: this.pageSize, values, ...(next ? { next: link.href } : {}) });
    };
    // path: repositories/<workspace>[/<slug>/(refs/branches[/<name>]|src/<sha>/<path…>)]
    const repos = path[0] === 'repositories' ? this.organizations[path[1]] : undefined;
    if (!repos) return json(404, { type: 'error', error: { message: 'Not found' } });
    if (path.length === 2) {
      if (url.searchParams.get('role') !== 'member') return json(400, { type: 'error' });
      return paged(
        repos.map((r) => ({
          slug: r.name,
          uuid: `{${azureRepositoryId(r.id)}}`,
          mainbranch: Object.keys(r.branches).length ? { name: r.defaultBranch, type: 'branch' } : null,
          links: {
            clone: [
              { name: 'https', href: `https://${FAKE_BITBUCKET_USER}@${FAKE_SCM_HOST}/${path[1]}/${r.name}.git` },
              { name: 'ssh', href: `git@${FAKE_SCM_HOST}:${path[1]}/${r.name}.git` },
            ],
          },
        })),
      );
    }
    const repo = this.repo(path[1], path[2]);
    if (!repo) return json(404, { type: 'error', error: { message: 'Repository not found' } });
    const branchJson = (name: string) => ({ name, type: 'branch', target: { hash: repo.branches[name], type: 'commit' } });
    if (path[3] === 'refs' && path[4] === 'branches' && path.length === 5) return paged(Object.keys(repo.branches).map(branchJson));
    if (path[3] === 'refs' && path[4] === 'branches' && path.length === 6) {
      return repo.branches[path[5]] ? json(200, branchJson(path[5])) : json(404, { type: 'error', error: { message: 'Branch not found' } });
    }
    if (path[3] === 'src' && url.searchParams.get('format') === 'meta') {
      const branch = Object.keys(repo.branches).find((name) => repo.branches[name] === path[4]);
      const found = branch ? this.pathExists(repo, branch, path.slice(5).join('/')) : { file: false, directory: false };
      return found.file || found.directory
        ? json(200, { path: path.slice(5).join('/'), type: found.file ? 'commit_file' : 'commit_directory' })
        : json(404, { type: 'error' });
    }
    json(404, { type: 'error', error: { message: 'Not found' } });
  }

  private azureDevOps(url: URL, path: string[], json: JsonAnswer): void {
    const notFound = (typeKey: string, message: string) => json(404, { $id: '1', innerException: null, message, typeKey, errorCode: 0, eventId: 3000 });
    // path: <organization>/<project>/_apis/git/repositories[/<name or id>/(stats/branches|items)]
    const repos = this.organizations[path[1]];
    if (!repos || path[3] !== 'git' || path[4] !== 'repositories')
      return notFound('ProjectDoesNotExistWithNameException', `TF200016: The following project does not exist: ${path[1]}.`);
    if (!url.searchParams.get('api-version')) return json(400, { message: 'No api-version was supplied' });
    if (path.length === 5) {
      const value = repos.map((r) => ({
        id: azureRepositoryId(r.id),
        name: r.name,
        remoteUrl: `https://${path[0]}@dev.azure.com/${path[0]}/${path[1]}/_git/${r.name}`,
        ...(Object.keys(r.branches).length ? { defaultBranch: `refs/heads/${r.defaultBranch}` } : {}),
      }));
      return json(200, { value, count: value.length });
    }
    const repo = repos.find((r) => r.name === path[5] || azureRepositoryId(r.id) === path[5]);
    if (!repo) return notFound('GitRepositoryNotFoundException', `TF401019: The Git repository with name or identifier ${path[5]} does not exist.`);
    const branchJson = (name: string) => ({ name, commit: { commitId: repo.branches[name] }, aheadCount: 0, behindCount: 0 });
    if (path[6] === 'stats' && path[7] === 'branches') {
      const name = url.searchParams.get('name');
      if (name !== null) {
        return repo.branches[name]
          ? json(200, branchJson(name))
          : notFound('GitUnresolvableToCommitException', `TF401175: The version descriptor <Branch: ${name}> could not be resolved.`);
      }
      // Pages of `pageSize` branches, each but the last naming the next by its continuation token.
      const start = Number(url.searchParams.get('continuationToken') || '0');
      const names = Object.keys(repo.branches);
      const next: Record<string, string> = start + this.pageSize < names.length ? { 'x-ms-continuationtoken': String(start + this.pageSize) } : {};
      const value = names.slice(start, start + this.pageSize).map(branchJson);
      return json(200, { value, count: value.length }, next);
    }
    if (path[6] === 'items') {
      const found = this.pathExists(repo, url.searchParams.get('versionDescriptor.version') ?? repo.defaultBranch, url.searchParams.get('path') ?? '');
      return found.file || found.directory
        ? json(200, { path: url.searchParams.get('path') })
        : notFound('GitItemNotFoundException', 'TF401174: The item could not be found.');
    }
    json(404, { message: 'Not found' });
  }
}
