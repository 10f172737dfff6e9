import type { AppProject } from '../api/app-project.js';
import { API_VERSION, type Application } from '../api/application.js';
import type { ApplicationSet } from '../api/application-set.js';
import type { Secret } from '../api/meta.js';
import { ROLLOUT_BUDGET_API_VERSION, ROLLOUT_BUDGET_PLURAL, type RolloutBudget } from '../api/rollout-budget.js';
import { isRollingSync } from '../rollout/steps.js';
import { usesGenerator } from '../generators/transform.js';
import type { GeneratorContext } from '../generators/generator.js';
import type { GeneratorRegistry } from '../generators/registry.js';
import { describeKubeError } from '../kube/api-errors.js';
import { KubeEventRecorder } from '../kube/event-recorder.js';
import { KubeInformer } from '../kube/informer.js';
import { SharedInformers, type InformerView } from '../kube/shared-informers.js';
import type { KubeConfig } from '../kube/kube-config.js';
import { RecentWrites } from '../kube/recent-writes.js';
import { ObjectClient } from '../kube/object-client.js';
import type { Logger } from '../observability/logger.js';
import type { ControllerMetrics } from '../observability/metrics.js';
import { ApplicationSetReconciler, type ReconcilerOptions, type ReconcilerStore } from './reconciler.js';
import { OwnershipIndex } from './ownership-index.js';
import { changeWakesOwner, pendingApplications } from './application-change.js';
import { WorkQueue } from './work-queue.js';
import { ReconcilePacing } from './reconcile-pacing.js';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Loop } from '../lib/loop.js';

export interface ControllerSettings extends ReconcilerOptions {
  /** Namespaces whose ApplicationSets are reconciled (Argo CD's --applicationset-namespaces); the first is Argo CD's own. */
  namespaces: string[];
  concurrency: number;
  /** The time reconciles plan rollouts at (tests move it); the system clock by default. */
  clock?: () => Date;
  /** How often the branches pinned RollingSyncs release from are asked for new commits (one ls-remote per branch). */
  releasePollMs: number;
}

/** What of an ApplicationSet, other than its status, a reconcile depends on. */
function fingerprint(appSet: ApplicationSet): string {
  const { generation, labels, annotations, finalizers, deletionTimestamp } = appSet.metadata;
  return JSON.stringify([generation, labels, annotations, finalizers, deletionTimestamp]);
}

/** Whether an ApplicationSet not yet generated here may read the fleet (a cluster Secret change can change its Applications). */
function readsClusters(appSet: ApplicationSet): boolean {
  return ['clusters', 'placement', 'clusterDecisionResource'].some((kind) => usesGenerator(appSet.spec?.generators, kind));
}

/**
 * Wires informers on ApplicationSets and Applications to a keyed work queue and the reconciler.
 * A change to an ApplicationSet beyond its status, or a change to an Application it owns that its
 * reconcile reads (not a periodic refresh), reconciles that ApplicationSet.
 */
export class ApplicationSetController {
  private readonly client: ObjectClient;
  private readonly appSetInformers: KubeInformer<ApplicationSet>[];
  private readonly appInformers: InformerView<Application>[];
  /** Cluster-scoped; not part of readiness, so a cluster without the CRD still runs every other rollout. */
  private readonly budgetInformer: KubeInformer<RolloutBudget>;
  private readonly queue: WorkQueue;
  private readonly reconciler: ApplicationSetReconciler;
  private readonly store: ReconcilerStore;
  private started = false;
  private readonly seen = new Map<string, string>();
  /** Which ApplicationSets this replica reconciles (all, unless sharded). */
  private owns: (key: string) => boolean = () => true;
  private readonly appSetListeners: (() => void)[] = [];
  /** When the reconciles Application changes ask for run. */
  private readonly pacing = new ReconcilePacing();
  /** The cached Applications by the ApplicationSet that controls them: a reconcile reads its own, not the namespace's. */
  private readonly ownership = new OwnershipIndex();
  /** Pinned Applications name commits: a pushed commit is looked for, since no Application changes to say so. */
  private readonly releasePoll: Loop;

