import { createHmac } from 'node:crypto';
import type { ApplicationSet, ApplicationSetNestedGenerator, GitGenerator, PullRequestGenerator } from '../api/application-set.js';
import { sameSecret } from '../lib/constant-time.js';

/** What a Git provider's webhook tells about: a push to a branch, or a pull request that changed. */
export type WebhookEvent =
  | { kind: 'push'; provider: string; repoRegexp: RegExp; webURL: string; revision: string; touchedHead: boolean }
  | { kind: 'pullRequest'; provider: 'github' | 'gitea'; owner: string; repo: string; apiHostname: string }
  | { kind: 'pullRequest'; provider: 'gitlab'; project: string; apiHostname: string }
  | { kind: 'pullRequest'; provider: 'azuredevops'; project: string; repo: string }
  | { kind: 'ignored'; reason: string };

export interface WebhookSecrets {
  github?: string;
  gitlab?: string;
  /** Gitea's, which Gogs deliveries are checked with too (Gitea is Gogs' fork and sends both headers). */
  gitea?: string;
  /** Bitbucket Cloud's hook UUID, or the secret Bitbucket Server signs with. */
  bitbucket?: string;
  /** `username:password` of the Basic auth Azure DevOps service hooks send. */
  azuredevops?: string;
}

export type WebhookProvider = keyof WebhookSecrets;

export class WebhookError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 401,
  ) {
    super(message);
  }
}

const GITHUB_PR_ACTIONS = ['opened', 'closed', 'synchronize', 'labeled', 'reopened', 'unlabeled'];
const GITLAB_MR_ACTIONS = ['open', 'close', 'reopen', 'update', 'merge'];
const AZURE_DEVOPS_PR_EVENTS = ['git.pullrequest.created', 'git.pullrequest.merged', 'git.pullrequest.updated'];

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** A URL's host name, or '' for what is not a URL: payloads and ApplicationSets are written by others. */
function hostnameOf(url: unknown): string {
  try {
    return typeof url === 'string' && url ? new URL(url).hostname : '';
  } catch {
    return '';
  }
}

