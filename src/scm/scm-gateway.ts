import { createHash } from 'node:crypto';
import type { ApplicationSet } from '../api/application-set.js';
import type { ConfigMapReader } from '../generators/generator.js';
import type { RetryBudget } from './rate-limit.js';
import type { ScmPolicy } from './scm-policy.js';
import { sendGet, sendPost, type ScmAnswer, type TlsTrust } from './scm-transport.js';

/** The SCM APIs Regatta talks to, as metrics name them. */
export type ScmApiKind = 'github' | 'gitlab' | 'gitea' | 'bitbucket_server' | 'bitbucket_cloud' | 'azure_devops' | 'aws_codecommit';

/** Whom a request is made for: the API and the ApplicationSet whose generator asks. */
export interface ScmCaller {
  api: ScmApiKind;
  appSetNamespace: string;
  appSetName: string;
}

/**
 * How the gateway came by an answer: sent to the server (`server`), revalidated by a 304
 * (`not_modified`), shared with an identical request already in flight (`in_flight`), or refused
 * without sending because the credential's rate limit is spent until its reset (`rate_budget`).
 */
export type AnsweredBy = 'server' | 'not_modified' | 'in_flight' | 'rate_budget';

/** The request an answer is for. */
export interface ScmRequest {
  method: 'GET' | 'POST';
  url: URL;
}

/** What the gateway reports of each answer (metrics); a request that got no answer is reported with status 0, as Argo CD counts it. */
export interface ScmGatewayObserver {
  answered(caller: ScmCaller, request: ScmRequest, answer: ScmAnswer, answeredBy: AnsweredBy, seconds: number): void;
}

/**
 * What one provider client talks through: the process's gateway, on whose behalf, within which
 * retry budget, trusting the server how.
 */
export interface ScmHttp {
  gateway: ScmGateway;
  caller: ScmCaller;
  budget: RetryBudget;
  trust?: TlsTrust;
}

/** The ScmHttp of one provider call made for `appSet`. */
export function scmHttp(gateway: ScmGateway, api: ScmApiKind, appSet: ApplicationSet, budget: RetryBudget, trust: TlsTrust = {}): ScmHttp {
  return { gateway, budget, trust, caller: { api, appSetNamespace: appSet.metadata.namespace ?? '', appSetName: appSet.metadata.name } };
}

/** What the PullRequest and SCM Provider services share: their policy, retry budget, `caRef` reader and gateway. */
export interface ScmServiceOptions {
  policy?: ScmPolicy;
  budget?: RetryBudget;
  /** Where a `caRef` is read, in the ApplicationSet's namespace as Argo CD reads it. */
  configMaps?: ConfigMapReader;
  /** The process's one gateway; a service made without one has its own. */
  gateway?: ScmGateway;
}

export type ScmSend = (url: string, headers: Record<string, string>, trust: TlsTrust, timeoutMs: number) => Promise<ScmAnswer>;

export interface ScmGatewayOptions {
  observer?: ScmGatewayObserver;
  /** Bytes of answers kept for revalidation, least recently used dropped first (64 MiB unless set). */
  maxCacheBytes?: number;
  /** Requests one credential has in flight at once; more wait their turn (4 unless set). */
  maxConcurrentPerCredential?: number;
  send?: ScmSend;
  now?: () => number;
}

interface CachedAnswer {
  answer: ScmAnswer;
  etag?: string;
  lastModified?: string;
  bytes: number;
}

interface CredentialBudget {
  remaining?: number;
  resetAtMs?: number;
  active: number;
  waiting: (() => void)[];
}

/** Headers that carry who is asking: requests with the same ones draw from the same rate budget. */
const CREDENTIAL_HEADERS = ['authorization', 'private-token'];

/** An AWS SigV4 signature differs for every request; the credential is what it is signed with (the rest of the header). */
const SIGV4_SIGNATURE = /,\s*Signature=[0-9a-f]+$/;

/** Most credentials whose budgets are remembered; tenants choose their credentials. */
const MAX_CREDENTIALS = 10_000;

const digest = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex');

const lowerCased = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));

/** The digest naming whose rate budget a request (its headers lower-cased) draws from. */
const credentialOf = (url: URL, headers: Record<string, string>) =>
  digest(url.origin, ...CREDENTIAL_HEADERS.map((name) => (headers[name] ?? '').replace(SIGV4_SIGNATURE, '')));