  constructor(
    config: KubeConfig,
    private readonly settings: ControllerSettings,
    registry: GeneratorRegistry,
    private readonly context: GeneratorContext,
    /** AppProjects of Argo CD's namespace, by name (from an informer cache). */
    private readonly projects: (name: string) => AppProject | undefined,
    private readonly logger: Logger,
    private readonly metrics?: ControllerMetrics,
    /** The process's shared caches: the application controller follows the same Applications (default: caches of its own). */
    informers?: SharedInformers,
    schedules = new SchedulerRegistry(),
  ) {
    this.client = new ObjectClient(config);
    const onError = (message: string) => logger.warn(message);
    this.appSetInformers = settings.namespaces.map(
      (namespace) => new KubeInformer<ApplicationSet>(config, { apiVersion: API_VERSION, kind: 'ApplicationSet', namespace }, 'applicationsets', onError),
    );
    const shared = informers ?? new SharedInformers(config, onError);
    this.appInformers = settings.namespaces.map((namespace) =>
      shared.view<Application>({ apiVersion: API_VERSION, kind: 'Application', namespace }, 'applications'),
    );
    this.budgetInformer = new KubeInformer<RolloutBudget>(
      config,
      { apiVersion: ROLLOUT_BUDGET_API_VERSION, kind: 'RolloutBudget' },
      ROLLOUT_BUDGET_PLURAL,
      onError,
    );
    for (const event of ['add', 'update', 'delete'] as const) this.budgetInformer.on(event, () => this.refresh(isRollingSync));
    const events = new KubeEventRecorder(this.client, 'regatta-applicationset-controller', onError);
    this.store = this.createStore();
    this.reconciler = new ApplicationSetReconciler(
      this.store,
      { record: (appSet, ...rest) => events.record(appSet, ...rest) },
      registry,
      context,
      settings,
      settings.clock,
    );
    this.releasePoll = new Loop({ name: 'release-poll', intervalMs: settings.releasePollMs, registry: schedules }, async () =>
      this.reconcileKeys(await this.reconciler.movedReleases()),
    );
    this.queue = new WorkQueue(
      (key) => this.reconcileKey(key),
      { concurrency: settings.concurrency },
      (key, error, retryInMs) => logger.error('reconcile failed', { applicationset: key, error: describeKubeError(error), retryInMs }),
    );

    for (const informer of this.appSetInformers) {
      informer.on('add', (appSet) => {
        this.enqueue(appSet);
        for (const listener of this.appSetListeners) listener();
      });
      informer.on('update', (appSet) => {
        if (this.changedBeyondStatus(appSet)) this.enqueue(appSet);
      });
      informer.on('delete', (appSet) => {
        this.seen.delete(`${appSet.metadata.namespace}/${appSet.metadata.name}`);
        this.pacing.forget(`${appSet.metadata.namespace}/${appSet.metadata.name}`);
        this.reconciler.forget(appSet.metadata.namespace ?? '', appSet.metadata.name);
        this.metrics?.forget(appSet.metadata.namespace ?? '', appSet.metadata.name);
        for (const listener of this.appSetListeners) listener();
      });
    }
    for (const informer of this.appInformers) {
      const owner = (application: Application, deleted = false) => {
        const previous = this.ownership.tracked(application);
        const key = this.ownership.track(application, deleted);
        if (key && previous && !deleted && !changeWakesOwner(previous, application, this.awaitsRefresh(key, application))) return;
        if (key) this.queue.addAfter(key, this.pacing.delayForChange(key));
        // Any Application's sync or health may free room in a RolloutBudget another ApplicationSet waits on.
        for (const waiter of this.reconciler.waitingOnBudgets()) if (waiter !== key) this.queue.addAfter(waiter, this.pacing.delayForChange(waiter));
      };
      informer.on('add', (application) => owner(application));
      informer.on('update', (application) => owner(application));
      informer.on('delete', (application) => owner(application, true));
    }
  }

