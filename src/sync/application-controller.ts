import { automatedSyncEnabled, type Application } from '../api/application.js';
import type { KubeObject } from '../api/meta.js';
import { describeKubeError } from '../kube/api-errors.js';
import { KubeInformer } from '../kube/informer.js';
import type { KubeConfig } from '../kube/kube-config.js';
import { ObjectClient } from '../kube/object-client.js';
import type { Logger } from '../observability/logger.js';
import { replacementPatch } from '../lib/merge-patch.js';
import { deepEqual } from '../lib/json-values.js';
import type { SyncRequest, SyncWindowVerdict } from '../projects/sync-windows.js';
import { PROMOTION_INFO } from '../rollout/planner.js';
import { forEachLimited } from '../lib/for-each-limited.js';
import { projectNameOf, type SpecCondition } from '../projects/application-validation.js';
import type { ProjectGuard } from './project-guard.js';
import { ComparisonFailure, type Comparison, type SyncDriver, type SyncOutcome } from './sync-driver.js';
import { syncKeyOf, type SyncJob, type SyncQueue } from './sync-queue.js';

const API_VERSION = 'argoproj.io/v1alpha1';
/** Recorded in operationState: the sync's key, so any job for a sync that already happened (a retry, a resumed attempt) does nothing. */
export const SYNC_KEY_INFO = 'regatta.dev/sync';
/** Recorded in operationState: which replica ran the sync, for people reading it. */
export const SYNC_REPLICA_INFO = 'regatta.dev/sync-replica';
/** Argo CD's annotation asking for a refresh now; removed once done. */
export const REFRESH_ANNOTATION = 'argocd.argoproj.io/refresh';
/** What Argo CD writes to operationState.message while a sync window holds the operation (phase stays Running). */
export const SYNC_WINDOW_BLOCKED_MESSAGE = 'Sync operation blocked by sync window';
const HISTORY_LIMIT = 10;
/** How long project and cluster changes are gathered before the Applications they touch are checked. */
const PROJECT_CHECK_DELAY_MS = 50;
/** A held sync is looked at this long after its windows open, so the opening moment has surely passed. */
const WINDOW_OPENING_MARGIN_MS = 1000;

export interface ApplicationControllerOptions {
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
  /** The queue of the replica that owns an Application's destination. */
  queueFor: (application: Application) => SyncQueue;
  clusterName: (application: Application) => string;
  /** This replica's name, recorded on the syncs it runs. */
  replica: string;
  /** The AppProject rules every refresh and sync is checked against. */
  projects: ProjectGuard;
  clock?: () => Date;
  /** Whether the sync windows of the Application's project let a sync run (and when they will); without it every sync runs. */
  syncWindows?: (application: Application, request: SyncRequest) => SyncWindowVerdict;
  /** The longest a held sync waits before its windows are read again, so project changes count (default 30 s, as Argo CD requeues a blocked operation). */
  windowRecheckMs?: number;
}

type Status = Record<string, any>;
type Operation = Record<string, any>;

const statusOf = (application: Application) => (application.status ?? {}) as Status;
const comparedTo = (application: Application) => ({ source: application.spec.source, destination: application.spec.destination });
const ownerAppSet = (application: Application) => application.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'ApplicationSet')?.name;
/** The condition types a refresh owns when it checks the spec against the project. */
const SPEC_CONDITION_TYPES = new Set(['InvalidSpecError', 'UnknownError']);
const specConditionsOf = (application: Application): SpecCondition[] =>
  ((statusOf(application).conditions ?? []) as SpecCondition[]).filter((c) => SPEC_CONDITION_TYPES.has(c.type)).map(({ type, message }) => ({ type, message }));

/**
 * Regatta as Argo CD's application controller, for the `direct` driver: refreshes Applications
 * (sync status, health, resources), turns their `operation` (set by RollingSync, a user or
 * autosync) into one BullMQ job per Application and revision, and runs those jobs, writing
 * operationState and history as Argo CD does.
 */
