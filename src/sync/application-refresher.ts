import { SchedulerRegistry } from '@nestjs/schedule';
import { API_VERSION, automatedSyncEnabled, type Application, type ApplicationStatus, type ComparedTo } from '../api/application.js';
import { deepEqual } from '../lib/json-values.js';
import { forEachLimited } from '../lib/for-each-limited.js';
import { describeKubeError } from '../kube/api-errors.js';
import { SharedInformers, type InformerView } from '../kube/shared-informers.js';
import type { KubeConfig } from '../kube/kube-config.js';
import { DelayedActions, Loop } from '../lib/loop.js';
import type { Logger } from '../observability/logger.js';
import { projectNameOf, type SpecCondition } from '../projects/application-validation.js';
import { keyOf, type ApplicationClient, type ApplicationPatch } from './application-client.js';
import { PreviewDeletion } from './preview-deletion.js';
import type { ProjectGuard } from './project-guard.js';
import { ComparisonFailure, type Comparison, type SyncDriver } from './sync-driver.js';
import type { SyncWindowGate } from './sync-window-gate.js';
import { isSettling } from './health.js';
import { MovedSources } from './moved-sources.js';
import { revisionFields, revisionKey, sourceFields } from './application-sources.js';
import { autosync } from './automated-sync.js';
import { REFRESH_ANNOTATION } from '../api/annotations.js';
import type { WorkloadWatches } from './workload-watches.js';
import type { SyncEnd } from './sync-runner.js';

/** How long project and cluster changes are gathered before the Applications they touch are checked. */
const PROJECT_CHECK_DELAY_MS = 50;
/** Events of one Application's objects arriving together (a rollout's status writes) are compared once, this long after the first. */
const WATCH_DEBOUNCE_MS = 25;
/** The condition types a refresh owns when it checks the spec against the project. */
const SPEC_CONDITION_TYPES = new Set(['InvalidSpecError', 'UnknownError']);

export interface ApplicationRefresherOptions {
  namespaces: string[];
  /** How often every Application is compared with its cluster (Argo CD's timeout.reconciliation). */
  refreshIntervalMs: number;
  /**
   * How often the commits the Applications' sources name are resolved (one ls-remote per source,
   * not per Application); the Applications whose source moved are refreshed at once.
   */
  sourcePollMs: number;
  /** Refreshes at once. */
  refreshConcurrency: number;
  /** Only Applications whose destination this replica owns are refreshed and synced here. */
  owns?: (application: Application) => boolean;
  /** The AppProject rules every refresh and sync is checked against. */
  projects: ProjectGuard;
  clock: () => Date;
  /** Where the refresher's timers live (default: a registry of its own). */
  registry?: SchedulerRegistry;
  /**
   * The live watch of the owned clusters: an event on an object an Application tracks compares it
   * again at once; the periodic refresh stays as a resync.
   */
  watches?: WorkloadWatches;
  /** The process's shared caches, so the ApplicationSet controller and this one hold the Applications once (default: caches of its own). */
  informers?: SharedInformers;
}

/** What a comparison was made against: a refresh is due once the spec names another source or destination. */
export const comparedTo = (application: Application): ComparedTo => ({ ...sourceFields(application), destination: application.spec.destination });

/** The status fields a comparison writes. */
export const comparisonStatus = (application: Application, comparison: Comparison) => ({
  sync: { status: comparison.sync, ...revisionFields(comparison), comparedTo: comparedTo(application) },
  health: comparison.health,
  resources: comparison.resources,
});

const specConditionsOf = (status: ApplicationStatus): SpecCondition[] =>
  ((status.conditions ?? []) as SpecCondition[]).filter((c) => SPEC_CONDITION_TYPES.has(c.type)).map(({ type, message }) => ({ type, message }));

/**
 * Argo CD's refresh, for the `direct` driver: watches the Applications this replica owns, compares
 * them with their clusters (every `refreshIntervalMs`, when their source moves, when their project
 * changes, on a short backoff after a sync) and writes sync status, health and resources; requests
 * an autosync. Every timer of the application controller is one of its loops or delayed actions.
 */
