import { createVerify, generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Secret } from '../../src/api/meta.js';
import { ManifestSecretReader } from '../../src/cli/manifest-secrets.js';

export interface FakePull {
  number: number;
  title: string;
  branch: string;
  target: string;
  sha: string;
  labels: string[];
  author: string;
}

/** What the fake should do on the next requests. */
/** A pull request as GitHub's API answers it; Gitea answers in the same shape. */
const githubShaped = (p: FakePull) => ({
  number: p.number,
  title: p.title,
  head: { ref: p.branch, sha: p.sha },
  base: { ref: p.target },
  labels: p.labels.map((name) => ({ name })),
  user: { login: p.author },
});

export type JsonAnswer = (status: number, body: unknown, headers?: Record<string, string>) => void;

export const jsonAnswer =
  (res: ServerResponse): JsonAnswer =>
  (status, body, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

/** How a provider says it is rate limiting, `resetInSeconds` from now. */
export type RateLimitAnswer = (json: JsonAnswer, resetInSeconds: number) => void;

/** GitHub's (and the default): 403 with X-RateLimit-Remaining 0 and the reset as epoch seconds. */
export const githubRateLimitAnswer: RateLimitAnswer = (json, resetInSeconds) =>
  json(
    403,
    { message: 'API rate limit exceeded' },
    { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + resetInSeconds) },
  );

/** Answers as the behaviour asks (rate limited, unavailable, server error), and says whether it did. */
export function misbehave(behaviour: FakeBehaviour, json: JsonAnswer, rateLimitAnswer: RateLimitAnswer = githubRateLimitAnswer): boolean {
  if (behaviour.rateLimited) {
    behaviour.rateLimited--;
    rateLimitAnswer(json, behaviour.resetInSeconds ?? 1);
    return true;
  }
  if (behaviour.unavailable) {
    behaviour.unavailable--;
    json(503, { message: 'Service Unavailable' });
    return true;
  }
  if (behaviour.hang) return true;
  if (behaviour.oversized) {
    json(200, ['x'.repeat(9 * 1024 * 1024)]);
    return true;
  }
  if (behaviour.serverError) {
    json(500, { message: 'Internal Server Error' });
    return true;
  }
  return false;
}

/** A new GitHub App (installation 678): its public key for a fake, and the Secret holding its credentials as Argo CD names them. */
export function githubApp(secretName: string): { publicKey: string; secret: Secret } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    secret: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secretName, namespace: 'argocd' },
      stringData: { githubAppID: '12345', githubAppInstallationID: '678', githubAppPrivateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString() },
    },
  };
}

/**
 * GitHub's POST /app/installations/{id}/access_tokens: `token` is issued only for a JWT the app's
 * public key verifies. Says whether the request was one.
 */
export function answerInstallationTokenRequest(req: IncomingMessage, url: URL, appPublicKey: string | undefined, token: string, json: JsonAnswer): boolean {
  if (req.method !== 'POST' || !/^\/api\/v3\/app\/installations\/\d+\/access_tokens$/.test(url.pathname)) return false;
  const [header, payload, signature] = (req.headers.authorization ?? '').replace(/^Bearer /, '').split('.');
  const valid =
    appPublicKey && signature && createVerify('RSA-SHA256').update(`${header}.${payload}`).verify(appPublicKey, Buffer.from(signature, 'base64url'));
  if (valid) json(201, { token, expires_at: new Date(Date.now() + 3600_000).toISOString() });
  else json(401, { message: 'A JSON web token could not be decoded' });
  return true;
}

export interface FakeBehaviour {
  /** Answer this many requests with a rate-limit response first. */
  rateLimited?: number;
  /** Seconds until the rate limit resets (x-ratelimit-reset). */
  resetInSeconds?: number;
  serverError?: boolean;
  /** Answer this many requests with 503 first. */
  unavailable?: number;
  /** Answer with a 9 MiB body. */
  oversized?: boolean;
  /** Never answer. */
  hang?: boolean;
  notFound?: boolean;
  /** Answer commit status posts with this HTTP status (the listings still answer). */
  statusPostAnswer?: number;
}

/**
 * One HTTP server on 127.0.0.1 answering as GitHub's, Gitea's and GitLab's REST APIs answer
 * for listing pull/merge requests, with their pagination headers, two items per page, and for
 * posting commit statuses.
 */