export class ApplicationController {
  private readonly client: ObjectClient;
  private readonly informers: KubeInformer<Application>[];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly refreshing = new Set<string>();
  /** Application → the operation last queued for it. */
  private readonly queued = new Map<string, string>();
  /** Application → its sync running in this process; syncs of one Application run one after another. */
  private readonly running = new Map<string, Promise<void>>();
  /** Application → when it is looked at again, its sync being held by a sync window. */
  private readonly held = new Map<string, NodeJS.Timeout>();
  private stopped = false;
  private changedProjects?: Set<string> | 'all';
  private projectCheck?: NodeJS.Timeout;

  constructor(
    config: KubeConfig,
    private readonly driver: SyncDriver,
    private readonly options: ApplicationControllerOptions,
    private readonly logger: Logger,
  ) {
    this.client = new ObjectClient(config);
    this.informers = options.namespaces.map((namespace) => new KubeInformer<Application>(config, { apiVersion: API_VERSION, kind: 'Application', namespace }, 'applications', (m) => logger.warn(m)));
    for (const informer of this.informers) {
      informer.on('add', (app) => void this.observe(app));
      informer.on('update', (app) => void this.observe(app));
    }
  }

  private get now(): Date {
    return (this.options.clock ?? (() => new Date()))();
  }