function hmacHex(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** `refs/heads/main` → `main`, as Argo CD parses revisions. */
export function parseRevision(ref: string): string {
  const parts = ref.split('/');
  return parts.length >= 3 ? parts.slice(2).join('/') : parts[parts.length - 1];
}

/**
 * A pattern matching every way a repository URL can be written (https, ssh://, scp-like
 * git@host:path, optional user, port and .git), from the web URL a webhook reports.
 */
export function webURLRegexp(webURL: string): RegExp {
  const url = new URL(webURL);
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const path = escape(
    decodeURIComponent(url.pathname)
      .replace(/^\//, '')
      .replace(/\.git$/, ''),
  );
  return new RegExp(`^((https?|ssh)://)?([\\w.+-]+(:[^@/]*)?@)?((alt)?ssh\\.)?${escape(url.hostname)}(:\\d+)?[:/]${path}(\\.git)?/?$`, 'i');
}

/** Whether a request carries a provider's event header, and whether it proves it knows that provider's secret. */
interface ProviderCheck {
  provider: WebhookProvider;
  carriesEvent(headers: Headers): boolean;
  verified(headers: Headers, body: Buffer, secret: string): boolean;
}

const hmacSigned = (signature: string | undefined, secret: string, body: Buffer) => sameSecret(hmacHex(secret, body), signature?.replace(/^sha256=/, ''));

/** In Argo CD's order of precedence: a Gogs/Gitea delivery also carries GitHub's headers, Bitbucket Cloud's also Bitbucket Server's. */
const PROVIDER_CHECKS: ProviderCheck[] = [
  {
    provider: 'gitea',
    carriesEvent: (headers) => header(headers, 'x-gitea-event') !== undefined || header(headers, 'x-gogs-event') !== undefined,
    verified: (headers, body, secret) => hmacSigned(header(headers, 'x-gitea-signature') ?? header(headers, 'x-gogs-signature'), secret, body),
  },
  {
    provider: 'github',
    carriesEvent: (headers) => header(headers, 'x-github-event') !== undefined,
    verified: (headers, body, secret) => hmacSigned(header(headers, 'x-hub-signature-256'), secret, body),
  },
  {
    provider: 'gitlab',
    carriesEvent: (headers) => header(headers, 'x-gitlab-event') !== undefined,
    verified: (headers, _body, secret) => sameSecret(secret, header(headers, 'x-gitlab-token')),
  },
  {
    provider: 'azuredevops',
    carriesEvent: (headers) => header(headers, 'x-vss-activityid') !== undefined,
    verified: (headers, _body, secret) => sameSecret(`Basic ${Buffer.from(secret).toString('base64')}`, header(headers, 'authorization')),
  },
  {
    provider: 'bitbucket',
    carriesEvent: (headers) => header(headers, 'x-hook-uuid') !== undefined || header(headers, 'x-event-key') !== undefined,
    // Bitbucket Server signs the body; Bitbucket Cloud presents the hook's UUID.
    verified: (headers, body, secret) => hmacSigned(header(headers, 'x-hub-signature'), secret, body) || sameSecret(secret, header(headers, 'x-hook-uuid')),
  },
];

const REFUSAL: Record<WebhookProvider, string> = {
  github: 'github webhook signature does not match',
  gitea: 'gitea webhook signature does not match',
  gitlab: 'gitlab webhook token does not match',
  bitbucket: 'bitbucket webhook signature does not match',
  azuredevops: 'azuredevops webhook basic auth verification failed',
};

/**
 * Which provider a request is from, by Argo CD's header precedence, once its secret is proven.
 * That provider's secret decides; when it has none (which Argo CD accepts unsigned), every other
 * provider whose event header the request also carries and whose secret is configured must
 * verify, so adding an unconfigured provider's header cannot dodge a configured secret.
 */
export function verifiedProvider(headers: Headers, body: Buffer, secrets: WebhookSecrets): WebhookProvider {
  const carried = PROVIDER_CHECKS.filter((check) => check.carriesEvent(headers));
  if (carried.length === 0) throw new WebhookError('Unknown webhook event', 400);
  const [chosen] = carried;
  const deciding = secrets[chosen.provider] ? [chosen] : carried.filter((check) => secrets[check.provider]);
  for (const check of deciding) {
    if (!check.verified(headers, body, secrets[check.provider]!)) throw new WebhookError(REFUSAL[check.provider], 401);
  }
  return chosen.provider;
}

/**
 * Verifies and parses a webhook (see verifiedProvider): a wrong or missing signature or token is a
 * 401 naming the provider, never the secret. Only the payload fields Regatta needs are read.
 */
export function parseWebhook(headers: Headers, body: Buffer, secrets: WebhookSecrets): WebhookEvent {
  const provider = verifiedProvider(headers, body, secrets);
  let payload: any;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch {
    throw new WebhookError('webhook payload is not valid JSON', 400);
  }
  if (provider === 'gitea' || provider === 'github') {
    const event = provider === 'gitea' ? (header(headers, 'x-gitea-event') ?? header(headers, 'x-gogs-event')) : header(headers, 'x-github-event');
    if (event === 'push') return pushEvent(provider, payload.repository?.html_url, payload.ref, payload.repository?.default_branch);
    if (event === 'pull_request') {
      if (!GITHUB_PR_ACTIONS.includes(payload.action)) return { kind: 'ignored', reason: `pull request action ${payload.action}` };
      const apiURL = payload.repository?.url ?? payload.repository?.html_url;
      return {
        kind: 'pullRequest',
        provider,
        owner: String(payload.repository?.owner?.login ?? ''),
        repo: String(payload.repository?.name ?? ''),
        apiHostname: hostnameOf(apiURL),
      };
    }
    return { kind: 'ignored', reason: `${provider} event ${event}` };
  }

  if (provider === 'gitlab') {
    const gitlab = header(headers, 'x-gitlab-event');
    if (gitlab === 'Push Hook' || gitlab === 'Tag Push Hook')
      return pushEvent('gitlab', payload.project?.web_url, payload.ref, payload.project?.default_branch);
    if (gitlab === 'Merge Request Hook') {
      if (!GITLAB_MR_ACTIONS.includes(payload.object_attributes?.action))
        return { kind: 'ignored', reason: `merge request action ${payload.object_attributes?.action}` };
      return {
        kind: 'pullRequest',
        provider: 'gitlab',
        project: String(payload.object_attributes?.target_project_id ?? ''),
        apiHostname: hostnameOf(payload.project?.web_url),
      };
    }
    return { kind: 'ignored', reason: `gitlab event ${gitlab}` };
  }

  if (provider === 'azuredevops') {
    const eventType = payload.eventType;
    const resource = payload.resource;
    if (eventType === 'git.push') {
      const ref = resource?.refUpdates?.[0]?.name;
      // Azure DevOps names the default branch as a full ref: HEAD moved when that very ref did.
      const movedHead = typeof ref === 'string' && ref !== '' && ref === resource?.repository?.defaultBranch;
      return pushEvent('azuredevops', resource?.repository?.remoteUrl, ref, movedHead ? parseRevision(ref) : undefined);
    }
    if (AZURE_DEVOPS_PR_EVENTS.includes(eventType)) {
      return {
        kind: 'pullRequest',
        provider: 'azuredevops',
        project: String(resource?.repository?.project?.name ?? ''),
        repo: String(resource?.repository?.name ?? ''),
      };
    }
    return { kind: 'ignored', reason: `azuredevops event ${eventType}` };
  }

  const bitbucket = header(headers, 'x-event-key');
  if (bitbucket === 'repo:push') {
    const change = payload.push?.changes?.[0]?.new;
    return pushEvent('bitbucket', payload.repository?.links?.html?.href, change?.name ? `refs/heads/${change.name}` : '', payload.repository?.mainbranch?.name);
  }
  if (bitbucket === 'repo:refs_changed') {
    const change = payload.changes?.[0];
    const link = payload.repository?.links?.self?.[0]?.href?.replace(/\/browse$/, '');
    return pushEvent('bitbucket', link, change?.refId ?? '', undefined);
  }
  return { kind: 'ignored', reason: `bitbucket event ${bitbucket}` };
}

function pushEvent(provider: string, webURL: unknown, ref: unknown, defaultBranch: unknown): WebhookEvent {
  if (typeof webURL !== 'string' || !webURL) throw new WebhookError(`${provider} push payload has no repository URL`, 400);
  let repoRegexp: RegExp;
  try {
    repoRegexp = webURLRegexp(webURL);
  } catch {
    throw new WebhookError(`${provider} push payload has an invalid repository URL`, 400);
  }
  const revision = parseRevision(String(ref ?? ''));
  return { kind: 'push', provider, repoRegexp, webURL, revision, touchedHead: defaultBranch === revision };
}

function gitGeneratorAffected(generator: GitGenerator, event: Extract<WebhookEvent, { kind: 'push' }>): boolean {
  const repoURL = String(generator.repoURL ?? '');
  // A repository URL templated from another generator's parameters may be any repository.
  if (repoURL.includes('{{')) return true;
  if (!event.repoRegexp.test(repoURL)) return false;
  const target = parseRevision(String(generator.revision ?? ''));
  if (target === 'HEAD' || target === '') return event.touchedHead;
  return target === event.revision || generator.revision === event.revision;
}

function pullRequestGeneratorAffected(generator: PullRequestGenerator, event: WebhookEvent): boolean {
  if (event.kind !== 'pullRequest') return false;
  const hostname = (api: string | undefined, fallback: string) => hostnameOf(api || fallback);
  const same = (a: unknown, b: string) => String(a ?? '').toLowerCase() === b.toLowerCase();
  if (event.provider === 'azuredevops') {
    return !!generator.azuredevops && generator.azuredevops.project === event.project && generator.azuredevops.repo === event.repo;
  }
  if (event.provider === 'gitlab') {
    const api = hostname(generator.gitlab?.api, 'https://gitlab.com/');
    return !!generator.gitlab && String(generator.gitlab.project) === event.project && api !== '' && api === event.apiHostname;
  }
  const spec = event.provider === 'github' ? generator.github : generator.gitea;
  if (!spec) return false;
  const api = event.provider === 'github' ? hostname(generator.github?.api, 'https://api.github.com/') : hostname(generator.gitea?.api, 'https://invalid/');
  return same(spec.owner, event.owner) && same(spec.repo, event.repo) && api !== '' && api === event.apiHostname;
}

/**
 * Whether an entry's generators can change with the event. A Plugin generator cannot say what it
 * reads, so Argo CD refreshes it on every push or pull request event, where it looks for one: at
 * the top level and as the second child of a matrix (not under merge, nor as a matrix's first child).
 */
function entryAffected(entry: ApplicationSetNestedGenerator, event: WebhookEvent, pluginLooked: boolean): boolean {
  if (event.kind === 'push' && entry.git && gitGeneratorAffected(entry.git, event)) return true;
  if (entry.pullRequest && pullRequestGeneratorAffected(entry.pullRequest, event)) return true;
  if (pluginLooked && entry.plugin) return true;
  const matrix = entry.matrix?.generators ?? [];
  if (matrix.some((child, i) => entryAffected(child, event, i === 1))) return true;
  if ((entry.merge?.generators ?? []).some((child) => entryAffected(child, event, false))) return true;
  return !!entry.placement && entryAffected(entry.placement.items, event, pluginLooked);
}

/** Whether the event can change what an ApplicationSet generates, as Argo CD decides it. */
export function isAffectedBy(appSet: ApplicationSet, event: WebhookEvent): boolean {
  if (event.kind === 'ignored') return false;
  try {
    return (appSet.spec?.generators ?? []).some((entry) => entryAffected(entry, event, true));
  } catch {
    // Too malformed to judge (its author is anyone who may write ApplicationSets): refreshed, its reconcile says what is wrong.
    return true;
  }
}