export class FakeScm {
  readonly requests: { url: string; authorization?: string; privateToken?: string }[] = [];
  /** Commit statuses posted (GitHub's, Gitea's and GitLab's `.../statuses/{sha}`), bodies parsed. */
  readonly statuses: { url: string; body: Record<string, unknown>; authorization?: string; privateToken?: string }[] = [];
  behaviour: FakeBehaviour = {};
  /** A GitHub App's public key: installation tokens are issued only for JWTs it verifies. */
  appPublicKey?: string;
  readonly installationToken = 'ghs_installationT0ken';
  private constructor(
    private readonly server: Server,
    readonly base: string,
    private readonly pulls: FakePull[],
  ) {}

  /** With `tls`, serves HTTPS with that key and certificate (one no client trusts by default). */
  static async start(pulls: FakePull[], tls?: { keyPem: string; certPem: string }): Promise<FakeScm> {
    const handlers: { scm?: FakeScm } = {};
    const handler = (req: IncomingMessage, res: ServerResponse) => handlers.scm!.handle(req, res);
    const server = tls ? createTlsServer({ key: tls.keyPem, cert: tls.certPem }, handler) : createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    handlers.scm = new FakeScm(server, `${tls ? 'https' : 'http'}://127.0.0.1:${port}`, pulls);
    return handlers.scm;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.base);
    this.requests.push({
      url: url.pathname + url.search,
      authorization: req.headers.authorization,
      privateToken: req.headers['private-token'] as string | undefined,
    });
    const json = jsonAnswer(res);
    if (misbehave(this.behaviour, json)) return;
    if (this.behaviour.notFound) return json(404, { message: 'Not Found' });

    if (answerInstallationTokenRequest(req, url, this.appPublicKey, this.installationToken, json)) return;
    if (req.method === 'POST' && /^\/api\/(v3|v1)\/repos\/[^/]+\/[^/]+\/statuses\/|^\/api\/v4\/projects\/[^/]+\/statuses\//.test(url.pathname)) {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (this.behaviour.statusPostAnswer) return json(this.behaviour.statusPostAnswer, { message: 'Internal Server Error' });
        const last = this.requests[this.requests.length - 1];
        this.statuses.push({ ...last, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        json(201, { id: this.statuses.length });
      });
      return;
    }

    const page = Number(url.searchParams.get('page') ?? '1');
    const size = 2;
    const slice = this.pulls.slice((page - 1) * size, page * size);
    const last = Math.max(1, Math.ceil(this.pulls.length / size));

    if (url.pathname.startsWith('/api/v3/repos/')) {
      const headers: Record<string, string> = {};
      if (page < last) {
        const next = new URL(url);
        next.searchParams.set('page', String(page + 1));
        headers.link = `<${next.href}>; rel="next"`;
      }
      return json(200, slice.map(githubShaped), headers);
    }
    if (url.pathname.startsWith('/api/v1/repos/')) {
      // Gitea pages by `limit`; a short page ends the listing.
      const limit = Number(url.searchParams.get('limit') ?? '50');
      const items = this.pulls.slice((page - 1) * limit, page * limit);
      return json(200, items.map(githubShaped));
    }
    if (url.pathname.startsWith('/api/v4/projects/')) {
      const wanted = url.searchParams.get('labels')?.split(',') ?? [];
      const matching = this.pulls.filter((p) => wanted.every((l) => p.labels.includes(l)));
      const items = matching.slice((page - 1) * size, page * size);
      const lastPage = Math.max(1, Math.ceil(matching.length / size));
      return json(
        200,
        items.map((p) => ({
          iid: p.number,
          title: p.title,
          source_branch: p.branch,
          target_branch: p.target,
          sha: p.sha,
          labels: p.labels,
          author: { username: p.author },
        })),
        { 'x-next-page': page < lastPage ? String(page + 1) : '' },
      );
    }
    json(404, { message: 'Not Found' });
  }
}

/** Argo CD's namespace holding one Secret, `scm-token`, whose `token` key is `token`: what a `tokenRef` points at. */
export function scmTokenSecrets(token: string): ManifestSecretReader {
  const secret: Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'scm-token', namespace: 'argocd' },
    data: { token: Buffer.from(token).toString('base64') },
  };
  return new ManifestSecretReader([secret], 'argocd');
}