export class ApplicationRefresher {
  private readonly informers: InformerView<Application>[];
  private readonly refreshing = new Set<string>();
  /** Applications whose objects changed while they were being compared: compared once more after. */
  private readonly changedWhileRefreshing = new Set<string>();
  /** Applications whose objects changed while this replica synced them: compared once more when the sync has written its result. */
  private readonly changedWhileSyncing = new Set<string>();
  /** Application → the resourceVersion of this refresher's last write to it, until the informer has caught up with it. */
  private readonly written = new Map<string, number>();
  /** Applications another writer (a sync) just wrote the status of: their next comparison reads them from the API server. */
  private readonly readFresh = new Set<string>();
  private readonly movedSources = new MovedSources();
  private readonly refreshLoop: Loop;
  private readonly sourcePoll?: Loop;
  /** Application → when it is looked at again, its sync (or autosync) being held by a sync window. */
  private readonly lookAgainTimers: DelayedActions;
  /** Application → when it is compared again after a sync, until it stops Progressing. */
  private readonly healthChecks: DelayedActions;
  private readonly projectCheck: DelayedActions;
  private readonly watchRefreshes: DelayedActions;
  private readonly previewDeletion: PreviewDeletion;
  private changedProjects?: Set<string> | 'all';
  private stopped = false;

  constructor(
    config: KubeConfig,
    private readonly driver: SyncDriver,
    private readonly applications: ApplicationClient,
    private readonly gate: SyncWindowGate,
    private readonly options: ApplicationRefresherOptions,
    private readonly logger: Logger,
    /** An owned Application changed or is looked at again: its operation is the operation queue's. */
    private readonly observed: (application: Application) => void,
    /**
     * A periodic resync starts: every owned Application's operation is handed on again after this,
     * so a queue that lost its jobs (Redis restarted empty, or flushed) is rebuilt from Kubernetes.
     */
    private readonly resyncing: () => void = () => undefined,
    /** Whether this replica is syncing the Application (`namespace/name`) now. */
    private readonly syncing: (key: string) => boolean = () => false,
  ) {
    const registry = options.registry ?? new SchedulerRegistry();
    this.previewDeletion = new PreviewDeletion(driver, applications, logger);
    const informers = options.informers ?? new SharedInformers(config, (m) => logger.warn(m));
    this.informers = options.namespaces.map((namespace) =>
      informers.view<Application>({ apiVersion: API_VERSION, kind: 'Application', namespace }, 'applications'),
    );
    for (const informer of this.informers) {
      informer.on('add', (app) => this.observe(app));
      informer.on('update', (app) => this.observe(app));
      informer.on('delete', (app) => {
        this.movedSources.forget(app);
        this.written.delete(keyOf(app));
        options.watches?.untrack(keyOf(app));
      });
    }
    this.refreshLoop = new Loop({ name: 'application-refresh', intervalMs: options.refreshIntervalMs, registry }, () => {
      const owned = this.owned();
      this.resyncing();
      for (const application of owned) this.observed(application);
      return this.refreshEach(owned);
    });
    if (options.sourcePollMs > 0)
      this.sourcePoll = new Loop({ name: 'source-poll', intervalMs: options.sourcePollMs, registry }, () => this.refreshMovedSources());
    this.lookAgainTimers = new DelayedActions('application-look-again', registry);
    this.healthChecks = new DelayedActions('application-health-check', registry);
    this.projectCheck = new DelayedActions('application-project-check', registry);
    this.watchRefreshes = new DelayedActions('application-watch-refresh', registry);
    options.watches?.onChange((key) => this.objectsChanged(key));
  }

