import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { FakePull } from './fake-scm.js';

/** A pull request of the fakes; Azure DevOps lists a whole project, so each also names its repository. */
export interface ProviderPull extends FakePull {
  repo: string;
}

export interface ProviderBehaviour {
  /** Answer this many requests with 429 and `Retry-After: retryAfterSeconds` first. */
  rateLimited?: number;
  retryAfterSeconds?: number;
  /** Answer this many requests with 503 first. */
  serverErrors?: number;
  /** Bitbucket Cloud: `next` links point at this origin instead of the fake's own. */
  nextOrigin?: string;
  /**
   * A broken or hostile provider: `huge` answers 9 MiB, `notAPage` a JSON object without the list,
   * `stuck` a page that is never the last one and always names itself as the next (both Bitbucket APIs).
   */
  hostile?: 'huge' | 'notAPage' | 'stuck';
}

/**
 * One HTTP server on 127.0.0.1 answering as Bitbucket Server's (1.0), Bitbucket Cloud's (2.0)
 * and Azure DevOps' REST APIs answer for listing pull requests, with each API's own paging and
 * 401 for any credentials but the accepted ones. Known coordinates: Bitbucket Server project
 * PROJ, Bitbucket Cloud workspace `myworkspace`, Azure DevOps `myorg`/`myproject`; anything else
 * is 404. Bitbucket pages hold at most `pageSize` pull requests, as a server's page limit does.
 */
export class FakePullRequestProviders {
  readonly requests: { url: string; authorization?: string }[] = [];
  behaviour: ProviderBehaviour = {};
  private constructor(
    private readonly server: Server,
    readonly base: string,
    private readonly pulls: ProviderPull[],
    private readonly acceptedAuthorizations: string[],
    private readonly pageSize: number,
  ) {}

  /** With `tls`, serves HTTPS with that key and certificate. */
  static async start(
    pulls: ProviderPull[],
    acceptedAuthorizations: string[],
    tls?: { keyPem: string; certPem: string },
    pageSize = 2,
  ): Promise<FakePullRequestProviders> {
    const holder: { fake?: FakePullRequestProviders } = {};
    const handler = (req: IncomingMessage, res: ServerResponse) => holder.fake!.handle(req, res);
    const server = tls ? createTlsServer({ key: tls.keyPem, cert: tls.certPem }, handler) : createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    holder.fake = new FakePullRequestProviders(server, `${tls ? 'https' : 'http'}://127.0.0.1:${port}`, pulls, acceptedAuthorizations, pageSize);
    return holder.fake;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.base);
    const authorization = req.headers.authorization;
    this.requests.push({ url: url.pathname + url.search, authorization });
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (this.behaviour.rateLimited) {
      this.behaviour.rateLimited--;
      return json(429, { message: 'Too Many Requests' }, { 'retry-after': String(this.behaviour.retryAfterSeconds ?? 1) });
    }
    if (this.behaviour.serverErrors) {
      this.behaviour.serverErrors--;
      return json(503, { message: 'Service Unavailable' });
    }
    // Every repository here is private.
    if (!authorization || !this.acceptedAuthorizations.includes(authorization)) return json(401, { message: 'Unauthorized' });

    if (this.behaviour.hostile === 'huge') return json(200, { values: [], padding: 'x'.repeat(9 * 1024 * 1024) });
    if (this.behaviour.hostile === 'notAPage') return json(200, { message: 'all good' });
    if (this.behaviour.hostile === 'stuck') {
      return json(200, { values: [], isLastPage: false, nextPageStart: Number(url.searchParams.get('start') ?? '0'), next: url.href });
    }

