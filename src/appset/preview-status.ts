import type { Application } from '../api/application.js';
import type { ApplicationSet, ApplicationSetNestedGenerator, PullRequestGenerator } from '../api/application-set.js';
import type { CommitStatus, PullRequestService } from '../generators/generator.js';
import { forEachLimited } from '../lib/for-each-limited.js';
import type { GeneratedApplication } from './generate.js';
import type { ReconcileEvents } from './reconciler.js';

/** `"true"` on the ApplicationSet or in its template's annotations: post each preview's state on its PR. */
export const PREVIEW_STATUS_ANNOTATION = 'regatta.dev/preview-status';
/** In the template's annotations (rendered with the rest): the preview's address, linked from the commit status. */
export const PREVIEW_URL_ANNOTATION = 'regatta.dev/preview-url';

/** Most Application+commit pairs whose last posted status is remembered; the oldest is forgotten first. */
const MAX_REMEMBERED = 10_000;
const POST_CONCURRENCY = 4;

/** The first pullRequest generator, at the top or inside a matrix/merge: the one whose PRs get statuses. */
export function pullRequestGeneratorOf(generators: ApplicationSetNestedGenerator[] | undefined): PullRequestGenerator | undefined {
  for (const g of generators ?? []) {
    const found = g.pullRequest ?? pullRequestGeneratorOf([...(g.matrix?.generators ?? []), ...(g.merge?.generators ?? [])]);
    if (found) return found;
  }
  return undefined;
}

/** What the PR shows of an Application's sync and health. */
export function previewCommitStatus(application: Application, appSetName: string, targetUrl: string | undefined): CommitStatus {
  const status = application.status ?? {};
  const phase = status.operationState?.phase;
  const sync = status.sync?.status ?? 'Unknown';
  const health = status.health?.status ?? 'Unknown';
  const base = { context: `regatta/${appSetName}`, ...(targetUrl ? { targetUrl } : {}) };
  if (phase === 'Failed' || phase === 'Error') return { ...base, state: 'failure', description: `Sync failed: ${status.operationState?.message ?? phase}` };
  if (health === 'Degraded') return { ...base, state: 'failure', description: `${sync} and Degraded` };
  if (phase === 'Running' || phase === 'Terminating') return { ...base, state: 'running', description: 'Syncing' };
  if (sync === 'Synced' && health === 'Healthy') return { ...base, state: 'success', description: 'Synced and Healthy' };
  return { ...base, state: 'pending', description: `${sync} and ${health}` };
}

function webAddress(text: string | undefined): string | undefined {
  if (!text) return undefined;
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Posts PR previews' state back to their pull requests, once per change: remembers per
 * Application and head commit what it last posted. Runs beside the reconcile, never inside it:
 * a slow SCM must not hold up Applications.
 */
export class PreviewStatusReporter {
  private readonly posted = new Map<string, string>();
  private readonly inFlight = new Set<string>();

  constructor(private readonly events: ReconcileEvents) {}

  /** Resolves when this round's posts are done (tests wait on it; the reconciler does not). */
  async report(appSet: ApplicationSet, generated: GeneratedApplication[], live: Application[], service: PullRequestService): Promise<void> {
    const spec = pullRequestGeneratorOf(appSet.spec.generators);
    if (!spec || !service.postCommitStatus) return;
    const liveByName = new Map(live.map((a) => [a.metadata.name, a]));
    const due: { key: string; value: string; sha: string; status: CommitStatus; name: string }[] = [];
    for (const { application, params } of generated) {
      const wanted = application.metadata.annotations?.[PREVIEW_STATUS_ANNOTATION] ?? appSet.metadata.annotations?.[PREVIEW_STATUS_ANNOTATION];
      const current = liveByName.get(application.metadata.name);
      const sha = params.head_sha;
      if (wanted !== 'true' || !current?.status || typeof sha !== 'string') continue;
      const status = previewCommitStatus(current, appSet.metadata.name, webAddress(application.metadata.annotations?.[PREVIEW_URL_ANNOTATION]));
      const key = `${appSet.metadata.namespace}/${application.metadata.name}@${sha}`;
      const value = JSON.stringify(status);
      if (this.posted.get(key) === value || this.inFlight.has(key)) continue;
      due.push({ key, value, sha, status, name: application.metadata.name });
    }
    for (const { key } of due) this.inFlight.add(key);
    await forEachLimited(due, POST_CONCURRENCY, async ({ key, value, sha, status, name }) => {
      try {
        if (await service.postCommitStatus!(spec, appSet, sha, status)) this.remember(key, value);
      } catch (error) {
        this.events.record(
          appSet,
          'Warning',
          'PreviewStatusError',
          `failed to post the commit status of Application "${name}" on ${sha.slice(0, 12)}: ${(error as Error).message}`,
        );
      } finally {
        this.inFlight.delete(key);
      }
    });
  }

  private remember(key: string, value: string): void {
    this.posted.delete(key);
    this.posted.set(key, value);
    if (this.posted.size > MAX_REMEMBERED) this.posted.delete(this.posted.keys().next().value!);
  }
}