const NO_ANSWER: ScmAnswer = { status: 0, statusText: '', headers: {}, text: '' };

/** GitHub, Gitea and Bitbucket say X-RateLimit-*, GitLab RateLimit-*: the remaining requests and the reset (epoch seconds). */
function rateLimitOf(headers: Record<string, string>): { remaining?: number; resetAtMs?: number } {
  const remaining = Number(headers['x-ratelimit-remaining'] ?? headers['ratelimit-remaining'] ?? NaN);
  const reset = Number(headers['x-ratelimit-reset'] ?? headers['ratelimit-reset'] ?? NaN);
  return { remaining: Number.isFinite(remaining) ? remaining : undefined, resetAtMs: Number.isFinite(reset) ? reset * 1000 : undefined };
}

const RATE_LIMIT_HEADERS = /^(x-)?ratelimit-/;

/**
 * One client for every ApplicationSet that reads SCM APIs in this process. Identical GETs (same
 * URL, same credential, same trust) share one request in flight; answers with an ETag or
 * Last-Modified are kept, so asking again costs a conditional request that an unchanged resource
 * answers with 304 (GitHub does not count those against the rate limit); and each credential has
 * one rate budget, learnt from the providers' rate-limit headers, that every generator using it
 * draws from. Cache keys are digests: credentials are never kept as text.
 */
export class ScmGateway {
  private readonly cache = new Map<string, CachedAnswer>();
  private cachedBytes = 0;
  private readonly inFlight = new Map<string, Promise<ScmAnswer>>();
  private readonly budgets = new Map<string, CredentialBudget>();
  private readonly maxCacheBytes: number;
  private readonly maxConcurrent: number;
  private readonly send: ScmSend;
  private readonly now: () => number;

  constructor(private readonly options: ScmGatewayOptions = {}) {
    this.maxCacheBytes = options.maxCacheBytes ?? 64 * 1024 * 1024;
    this.maxConcurrent = options.maxConcurrentPerCredential ?? 4;
    this.send = options.send ?? sendGet;
    this.now = options.now ?? Date.now;
  }