    const server = /^\/rest\/api\/1\.0\/projects\/([^/]+)\/repos\/([^/]+)\/pull-requests$/.exec(url.pathname);
    if (server) return this.bitbucketServer(decodeURIComponent(server[1]), decodeURIComponent(server[2]), url, json);
    const cloud = /^\/2\.0\/repositories\/([^/]+)\/([^/]+)\/pullrequests$/.exec(url.pathname);
    if (cloud) return this.bitbucketCloud(decodeURIComponent(cloud[1]), decodeURIComponent(cloud[2]), url, json);
    const azure = /^\/([^/]+)\/([^/]+)\/_apis\/git\/pullrequests$/.exec(url.pathname);
    if (azure) return this.azureDevOps(decodeURIComponent(azure[1]), decodeURIComponent(azure[2]), url, json);
    json(404, { message: 'Not Found' });
  }

  private ofRepo(repo: string): ProviderPull[] {
    return this.pulls.filter((p) => p.repo === repo);
  }

  private bitbucketServer(project: string, repo: string, url: URL, json: (status: number, body: unknown) => void): void {
    const pulls = this.ofRepo(repo);
    if (project !== 'PROJ' || pulls.length === 0) {
      return json(404, { errors: [{ context: null, message: `Repository ${project}/${repo} does not exist.`, exceptionName: 'NoSuchRepositoryException' }] });
    }
    const start = Number(url.searchParams.get('start') ?? '0');
    const limit = Math.min(Number(url.searchParams.get('limit') ?? '25'), this.pageSize);
    const values = pulls.slice(start, start + limit).map((p) => ({
      id: p.number,
      title: p.title,
      state: 'OPEN',
      fromRef: { id: `refs/heads/${p.branch}`, displayId: p.branch, latestCommit: p.sha },
      toRef: { id: `refs/heads/${p.target}`, displayId: p.target, latestCommit: '0'.repeat(40) },
      author: { user: { name: p.author, displayName: p.author.toUpperCase() }, role: 'AUTHOR' },
    }));
    const isLastPage = start + limit >= pulls.length;
    json(200, { size: values.length, limit, isLastPage, values, start, ...(isLastPage ? {} : { nextPageStart: start + limit }) });
  }

  private bitbucketCloud(workspace: string, repo: string, url: URL, json: (status: number, body: unknown) => void): void {
    const pulls = this.ofRepo(repo);
    if (workspace !== 'myworkspace' || pulls.length === 0) return json(404, { type: 'error', error: { message: 'Repository not found' } });
    const page = Number(url.searchParams.get('page') ?? '1');
    const pagelen = Math.min(Number(url.searchParams.get('pagelen') ?? '10'), this.pageSize);
    const values = pulls.slice((page - 1) * pagelen, page * pagelen).map((p) => ({
      id: p.number,
      title: p.title,
      state: 'OPEN',
      source: { branch: { name: p.branch }, commit: { hash: p.sha.slice(0, 12) } },
      destination: { branch: { name: p.target }, commit: { hash: '0'.repeat(12) } },
      author: { display_name: p.author.toUpperCase(), nickname: p.author },
    }));
    const next = new URL(url.pathname, this.behaviour.nextOrigin ?? this.base);
    next.searchParams.set('pagelen', String(pagelen));
    next.searchParams.set('page', String(page + 1));
    const more = page * pagelen < pulls.length;
    json(200, { pagelen, size: pulls.length, page, values, ...(more ? { next: next.href } : {}) });
  }

  private azureDevOps(organization: string, project: string, url: URL, json: (status: number, body: unknown) => void): void {
    if (!url.searchParams.get('api-version')) return json(400, { message: 'No api-version was supplied for the GET request.' });
    if (organization !== 'myorg') return json(404, { message: `organization ${organization} not found` });
    if (project !== 'myproject') {
      return json(404, { message: `TF200016: The following project does not exist: ${project}. Verify that the name of the project is correct.` });
    }
    const skip = Number(url.searchParams.get('$skip') ?? '0');
    const top = Number(url.searchParams.get('$top') ?? '101');
    const value = this.pulls.slice(skip, skip + top).map((p) => ({
      pullRequestId: p.number,
      title: p.title,
      status: 'active',
      sourceRefName: `refs/heads/${p.branch}`,
      targetRefName: `refs/heads/${p.target}`,
      lastMergeSourceCommit: { commitId: p.sha },
      repository: { name: p.repo, project: { name: project } },
      createdBy: { displayName: p.author, uniqueName: `${p.author}@example.com` },
      labels: p.labels.map((name) => ({ name, active: true })),
    }));
    json(200, { value, count: value.length });
  }
}