  async start(): Promise<void> {
    this.queue.resume();
    await Promise.all([...this.appInformers, ...this.appSetInformers].map((i) => i.start()));
    await this.budgetInformer.start().catch((error: unknown) => this.logger.warn(`RolloutBudgets are not read: ${describeKubeError(error)}`));
    this.started = true;
    this.reconcileAll();
    void this.releasePoll.start();
    this.logger.info('ApplicationSet controller started', { namespaces: this.settings.namespaces });
  }

  async stop(): Promise<void> {
    this.queue.stop();
    await this.releasePoll.stop();
    await Promise.all([...this.appInformers, ...this.appSetInformers, this.budgetInformer].map((i) => i.stop()));
    await this.settings.budgetReservations?.close();
    this.started = false;
  }

  isReady(): boolean {
    return this.started && [...this.appInformers, ...this.appSetInformers].every((i) => i.hasSynced());
  }

  /** Called after an ApplicationSet is added or removed. */
  onAppSetsChanged(listener: () => void): void {
    this.appSetListeners.push(listener);
  }

  /** Every ApplicationSet seen, as `namespace/name` (what sharding assigns). */
  appSetKeys(): string[] {
    return this.appSetInformers.flatMap((i) => i.list()).map((a) => `${a.metadata.namespace}/${a.metadata.name}`);
  }

  /** From now on only the ApplicationSets `owns` accepts are reconciled here (sharding); call again when ownership changes. */
  shardBy(owns: (key: string) => boolean): void {
    this.owns = owns;
    this.reconcileAll();
  }

  /** Queues every known ApplicationSet (start-up, cluster changes, benchmarks). */
  reconcileAll(): void {
    for (const informer of this.appSetInformers) for (const appSet of informer.list()) this.enqueue(appSet);
  }

  /** Queues the ApplicationSets named `namespace/name` (sharding moved them to this replica). */
  reconcileKeys(keys: string[]): void {
    const wanted = new Set(keys);
    this.refresh((appSet) => wanted.has(`${appSet.metadata.namespace}/${appSet.metadata.name}`));
  }

  /** Queues the ApplicationSets a predicate selects (e.g. those whose Git generators read a pushed repository). */
  refresh(select: (appSet: ApplicationSet) => boolean): number {
    let count = 0;
    for (const informer of this.appSetInformers) {
      for (const appSet of informer.list()) {
        if (!select(appSet)) continue;
        this.enqueue(appSet);
        count++;
      }
    }
    return count;
  }

  /**
   * A cluster Secret was added, changed or removed: queues the ApplicationSets whose last generation
   * read it or whose selectors accept it now (argo-cd #10952: not every ApplicationSet that reads the fleet).
   */
  clusterSecretChanged(secret: Secret): number {
    return this.refresh(
      (appSet) => this.reconciler.isAffectedByClusterSecret(appSet.metadata.namespace ?? '', appSet.metadata.name, secret) ?? readsClusters(appSet),
    );
  }

  /** A push was announced (a Git webhook): the branches pinned RollingSyncs release from are asked now, not at the next poll. */
  pushed(): void {
    void this.releasePoll.trigger();
  }

  /** Resolves when the queue has drained (tests and benchmarks). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /**
   * As Argo CD's predicate: the controller's own status writes do not wake it again. Spec
   * (generation), labels, annotations (rollout controls, refresh), finalizers and deletion do.
   */
  private changedBeyondStatus(appSet: ApplicationSet): boolean {
    return this.seen.get(`${appSet.metadata.namespace}/${appSet.metadata.name}`) !== fingerprint(appSet);
  }

  /** Whether the owner's rollout has this Application Pending, waiting for it to be refreshed after its release. */
  private awaitsRefresh(key: string, application: Application): boolean {
    const [namespace, name] = key.split('/');
    return pendingApplications(this.store.getApplicationSet(namespace, name)?.status?.applicationStatus).has(application.metadata.name);
  }

  private enqueue(appSet: ApplicationSet): void {
    this.seen.set(`${appSet.metadata.namespace}/${appSet.metadata.name}`, fingerprint(appSet));
    this.queue.add(`${appSet.metadata.namespace}/${appSet.metadata.name}`);
  }

