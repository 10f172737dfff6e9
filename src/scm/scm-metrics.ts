import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AnsweredBy, ScmCaller, ScmGatewayObserver, ScmRequest } from './scm-gateway.js';
import type { ScmAnswer } from './scm-transport.js';

const RATE_LIMIT_GAUGES = [
  ['remaining', 'The number of requests remaining in the current rate limit window'],
  ['limit', 'The maximum number of requests that you can make per hour'],
  ['reset_seconds', 'The time left till the current rate limit window resets, in seconds'],
  ['used', 'The number of requests used in the current rate limit window'],
] as const;

type RateLimitGauge = (typeof RATE_LIMIT_GAUGES)[number][0];

/** A provider's rate-limit headers (X-RateLimit-* on GitHub, Gitea and Bitbucket; RateLimit-* on GitLab) as gauge values. */
function rateLimitValues(headers: Record<string, string>, now: number): Partial<Record<RateLimitGauge, number>> {
  const header = (name: string) => {
    const value = Number(headers[`x-ratelimit-${name}`] ?? headers[`ratelimit-${name}`] ?? NaN);
    return Number.isFinite(value) ? value : undefined;
  };
  const reset = header('reset');
  return {
    remaining: header('remaining'),
    limit: header('limit'),
    used: header('used'),
    reset_seconds: reset === undefined ? undefined : reset - Math.floor(now / 1000),
  };
}

/**
 * The SCM gateway's metrics. GitHub's use Argo CD's names and labels
 * (`argocd_github_api_*`, endpoint = the URL path), so its dashboards keep working, and as in
 * Argo CD they are recorded only when asked for (`--enable-github-api-metrics`); every
 * provider, GitHub included, is also counted under `regatta_scm_api_*` with a `provider` label,
 * and `regatta_scm_gateway_answers_total` says how each answer was come by (sent, 304, shared
 * with a request in flight, refused by a spent rate budget).
 */
export class ScmApiMetrics implements ScmGatewayObserver {
  private readonly githubRequests: Counter;
  private readonly githubDuration: Histogram;
  private readonly githubRateLimit: Record<RateLimitGauge, Gauge>;
  private readonly requests: Counter;
  private readonly duration: Histogram;
  private readonly rateLimitRemaining: Gauge;
  private readonly answers: Counter;

  private static readonly byRegistry = new WeakMap<Registry, ScmApiMetrics>();

  /** The registry's SCM metrics, registered once however many gateways report to it (the first call's options hold). */
  static of(registry: Registry, options: { githubApiMetrics?: boolean } = {}): ScmApiMetrics {
    let metrics = this.byRegistry.get(registry);
    if (!metrics) this.byRegistry.set(registry, (metrics = new ScmApiMetrics(registry, options.githubApiMetrics === true)));
    return metrics;
  }

  private constructor(
    registry: Registry,
    private readonly githubApiMetrics: boolean,
  ) {
    const registers = [registry];
    this.githubRequests = new Counter({
      name: 'argocd_github_api_requests_total',
      help: 'Total number of GitHub API requests',
      labelNames: ['method', 'endpoint', 'status', 'appset_namespace', 'appset_name'],
      registers,
    });
    this.githubDuration = new Histogram({
      name: 'argocd_github_api_request_duration_seconds',
      help: 'GitHub API request duration in seconds',
      labelNames: ['method', 'endpoint', 'appset_namespace', 'appset_name'],
      registers,
    });
    this.githubRateLimit = Object.fromEntries(
      RATE_LIMIT_GAUGES.map(([suffix, help]) => [
        suffix,
        new Gauge({ name: `argocd_github_api_rate_limit_${suffix}`, help, labelNames: ['endpoint', 'appset_namespace', 'appset_name', 'resource'], registers }),
      ]),
    ) as Record<RateLimitGauge, Gauge>;
    this.requests = new Counter({
      name: 'regatta_scm_api_requests_total',
      help: 'Requests sent to SCM provider APIs (answers of 304 included)',
      labelNames: ['provider', 'method', 'status', 'appset_namespace', 'appset_name'],
      registers,
    });
    this.duration = new Histogram({
      name: 'regatta_scm_api_request_duration_seconds',
      help: 'SCM provider API request duration in seconds',
      labelNames: ['provider', 'method'],
      registers,
    });
    this.rateLimitRemaining = new Gauge({
      name: 'regatta_scm_api_rate_limit_remaining',
      help: 'Requests remaining in the rate limit window the provider last reported',
      labelNames: ['provider', 'appset_namespace', 'appset_name'],
      registers,
    });
    this.answers = new Counter({
      name: 'regatta_scm_gateway_answers_total',
      help: 'Answers the SCM gateway gave, by how it came by them (server, not_modified, in_flight, rate_budget)',
      labelNames: ['provider', 'answered_by'],
      registers,
    });
  }

  answered(caller: ScmCaller, { method, url }: ScmRequest, answer: ScmAnswer, answeredBy: AnsweredBy, seconds: number): void {
    this.answers.inc({ provider: caller.api, answered_by: answeredBy });
    if (answeredBy !== 'server' && answeredBy !== 'not_modified') return;
    const appSet = { appset_namespace: caller.appSetNamespace, appset_name: caller.appSetName };
    const status = String(answer.status);
    this.requests.inc({ provider: caller.api, method, status, ...appSet });
    this.duration.observe({ provider: caller.api, method }, seconds);
    const limits = rateLimitValues(answer.headers, Date.now());
    if (limits.remaining !== undefined) this.rateLimitRemaining.set({ provider: caller.api, ...appSet }, limits.remaining);
    if (caller.api !== 'github' || !this.githubApiMetrics) return;
    const endpoint = url.pathname;
    this.githubRequests.inc({ method, endpoint, status, ...appSet });
    this.githubDuration.observe({ method, endpoint, ...appSet }, seconds);
    const resource = answer.headers['x-ratelimit-resource'] ?? '';
    for (const [gauge, value] of Object.entries(limits) as [RateLimitGauge, number | undefined][]) {
      if (value !== undefined) this.githubRateLimit[gauge].set({ endpoint, ...appSet, resource }, value);
    }
  }
}
