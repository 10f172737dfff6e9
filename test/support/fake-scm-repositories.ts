import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { answerInstallationTokenRequest, jsonAnswer, misbehave, type FakeBehaviour, type JsonAnswer } from './fake-scm.js';

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

/**
 * One HTTP server on 127.0.0.1 answering as GitHub's (/api/v3), GitLab's (/api/v4) and Gitea's
 * (/api/v1) REST APIs answer for listing an organization's repositories, their branches and their
 * files, with each API's own paging (GitHub Link, GitLab x-next-page, Gitea page/limit with a
 * server maximum) and token checks. GitHub and GitLab serve `pageSize` items a page whatever the
 * client asks, so a handful of repositories spans several pages.
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
    if (misbehave(this.behaviour, json)) return;
    if (answerInstallationTokenRequest(req, url, this.appPublicKey, this.token, json)) return;
    const presented = req.headers['private-token'] ?? (req.headers.authorization ?? '').replace(/^(token|Bearer) /, '');
    if (presented !== this.token) return json(401, { message: 'Bad credentials' });
    const segments = url.pathname.split('/').slice(1).map(decodeURIComponent);
    const [api, version] = segments;
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
}
