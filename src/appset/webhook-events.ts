import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ApplicationSet, ApplicationSetNestedGenerator, GitGenerator, PullRequestGenerator } from '../api/application-set.js';

/** What a Git provider's webhook tells about: a push to a branch, or a pull request that changed. */
export type WebhookEvent =
  | { kind: 'push'; provider: string; repoRegexp: RegExp; webURL: string; revision: string; touchedHead: boolean }
  | { kind: 'pullRequest'; provider: 'github' | 'gitea'; owner: string; repo: string; apiHostname: string }
  | { kind: 'pullRequest'; provider: 'gitlab'; project: string; apiHostname: string }
  | { kind: 'ignored'; reason: string };

export interface WebhookSecrets {
  github?: string;
  gitlab?: string;
  gitea?: string;
  bitbucket?: string;
}

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

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function sameSecret(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
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
  const path = escape(decodeURIComponent(url.pathname).replace(/^\//, '').replace(/\.git$/, ''));
  return new RegExp(`^((https?|ssh)://)?([\\w.+-]+(:[^@/]*)?@)?((alt)?ssh\\.)?${escape(url.hostname)}(:\\d+)?[:/]${path}(\\.git)?/?$`, 'i');
}

/**
 * Verifies and parses a webhook. A provider whose secret is configured must sign (GitHub, Gitea,
 * Bitbucket Server: HMAC-SHA256 of the body) or present it (GitLab's token, Bitbucket Cloud's
 * hook UUID); a wrong or missing signature is a 401. Only the payload fields Regatta needs are read.
 */
export function parseWebhook(headers: Headers, body: Buffer, secrets: WebhookSecrets): WebhookEvent {
  const json = () => {
    try {
      return JSON.parse(body.toString('utf8')) as any;
    } catch {
      throw new WebhookError('webhook payload is not valid JSON', 400);
    }
  };

  const gitea = header(headers, 'x-gitea-event');
  const github = header(headers, 'x-github-event');
  if (gitea !== undefined || github !== undefined) {
    const provider = gitea !== undefined ? 'gitea' : 'github';
    const secret = secrets[provider];
    if (secret) {
      const signature = provider === 'gitea' ? header(headers, 'x-gitea-signature') : header(headers, 'x-hub-signature-256')?.replace(/^sha256=/, '');
      if (!sameSecret(hmacHex(secret, body), signature)) throw new WebhookError(`${provider} webhook signature does not match`, 401);
    }
    const event = gitea ?? github;
    const payload = json();
    if (event === 'push') return pushEvent(provider, payload.repository?.html_url, payload.ref, payload.repository?.default_branch);
    if (event === 'pull_request') {
      if (!GITHUB_PR_ACTIONS.includes(payload.action)) return { kind: 'ignored', reason: `pull request action ${payload.action}` };
      const apiURL = payload.repository?.url ?? payload.repository?.html_url;
      return {
        kind: 'pullRequest',
        provider,
        owner: String(payload.repository?.owner?.login ?? ''),
        repo: String(payload.repository?.name ?? ''),
        apiHostname: apiURL ? new URL(apiURL).hostname : '',
      };
    }
    return { kind: 'ignored', reason: `${provider} event ${event}` };
  }

  const gitlab = header(headers, 'x-gitlab-event');
  if (gitlab !== undefined) {
    if (secrets.gitlab && !sameSecret(secrets.gitlab, header(headers, 'x-gitlab-token'))) throw new WebhookError('gitlab webhook token does not match', 401);
    const payload = json();
    if (gitlab === 'Push Hook' || gitlab === 'Tag Push Hook') return pushEvent('gitlab', payload.project?.web_url, payload.ref, payload.project?.default_branch);
    if (gitlab === 'Merge Request Hook') {
      if (!GITLAB_MR_ACTIONS.includes(payload.object_attributes?.action)) return { kind: 'ignored', reason: `merge request action ${payload.object_attributes?.action}` };
      return {
        kind: 'pullRequest',
        provider: 'gitlab',
        project: String(payload.object_attributes?.target_project_id ?? ''),
        apiHostname: payload.project?.web_url ? new URL(payload.project.web_url).hostname : '',
      };
    }
    return { kind: 'ignored', reason: `gitlab event ${gitlab}` };
  }

  const bitbucket = header(headers, 'x-event-key');
  if (bitbucket !== undefined) {
    if (secrets.bitbucket) {
      const signature = header(headers, 'x-hub-signature')?.replace(/^sha256=/, '');
      const signed = signature !== undefined && sameSecret(hmacHex(secrets.bitbucket, body), signature);
      if (!signed && !sameSecret(secrets.bitbucket, header(headers, 'x-hook-uuid'))) throw new WebhookError('bitbucket webhook signature does not match', 401);
    }
    const payload = json();
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
  throw new WebhookError('Unknown webhook event', 400);
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
  // A repository URL templated from another generator's parameters may be any repository.
  if (generator.repoURL.includes('{{')) return true;
  if (!event.repoRegexp.test(generator.repoURL)) return false;
  const target = parseRevision(generator.revision ?? '');
  if (target === 'HEAD' || target === '') return event.touchedHead;
  return target === event.revision || generator.revision === event.revision;
}

function pullRequestGeneratorAffected(generator: PullRequestGenerator, event: WebhookEvent): boolean {
  if (event.kind !== 'pullRequest') return false;
  const hostname = (api: string | undefined, fallback: string) => new URL(api || fallback).hostname;
  if (event.provider === 'gitlab') {
    return !!generator.gitlab && generator.gitlab.project === event.project && hostname(generator.gitlab.api, 'https://gitlab.com/') === event.apiHostname;
  }
  const spec = event.provider === 'github' ? generator.github : generator.gitea;
  if (!spec) return false;
  const api = event.provider === 'github' ? hostname(generator.github?.api, 'https://api.github.com/') : hostname(generator.gitea?.api, 'https://invalid/');
  return spec.owner.toLowerCase() === event.owner.toLowerCase() && spec.repo.toLowerCase() === event.repo.toLowerCase() && api === event.apiHostname;
}

function entryAffected(entry: ApplicationSetNestedGenerator, event: WebhookEvent): boolean {
  if (event.kind === 'push' && entry.git && gitGeneratorAffected(entry.git, event)) return true;
  if (entry.pullRequest && pullRequestGeneratorAffected(entry.pullRequest, event)) return true;
  const children = [...(entry.matrix?.generators ?? []), ...(entry.merge?.generators ?? []), ...(entry.placement ? [entry.placement.items] : [])];
  return children.some((child) => entryAffected(child, event));
}

/** Whether the event can change what an ApplicationSet generates, as Argo CD decides it. */
export function isAffectedBy(appSet: ApplicationSet, event: WebhookEvent): boolean {
  if (event.kind === 'ignored') return false;
  return (appSet.spec?.generators ?? []).some((entry) => entryAffected(entry, event));
}