  /** A GET through the gateway; an unchanged cached answer comes back as the 200 it was. */
  get(url: string, headers: Record<string, string>, trust: TlsTrust, timeoutMs: number, caller: ScmCaller): Promise<ScmAnswer> {
    const requestHeaders = lowerCased(headers);
    const parsed = new URL(url);
    const credential = credentialOf(parsed, requestHeaders);
    const key = digest(url, JSON.stringify(Object.entries(requestHeaders).sort()), trust.insecure ? 'insecure' : '', trust.ca ?? '');
    const shared = this.inFlight.get(key);
    if (shared) {
      return shared.then((answer) => {
        this.options.observer?.answered(caller, { method: 'GET', url: parsed }, answer, 'in_flight', 0);
        return answer;
      });
    }
    const pending = this.revalidate(url, parsed, requestHeaders, trust, timeoutMs, caller, key, credential).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, pending);
    return pending;
  }

  /**
   * A POST through the gateway: never cached or shared, but within its credential's rate budget
   * and concurrency as the GETs are, and refused without sending while that budget is spent. The
   * body is JSON unless the headers name another content type.
   */
  async post(url: string, headers: Record<string, string>, body: string, trust: TlsTrust, timeoutMs: number, caller: ScmCaller): Promise<ScmAnswer> {
    const requestHeaders = lowerCased(headers);
    const request: ScmRequest = { method: 'POST', url: new URL(url) };
    const budget = this.budget(credentialOf(request.url, requestHeaders));
    const refused = this.refusedWhileSpent(budget, caller, request);
    if (refused) return refused;
    await this.turn(budget);
    const started = performance.now();
    let answer: ScmAnswer;
    try {
      answer = await this.observing(caller, request, started, () => sendPost(url, requestHeaders, body, trust, timeoutMs));
    } finally {
      this.endTurn(budget);
    }
    const limit = rateLimitOf(answer.headers);
    if (limit.remaining !== undefined) Object.assign(budget, limit);
    this.options.observer?.answered(caller, request, answer, 'server', (performance.now() - started) / 1000);
    return answer;
  }

  /** Runs `send`; a request that fails without an answer is reported as one with status 0 before its error goes on. */
  private async observing(caller: ScmCaller, request: ScmRequest, started: number, send: () => Promise<ScmAnswer>): Promise<ScmAnswer> {
    try {
      return await send();
    } catch (error) {
      this.options.observer?.answered(caller, request, NO_ANSWER, 'server', (performance.now() - started) / 1000);
      throw error;
    }
  }

  /** One credential's budget, made when first used. */
  private budget(credential: string): CredentialBudget {
    let budget = this.budgets.get(credential);
    if (!budget) {
      if (this.budgets.size >= MAX_CREDENTIALS) {
        const idle = [...this.budgets].find(([, b]) => b.active === 0);
        if (idle) this.budgets.delete(idle[0]);
      }
      this.budgets.set(credential, (budget = { active: 0, waiting: [] }));
    }
    return budget;
  }

  private async revalidate(
    url: string,
    parsed: URL,
    headers: Record<string, string>,
    trust: TlsTrust,
    timeoutMs: number,
    caller: ScmCaller,
    key: string,
    credential: string,
  ): Promise<ScmAnswer> {
    const request: ScmRequest = { method: 'GET', url: parsed };
    const budget = this.budget(credential);
    const refused = this.refusedWhileSpent(budget, caller, request);
    if (refused) return refused;
    await this.turn(budget);
    const cached = this.cache.get(key);
    const conditional = { ...headers };
    if (cached?.etag) conditional['if-none-match'] = cached.etag;
    if (cached?.lastModified) conditional['if-modified-since'] = cached.lastModified;
    const started = performance.now();
    let answer: ScmAnswer;
    try {
      answer = await this.observing(caller, request, started, () => this.send(url, conditional, trust, timeoutMs));
    } finally {
      this.endTurn(budget);
    }
    const seconds = (performance.now() - started) / 1000;
    const limit = rateLimitOf(answer.headers);
    if (limit.remaining !== undefined) Object.assign(budget, limit);
    if (answer.status === 304 && cached) {
      this.remember(key, cached);
      const fresh = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => RATE_LIMIT_HEADERS.test(name)));
      const revalidated = { ...cached.answer, headers: { ...cached.answer.headers, ...fresh } };
      this.options.observer?.answered(caller, request, answer, 'not_modified', seconds);
      return revalidated;
    }
    this.options.observer?.answered(caller, request, answer, 'server', seconds);
    const etag = answer.headers.etag;
    const lastModified = answer.headers['last-modified'];
    if (answer.status >= 200 && answer.status < 300 && (etag || lastModified)) {
      this.remember(key, { answer, etag, lastModified, bytes: answer.text.length + JSON.stringify(answer.headers).length });
    } else if (cached) {
      this.forget(key);
    }
    return answer;
  }

  /** A 429 made here, without sending, while the credential's rate limit is spent until its reset. */
  private refusedWhileSpent(budget: CredentialBudget, caller: ScmCaller, request: ScmRequest): ScmAnswer | undefined {
    const spentFor = budget.remaining === 0 && budget.resetAtMs !== undefined ? budget.resetAtMs - this.now() : 0;
    if (spentFor <= 0) return undefined;
    const refused: ScmAnswer = {
      status: 429,
      statusText: 'Too Many Requests',
      headers: { 'retry-after': String(Math.ceil(spentFor / 1000)) },
      text: '',
    };
    this.options.observer?.answered(caller, request, refused, 'rate_budget', 0);
    return refused;
  }

  private async turn(budget: CredentialBudget): Promise<void> {
    while (budget.active >= this.maxConcurrent) await new Promise<void>((resolve) => budget.waiting.push(resolve));
    budget.active++;
  }

  private endTurn(budget: CredentialBudget): void {
    budget.active--;
    budget.waiting.shift()?.();
  }

  private remember(key: string, entry: CachedAnswer): void {
    this.forget(key);
    if (entry.bytes > this.maxCacheBytes / 8) return;
    this.cache.set(key, entry);
    this.cachedBytes += entry.bytes;
    for (const [oldest, old] of this.cache) {
      if (this.cachedBytes <= this.maxCacheBytes) break;
      this.cache.delete(oldest);
      this.cachedBytes -= old.bytes;
    }
  }

  private forget(key: string): void {
    const entry = this.cache.get(key);
    if (!entry) return;
    this.cache.delete(key);
    this.cachedBytes -= entry.bytes;
  }
}