  private async reconcileKey(key: string): Promise<{ requeueAfterMs?: number }> {
    if (!this.owns(key)) return {};
    const [namespace, name] = key.split('/');
    const stop = this.metrics?.reconcile.startTimer({ namespace, name });
    this.pacing.started(key);
    try {
      const outcome = await this.reconciler.reconcile(namespace, name);
      this.metrics?.apiWrites.inc({ namespace, name }, outcome.writes);
      if (outcome.rendered) this.metrics?.generationsRendered.inc({ namespace, name });
      this.recordInfo(namespace, name, outcome.ownedApplications);
      if (outcome.failed) this.metrics?.reconcileErrors.inc({ namespace, name });
      return outcome.requeueAfterSeconds === undefined ? {} : { requeueAfterMs: outcome.requeueAfterSeconds * 1000 };
    } catch (error) {
      this.metrics?.reconcileErrors.inc({ namespace, name });
      throw error;
    } finally {
      this.pacing.ended(key);
      stop?.();
    }
  }

  private recordInfo(namespace: string, name: string, ownedApplications: number): void {
    if (!this.metrics) return;
    const appSet = this.store.getApplicationSet(namespace, name);
    if (appSet) this.metrics.recordApplicationSet(appSet, ownedApplications);
  }

  private createStore(): ReconcilerStore {
    const indexOf = (namespace: string) => this.settings.namespaces.indexOf(namespace);
    const withName = (kind: string, namespace: string | undefined, name: string, patch: Record<string, unknown>) => ({
      apiVersion: API_VERSION,
      kind,
      ...patch,
      metadata: { ...(patch.metadata as object | undefined), name, namespace },
    });
    const appSets = new RecentWrites<ApplicationSet>();
    const applications = new RecentWrites<Application>();
    const patchStatus = async (appSet: ApplicationSet, status: Record<string, unknown>, resourceVersion?: string) => {
      const { namespace, name } = appSet.metadata;
      appSets.remember((await this.client.patchStatus(API_VERSION, 'applicationsets', namespace ?? '', name, status, resourceVersion)) as ApplicationSet);
    };
    return {
      getApplicationSet: (namespace, name) => appSets.get(this.appSetInformers[indexOf(namespace)]?.get(name, namespace), namespace, name),
      listApplications: (namespace, owner) => applications.list(this.ownership.owned(namespace, owner)),
      apply: async (application) => {
        const stored = await this.client.apply(application);
        applications.remember(stored);
        return stored;
      },
      patchApplication: async (namespace, name, patch) => {
        applications.remember((await this.client.mergePatch(withName('Application', namespace, name, patch))) as Application);
      },
      deleteApplication: (application) => this.client.delete(application),
      patchApplicationSetStatus: (appSet, status) => patchStatus(appSet, status),
      patchApplicationSetStatusAt: (appSet, status) => patchStatus(appSet, status, appSet.metadata.resourceVersion),
      patchApplicationSetStatusEntries: async (appSet, operations) => {
        appSets.remember(
          (await this.client.jsonPatchStatus(
            API_VERSION,
            'applicationsets',
            appSet.metadata.namespace ?? '',
            appSet.metadata.name,
            operations,
          )) as ApplicationSet,
        );
      },
      patchApplicationSet: async (appSet, patch) => {
        appSets.remember((await this.client.mergePatch(withName('ApplicationSet', appSet.metadata.namespace, appSet.metadata.name, patch))) as ApplicationSet);
      },
      getAppProject: (name) => this.projects(name),
      listRolloutBudgets: () => this.budgetInformer.list(),
      listAllApplications: () => applications.list(this.appInformers.flatMap((i) => i.list())),
      listApplicationSets: () => appSets.list(this.appSetInformers.flatMap((i) => i.list())),
      // From the watched settings, not a GET per reconcile.
      argocdConfigMap: async () => {
        const data = await this.context.settings.configMapData('argocd-cm');
        return data && { data };
      },
    };
  }
}