  async start(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.start()));
    this.every(this.options.refreshIntervalMs, () => this.refreshEach(this.applications()));
    if (this.options.sourcePollMs > 0) this.every(this.options.sourcePollMs, () => this.refreshMovedSources());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of [...this.timers, ...this.held.values()]) clearTimeout(timer);
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  /** Runs `task` now and then `intervalMs` after each run ends, until stopped. */
  private every(intervalMs: number, task: () => Promise<void>): void {
    const run = () => {
      if (this.stopped) return;
      void task().finally(() => {
        if (this.stopped) return;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          run();
        }, intervalMs);
        this.timers.add(timer);
      });
    };
    run();
  }

  private applications(): Application[] {
    return this.informers.flatMap((i) => i.list()).filter((a) => !a.metadata.deletionTimestamp && (this.options.owns?.(a) ?? true));
  }

  /** Ownership moved: what this replica now owns gets its pending operations queued here. */
  ownershipChanged(): void {
    this.queued.clear();
    for (const application of this.applications()) void this.observe(application);
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
    if (this.projectCheck) return;
    this.projectCheck = setTimeout(() => {
      this.timers.delete(this.projectCheck!);
      this.projectCheck = undefined;
      const projects = this.changedProjects;
      this.changedProjects = undefined;
      const changed = this.applications().filter((application) => {
        if (projects !== 'all' && !projects?.has(projectNameOf(application))) return false;
        const validation = this.options.projects.validate(application);
        return !deepEqual(validation.valid ? [] : validation.conditions, specConditionsOf(application));
      });
      void this.refreshEach(changed);
    }, PROJECT_CHECK_DELAY_MS);
    this.timers.add(this.projectCheck);
  }

  /** Refreshes Applications a bounded number at a time, so a large fleet does not open thousands of connections at once. */
  private async refreshEach(applications: Application[]): Promise<void> {
    await forEachLimited(applications, this.options.refreshConcurrency, (application) => this.refresh(application));
  }

  /** The Applications whose source now names another commit than the one they were compared with. */
  private async refreshMovedSources(): Promise<void> {
    const bySource = new Map<string, Application[]>();
    for (const application of this.applications()) {
      const source = application.spec.source;
      if (!source) continue;
      // Per project too: each project reads the repository with its own credentials.
      const key = JSON.stringify([source.repoURL, source.targetRevision ?? 'HEAD', application.spec.project ?? '']);
      const sharing = bySource.get(key);
      if (sharing) sharing.push(application);
      else bySource.set(key, [application]);
    }
    const moved: Application[] = [];
    for (const applications of bySource.values()) {
      // An unreachable repository is reported by the refresh of each Application, not here.
      const revision = await this.driver.revision(applications[0].spec.source!, applications[0].spec.project ?? '').catch(() => undefined);
      if (revision) moved.push(...applications.filter((a) => statusOf(a).sync?.revision !== revision));
    }
    await this.refreshEach(moved);
  }

  /** As Argo CD: never compared, compared with another source or destination, or asked to by annotation. */
  private needsRefresh(application: Application): boolean {
    const compared = statusOf(application).sync?.comparedTo;
    return application.metadata.annotations?.[REFRESH_ANNOTATION] !== undefined || !compared || !deepEqual(compared, comparedTo(application));
  }

  /**
   * An Application changed: an operation to queue. Each operation is queued once while it stays on
   * the Application; the status updates of its own sync do not queue it again.
   */
  private async observe(application: Application): Promise<void> {
    if (this.stopped || !(this.options.owns?.(application) ?? true) || application.metadata.deletionTimestamp) return;
    if (this.needsRefresh(application)) void this.refresh(application);
    const key = `${application.metadata.namespace}/${application.metadata.name}`;
    const state = statusOf(application).operationState;
    // A sync left Running has no `operation` any more once its ApplicationSet moved on: resume it from what its state recorded.
    const operation = (application.operation ?? (state?.phase === 'Running' ? state.operation : undefined)) as Operation | undefined;
    if (!operation) {
      this.queued.delete(key);
      return;
    }
    // The revision is part of it: a push can re-promote an Application without its operation changing.
    const request = JSON.stringify([operation, statusOf(application).sync?.revision]);
    if (this.queued.get(key) === request) return;
    if (await this.queueOperation(application, operation)) this.queued.set(key, request);
  }

  /** Whether the sync was queued (or found queued already). */
  private async queueOperation(application: Application, operation: Operation): Promise<boolean> {
    const status = statusOf(application);
    const revision: string | undefined = operation.sync?.revision ?? status.sync?.revision;
    // A sync is identified by the commit it deploys: compare first, and the status update brings the operation back here.
    if (!revision) {
      const validation = this.options.projects.validate(application);
      // Never compared because its spec breaks its project: the operation fails now, as Argo CD fails it.
      if (!validation.valid) {
        await this.finishRefused(application, operation, validation.operationMessage);
        return true;
      }
      await this.refresh(application);
      return false;
    }
    const sync = this.identity(application, operation, revision);
    let identity = sync;
    const state = status.operationState;
    if (state?.phase === 'Running' && this.running.has(`${application.metadata.namespace}/${application.metadata.name}`)) return false;
    if (!(await this.windowAllows(application, operation, 'queue'))) return false;
    if (state?.phase === 'Running') {
      // Left Running by a sync that stopped half-way (its replica died, hung or lost the cluster) or held by a sync window: one new job per attempt.
      identity = [...sync, 'resume', state.startedAt ?? ''];
    }
    try {
      await this.options.queueFor(application).enqueue({
        namespace: application.metadata.namespace ?? '',
        application: application.metadata.name,
        revision,
        prune: operation.sync?.prune === true,
        identity,
        key: syncKeyOf(sync),
        cluster: this.options.clusterName(application),
      });
      return true;
    } catch (error) {
      this.logger.warn('cannot queue sync', { application: application.metadata.name, error: describeKubeError(error) });
      return false;
    }
  }

  /**
   * A RollingSync sync is one per (ApplicationSet, Application, revision, promotion): a reconcile
   * that writes the operation again from a stale cache queues nothing new. Other requests (a user's
   * sync, autosync) are new each time the Application's history grows, or an operation finished
   * since: a sync asked for again after a failed or refused one runs again.
   */
  private identity(application: Application, operation: Operation, revision: string): string[] {
    const namespace = application.metadata.namespace ?? '';
    const appSetName = ownerAppSet(application);
    const promotion: string | undefined = operation.info?.find((i: Status) => i.name === PROMOTION_INFO)?.value;
    if (operation.initiatedBy?.username === 'applicationset-controller' && appSetName && promotion) return [`${namespace}/${appSetName}`, application.metadata.name, revision, promotion];
    const status = statusOf(application);
    return [namespace, application.metadata.name, revision, operation.initiatedBy?.automated ? 'auto' : 'manual', String(status.history?.length ?? 0), status.operationState?.finishedAt ?? ''];
  }

  private async refresh(application: Application): Promise<void> {
    const key = `${application.metadata.namespace}/${application.metadata.name}`;
    if (this.refreshing.has(key) || this.stopped) return;
    this.refreshing.add(key);
    try {
      const validation = this.options.projects.validate(application);
      // As Argo CD: a spec its project refuses is not compared (its cluster is not even read), and is never auto-synced.
      const comparison = validation.valid ? await this.compare(application) : await this.writeSpecConditions(application, validation.conditions);
      if (application.metadata.annotations?.[REFRESH_ANNOTATION] !== undefined) await this.patch(application, { metadata: { annotations: { [REFRESH_ANNOTATION]: null } } });
      if (!comparison) return;
      await this.writeComparison(application, comparison);
      if (automatedSyncEnabled(application) && !application.operation && comparison.sync === 'OutOfSync' && statusOf(application).operationState?.syncResult?.revision !== comparison.revision) {
        // As Argo CD: a sync window that holds automated syncs holds the autosync before it is requested.
        const verdict = this.options.syncWindows?.(application, { manual: false, at: this.now });
        if (verdict && !verdict.allowed) {
          const untilOpen = verdict.opensAt ? Date.parse(verdict.opensAt) - this.now.getTime() + WINDOW_OPENING_MARGIN_MS : Infinity;
          if (untilOpen < this.options.refreshIntervalMs) this.lookAgain(application, untilOpen, (cached) => this.refresh(cached));
          return;
        }
        await this.patch(application, { operation: { initiatedBy: { username: 'automated-sync', automated: true }, sync: { revision: comparison.revision, prune: application.spec.syncPolicy?.automated?.prune === true } } });
      }
    } catch (error) {
      if (!this.stopped) this.logger.warn('refresh failed', { application: key, error: describeKubeError(error) });
    } finally {
      this.refreshing.delete(key);
    }
  }

  private async compare(application: Application): Promise<Comparison | undefined> {
    try {
      return await this.driver.refresh(application);
    } catch (error) {
      const message = (error as Error).message;
      const revision = error instanceof ComparisonFailure ? error.revision : undefined;
      const conditions = [{ type: 'ComparisonError', message, lastTransitionTime: this.now.toISOString() }];
      const status = statusOf(application);
      if (!deepEqual(status.conditions?.map((c: Status) => c.message), [message]) || (revision && status.sync?.revision !== revision)) {
        await this.patch(application, { status: { conditions, sync: { status: 'Unknown', comparedTo: comparedTo(application), ...(revision ? { revision } : {}) } } });
      }
      return undefined;
    }
  }

  /** Argo CD's refresh of a spec that breaks its project: the conditions, and sync and health Unknown. */
  private async writeSpecConditions(application: Application, conditions: SpecCondition[]): Promise<undefined> {
    const status = statusOf(application);
    if (deepEqual(specConditionsOf(application), conditions) && status.sync?.status === 'Unknown' && deepEqual(status.sync?.comparedTo, comparedTo(application))) return undefined;
    const now = this.now.toISOString();
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
    const status = statusOf(application);
    const next = {
      sync: { status: comparison.sync, revision: comparison.revision, comparedTo: comparedTo(application) },
      health: comparison.health,
      resources: comparison.resources,
      sourceType: comparison.sourceType,
    };
    const same = deepEqual(next.sync, status.sync) && deepEqual(next.health, status.health) && deepEqual(next.resources, status.resources) && !status.conditions?.length;
    if (same) return;
    await this.patch(application, { status: { ...next, conditions: null, reconciledAt: this.now.toISOString() } });
  }

  /** The worker side: run one queued sync, unless it already ran to completion (this job, or another for the same sync). */
  async runSync(job: SyncJob): Promise<void> {
    const key = `${job.namespace}/${job.application}`;
    const run = (this.running.get(key) ?? Promise.resolve()).catch(() => undefined).then(() => this.syncOnce(job));
    this.running.set(key, run);
    try {
      await run;
    } finally {
      if (this.running.get(key) === run) this.running.delete(key);
    }
  }

  private async syncOnce(job: SyncJob): Promise<void> {
    const application = await this.client.get<Application & KubeObject>(API_VERSION, 'Application', job.namespace, job.application);
    // Queued before the destination moved to another replica: that replica queues it again.
    if (!application || !(this.options.owns?.(application) ?? true)) return;
    const status = statusOf(application);
    const recorded = status.operationState?.operation?.info?.find((i: Status) => i.name === SYNC_KEY_INFO)?.value;
    if (recorded === job.key && status.operationState?.phase !== 'Running') return;
    const operation: Operation = { ...(application.operation ?? status.operationState?.operation ?? { sync: { revision: job.revision, prune: job.prune } }) };
    if (!(await this.windowAllows(application, operation, 'run'))) return;
    operation.info = [
      ...(operation.info ?? []).filter((i: Status) => i.name !== SYNC_KEY_INFO && i.name !== SYNC_REPLICA_INFO),
      { name: SYNC_KEY_INFO, value: job.key },
      { name: SYNC_REPLICA_INFO, value: this.options.replica },
    ];
    const startedAt = this.now.toISOString();
    await this.patch(application, { status: { operationState: { operation, phase: 'Running', message: 'syncing', startedAt } } });

    const outcome = await this.syncPermitted(application, job);
    const finishedAt = this.now.toISOString();
    const history = [...(status.history ?? []), { revision: outcome.revision, deployedAt: finishedAt, deployStartedAt: startedAt, id: (status.history?.at(-1)?.id ?? -1) + 1, source: application.spec.source }];
    const operationState = { operation, phase: outcome.phase, message: outcome.message, startedAt, finishedAt, syncResult: { revision: outcome.revision, source: application.spec.source, resources: outcome.resources } };
    const fresh = await this.client.get<Application & KubeObject>(API_VERSION, 'Application', job.namespace, job.application);
    const comparison = fresh && this.options.projects.validate(fresh).valid ? await this.driver.refresh(fresh).catch(() => undefined) : undefined;
    await this.patch(application, {
      ...(fresh?.operation && deepEqual(fresh.operation, application.operation) ? { operation: null } : {}),
      status: {
        operationState,
        ...(outcome.phase === 'Succeeded' ? { history: history.slice(-HISTORY_LIMIT) } : {}),
        ...(comparison
          ? { sync: { status: comparison.sync, revision: comparison.revision, comparedTo: comparedTo(application) }, health: comparison.health, resources: comparison.resources }
          : {}),
        reconciledAt: this.now.toISOString(),
      },
    });
    if (outcome.phase !== 'Succeeded') this.logger.warn('sync failed', { application: job.application, phase: outcome.phase, message: outcome.message });
    this.watchHealth(job.namespace, job.application);
  }

  /**
   * The sync, once the project admits it as Argo CD's controller does when an operation starts:
   * the spec must still be valid, and with impersonation on the project must name the
   * ServiceAccount to sync as. The driver checks each object before it writes.
   */
  private async syncPermitted(application: Application, job: SyncJob): Promise<SyncOutcome> {
    const refused = (message: string): SyncOutcome => ({ revision: job.revision ?? statusOf(application).sync?.revision ?? '', phase: 'Error', message, resources: [] });
    const validation = this.options.projects.validate(application);
    if (!validation.valid) return refused(validation.operationMessage);
    const identity = this.options.projects.identity(application, validation);
    if ('refused' in identity) return refused(identity.refused);
    return this.driver.sync(application, { revision: job.revision, prune: job.prune, impersonate: identity.impersonate });
  }

  /** Ends an operation that may not start at all (phase Error), as Argo CD records it. */
  private async finishRefused(application: Application, operation: Operation, message: string): Promise<void> {
    const now = this.now.toISOString();
    await this.patch(application, { operation: null, status: { operationState: { operation, phase: 'Error', message, startedAt: now, finishedAt: now } } });
  }

  /**
   * Whether the project's sync windows let the operation start now. When they do not, Argo CD's
   * blocked state is written (operationState Running, its message) and the Application is looked
   * at again when the windows open, or sooner, so a changed project counts. A held sync found by a
   * worker (`run`) gets a new start time, so it is queued again as a new attempt.
   */
  private async windowAllows(application: Application, operation: Operation, when: 'queue' | 'run'): Promise<boolean> {
    if (!this.options.syncWindows) return true;
    const state = statusOf(application).operationState;
    const resumed = state?.phase === 'Running' && state.startedAt ? { startedAt: new Date(state.startedAt) } : {};
    const verdict = this.options.syncWindows(application, { manual: operation.initiatedBy?.automated !== true, at: this.now, ...resumed });
    if (verdict.allowed) return true;
    const untilOpen = verdict.opensAt ? Date.parse(verdict.opensAt) - this.now.getTime() + WINDOW_OPENING_MARGIN_MS : Infinity;
    this.lookAgain(application, Math.min(untilOpen, this.options.windowRecheckMs ?? 30_000), (cached) => {
      this.queued.delete(`${cached.metadata.namespace}/${cached.metadata.name}`);
      return this.observe(cached);
    });
    const message = verdict.error ? `${SYNC_WINDOW_BLOCKED_MESSAGE}: ${verdict.error}` : SYNC_WINDOW_BLOCKED_MESSAGE;
    if (when === 'queue' && state?.phase === 'Running' && state.message === message && deepEqual(state.operation, operation)) return false;
    const startedAt = when === 'queue' && state?.phase === 'Running' && state.startedAt ? state.startedAt : this.now.toISOString();
    try {
      await this.patch(application, { status: { operationState: replacementPatch({ operation, phase: 'Running', message, startedAt }, state ?? null) } });
    } catch (error) {
      // A worker's job fails, so BullMQ runs it again; a queue-time hold is looked at again anyway.
      if (when === 'run') throw error;
      this.logger.warn('cannot record the sync window hold', { application: application.metadata.name, error: describeKubeError(error) });
    }
    return false;
  }

  /** One timer per Application: after `delayMs`, `action` gets the Application as the cache has it then. */
  private lookAgain(application: Application, delayMs: number, action: (cached: Application) => Promise<void>): void {
    const { namespace, name } = application.metadata;
    const key = `${namespace}/${name}`;
    clearTimeout(this.held.get(key));
    const timer = setTimeout(() => {
      this.held.delete(key);
      const cached = this.informers.map((i) => i.get(name, namespace)).find(Boolean);
      if (cached && !this.stopped) void action(cached);
    }, Math.max(0, delayMs));
    this.held.set(key, timer);
  }

  /**
   * Argo CD watches its clusters, so health changes after a sync show at once; the direct driver
   * instead re-compares a just-synced Application on a short backoff until it stops Progressing.
   */
  private watchHealth(namespace: string, name: string, delayMs = 100, deadline = Date.now() + 120_000): void {
    if (this.stopped || Date.now() > deadline) return;
    const timer = setTimeout(() => {
      const cached = () => this.informers.map((i) => i.get(name, namespace)).find(Boolean);
      const application = cached();
      if (!application) return;
      void this.refresh(application).then(() => {
        const health = statusOf(cached() ?? application).health?.status;
        if (health === 'Progressing' || health === 'Missing') this.watchHealth(namespace, name, Math.min(delayMs * 2, 2000), deadline);
      });
    }, delayMs);
    timer.unref?.();
  }

  private async patch(application: Application, patch: Record<string, unknown>): Promise<void> {
    const { metadata, ...rest } = patch;
    await this.client.mergePatch({ apiVersion: API_VERSION, kind: 'Application', metadata: { ...(metadata as object), name: application.metadata.name, namespace: application.metadata.namespace }, ...rest } as unknown as KubeObject);
  }
}