  async start(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.start()));
    // The first refresh of every Application runs in the background, as every later one.
    void this.refreshLoop.start();
    void this.sourcePoll?.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const actions of [this.lookAgainTimers, this.healthChecks, this.projectCheck, this.watchRefreshes]) actions.cancelAll();
    await Promise.all([this.refreshLoop.stop(), this.sourcePoll?.stop()]);
    await Promise.all([...this.informers.map((i) => i.stop()), this.options.watches?.stop()]);
  }

  /** An Application changed: refreshed if its status is stale, and handed on for its operation. */
  observe(application: Application): void {
    this.movedSources.seen(application);
    if (this.stopped) return;
    if (!this.owns(application)) {
      this.options.watches?.untrack(keyOf(application));
      return;
    }
    this.options.watches?.track(application);
    if (application.metadata.deletionTimestamp) {
      void this.previewDeletion.handle(application);
      return;
    }
    if (this.needsRefresh(application)) void this.refresh(application);
    this.observed(application);
  }

  /** Ownership moved: what this replica now owns is observed again. */
  observeAll(): void {
    const owned = this.owned();
    // The watches of clusters handed to another replica stop.
    const keys = new Set(owned.map(keyOf));
    this.options.watches?.retain((key) => keys.has(key));
    for (const application of owned) this.observe(application);
  }

  /**
   * A project (or the fleet it is evaluated against) changed: the Applications whose verdict
   * changed are refreshed now, so conditions appear and clear without waiting for the next
   * periodic refresh. Without a name, every Application is checked. Changes arriving together (a
   * relist of every cluster Secret) are checked once.
   */
  projectChanged(name?: string): void {
    if (this.stopped) return;
    this.changedProjects = name === undefined || this.changedProjects === 'all' ? 'all' : (this.changedProjects ?? new Set()).add(name);
    if (this.projectCheck.has('projects')) return;
    this.projectCheck.schedule('projects', PROJECT_CHECK_DELAY_MS, () => {
      const projects = this.changedProjects;
      this.changedProjects = undefined;
      const changed = this.owned().filter((application) => {
        if (projects !== 'all' && !projects?.has(projectNameOf(application))) return false;
        const validation = this.options.projects.validate(application);
        return !deepEqual(validation.valid ? [] : validation.conditions, specConditionsOf(application.status ?? {}));
      });
      void this.refreshEach(changed);
    });
  }

  /** One timer per Application: after `delayMs`, `action` gets the Application as the cache has it then. */
  lookAgain(application: Application, delayMs: number, action: (cached: Application) => void): void {
    const { namespace, name } = application.metadata;
    this.lookAgainTimers.schedule(keyOf(application), delayMs, () => {
      const cached = this.cached(namespace, name);
      if (cached) action(cached);
    });
  }

  /**
   * Argo CD watches its clusters, so health changes after a sync show at once; the direct driver
   * instead re-compares a just-synced Application on a short backoff until it stops Progressing.
   */
  watchHealth(namespace: string, name: string, delayMs = 100, deadline = Date.now() + 120_000): void {
    if (this.stopped || Date.now() > deadline) return;
    this.healthChecks.schedule(`${namespace}/${name}`, delayMs, () => {
      const application = this.cached(namespace, name);
      if (!application) return;
      // Where every kind the Application tracks is watched, its events compare it again: no backoff. It is compared once
      // now, read from the API server, since the status the sync just wrote may be older than what the watch saw.
      if (this.options.watches?.covers(application)) {
        this.readFresh.add(keyOf(application));
        this.objectsChanged(keyOf(application));
        return;
      }
      void this.refresh(application).then(() => {
        const health = (this.cached(namespace, name) ?? application).status?.health?.status;
        if (isSettling(health)) this.watchHealth(namespace, name, Math.min(delayMs * 2, 2000), deadline);
      });
    });
  }

  /** The Application as the watch last showed it. */
  cached(namespace: string | undefined, name: string): Application | undefined {
    return this.informers.map((i) => i.get(name, namespace)).find(Boolean);
  }

  /** A sync of the Application is about to compare it for its result: the changes of its objects seen so far are in that comparison. */
  syncComparing(namespace: string, name: string): void {
    this.changedWhileSyncing.delete(`${namespace}/${name}`);
  }

  /**
   * A sync of the Application ended: compared again if it did not end settled, or if its objects changed after the comparison
   * it made at its end began (against the status the sync wrote, read from the API server until the cache has it).
   */
  syncEnded(namespace: string, name: string, end: SyncEnd): void {
    const key = `${namespace}/${name}`;
    const changed = this.changedWhileSyncing.delete(key);
    const written = Number(end.writtenVersion);
    if (Number.isFinite(written)) this.written.set(key, Math.max(written, this.written.get(key) ?? 0));
    if (!end.settled) this.watchHealth(namespace, name);
    else if (changed) this.objectsChanged(key);
  }

  /** An object the Application tracks changed on its cluster: compared again shortly (once for a burst of events). */
  private objectsChanged(key: string): void {
    if (this.stopped || this.watchRefreshes.has(key)) return;
    this.watchRefreshes.schedule(key, WATCH_DEBOUNCE_MS, () => {
      // The sync compares the Application as it writes its result; a comparison written meanwhile would only make that write conflict.
      if (this.syncing(key)) {
        this.changedWhileSyncing.add(key);
        return;
      }
      if (this.refreshing.has(key)) {
        this.changedWhileRefreshing.add(key);
        return;
      }
      void this.latest(key).then((application) => {
        if (!application || application.metadata.deletionTimestamp || !this.owns(application)) return;
        // Another comparison started meanwhile: it may have read the objects before this change.
        if (this.refreshing.has(key)) this.changedWhileRefreshing.add(key);
        else return this.refresh(application);
      });
    });
  }

  /**
   * The Application as cached, or read from the API server when the cache has not yet seen this
   * refresher's last write: a comparison against an older status could take a change for none.
   */
  private async latest(key: string): Promise<Application | undefined> {
    const [namespace, name] = key.split('/');
    const cached = this.cached(namespace, name);
    const written = this.written.get(key);
    if (this.readFresh.delete(key)) return this.applications.get(namespace, name).catch(() => cached);
    if (!cached || written === undefined) return cached;
    if (Number(cached.metadata.resourceVersion) >= written) {
      this.written.delete(key);
      return cached;
    }
    return this.applications.get(namespace, name).catch(() => cached);
  }

  private async patch(application: Application, patch: ApplicationPatch): Promise<void> {
    const written = Number((await this.applications.patch(application, patch)).metadata?.resourceVersion);
    if (Number.isFinite(written)) this.written.set(keyOf(application), written);
  }

  async refresh(application: Application): Promise<void> {
    const key = keyOf(application);
    if (this.refreshing.has(key) || this.stopped) return;
    this.refreshing.add(key);
    try {
      const validation = this.options.projects.validate(application);
      // As Argo CD: a spec its project refuses is not compared (its cluster is not even read), and is never auto-synced.
      const comparison = validation.valid ? await this.compare(application) : await this.writeSpecConditions(application, validation.conditions);
      if (application.metadata.annotations?.[REFRESH_ANNOTATION] !== undefined)
        await this.patch(application, { metadata: { annotations: { [REFRESH_ANNOTATION]: null } } });
      if (!comparison) return;
      await this.writeComparison(application, comparison);
      const decision =
        automatedSyncEnabled(application) && !application.operation && comparison.sync === 'OutOfSync'
          ? autosync(application, comparison, this.options.clock())
          : undefined;
      if (decision && 'retryInMs' in decision) {
        if (decision.retryInMs < this.options.refreshIntervalMs) this.lookAgain(application, decision.retryInMs, (cached) => void this.refresh(cached));
      } else if (decision) {
        const hold = this.gate.autosyncHold(application);
        if (hold !== undefined) {
          if (hold < this.options.refreshIntervalMs) this.lookAgain(application, hold, (cached) => void this.refresh(cached));
          return;
        }
        await this.patch(application, { operation: decision.operation });
      }
    } catch (error) {
      if (!this.stopped) this.logger.warn('refresh failed', { application: key, error: describeKubeError(error) });
    } finally {
      this.refreshing.delete(key);
      if (this.changedWhileRefreshing.delete(key)) this.objectsChanged(key);
    }
  }

  private owns(application: Application): boolean {
    return this.options.owns?.(application) ?? true;
  }

  private owned(): Application[] {
    return this.informers.flatMap((i) => i.list()).filter((a) => !a.metadata.deletionTimestamp && this.owns(a));
  }

  /** Refreshes Applications a bounded number at a time, so a large fleet does not open thousands of connections at once. */
  private async refreshEach(applications: Application[]): Promise<void> {
    await forEachLimited(applications, this.options.refreshConcurrency, (application) => this.refresh(application));
  }

  /** The Applications whose source now names another commit than the one they were compared with. */
  private async refreshMovedSources(): Promise<void> {
    // An unreachable repository is reported by the refresh of each Application, not here.
    const unresolved = new Set<string>();
    for (const [source, application, tracked] of this.movedSources.sources()) {
      const revision = await this.driver.revision(tracked, application.spec.project ?? '').catch(() => undefined);
      if (revision) this.movedSources.resolvedTo(source, revision);
      else unresolved.add(source);
    }
    await this.refreshEach(this.movedSources.behindNow(unresolved).filter((a) => !a.metadata.deletionTimestamp && this.owns(a)));
  }

  /** As Argo CD: never compared, compared with another source or destination, or asked to by annotation. */
  private needsRefresh(application: Application): boolean {
    const compared = application.status?.sync?.comparedTo;
    return application.metadata.annotations?.[REFRESH_ANNOTATION] !== undefined || !compared || !deepEqual(compared, comparedTo(application));
  }

  private async compare(application: Application): Promise<Comparison | undefined> {
    try {
      return await this.driver.refresh(application);
    } catch (error) {
      const message = (error as Error).message;
      const failure = error instanceof ComparisonFailure ? { revision: error.revision, revisions: error.revisions } : undefined;
      const conditions = [{ type: 'ComparisonError', message, lastTransitionTime: this.options.clock().toISOString() }];
      const status = application.status ?? {};
      if (
        !deepEqual(
          status.conditions?.map((c) => c.message),
          [message],
        ) ||
        (failure && revisionKey(status.sync) !== revisionKey(failure))
      ) {
        await this.patch(application, {
          status: { conditions, sync: { status: 'Unknown', comparedTo: comparedTo(application), ...(failure ? revisionFields(failure) : {}) } },
        });
      }
      return undefined;
    }
  }

  /** Argo CD's refresh of a spec that breaks its project: the conditions, and sync and health Unknown. */
  private async writeSpecConditions(application: Application, conditions: SpecCondition[]): Promise<undefined> {
    const status = application.status ?? {};
    if (deepEqual(specConditionsOf(status), conditions) && status.sync?.status === 'Unknown' && deepEqual(status.sync?.comparedTo, comparedTo(application)))
      return undefined;
    const now = this.options.clock().toISOString();
    await this.patch(application, {
      status: {
        conditions: conditions.map((c) => ({ ...c, lastTransitionTime: now })),
        sync: { status: 'Unknown', comparedTo: comparedTo(application) },
        health: { status: 'Unknown', message: null },
        reconciledAt: now,
      },
    });
    return undefined;
  }

  private async writeComparison(application: Application, comparison: Comparison): Promise<void> {
    const status = application.status ?? {};
    const next = {
      ...comparisonStatus(application, comparison),
      ...(comparison.sourceTypes ? { sourceTypes: comparison.sourceTypes } : { sourceType: comparison.sourceType }),
    };
    const same =
      deepEqual(next.sync, status.sync) && deepEqual(next.health, status.health) && deepEqual(next.resources, status.resources) && !status.conditions?.length;
    if (same) return;
    // A health without a message clears the one the last comparison wrote.
    const health = { message: null, ...next.health };
    await this.patch(application, { status: { ...next, health, conditions: null, reconciledAt: this.options.clock().toISOString() } });
  }
}
