import type { Application } from '../api/application.js';
import type { AppProject } from '../api/app-project.js';
import type { ApplicationSet, ApplicationSetCondition, ApplicationSetResourceStatus, ApplicationsSyncPolicy } from '../api/application-set.js';
import { forEachLimited } from '../lib/for-each-limited.js';
import { RESOURCES_FINALIZER } from '../api/application.js';
import { validateApplicationSet } from '../api/application-set-schema.js';
import type { GeneratorContext, RegisteredCluster } from '../generators/generator.js';
import type { GeneratorRegistry } from '../generators/registry.js';
import { planRollout, type RolloutInput, type RolloutPlan } from '../rollout/planner.js';
import { rolloutWindowWaits } from '../projects/rollout-window-waits.js';
import { isSyncing, keyOf, rolloutBudgets, type RolloutBudgets } from '../rollout/budget-usage.js';
import type { BudgetReservationStore } from './budget-reservations.js';
import { releasedAt } from '../rollout/budget-holds.js';
import type { RolloutBudget } from '../api/rollout-budget.js';
import { SerialTurns } from '../lib/serial-turns.js';
import { groupIntoSteps, isDeletionOrderReversed, isRollingSync, rollingSyncSteps } from '../rollout/steps.js';
import { pinsRevisions } from '../rollout/revision-pins.js';
import { ReleaseResolutionError, resolveReleaseRevisions, revisionResolver } from './release-revisions.js';
import { ReleaseWatch } from './release-watch.js';
import { IgnoreDifferencesError, validateIgnoreDifferences } from '../api/ignore-differences.js';
import { ConditionType, Reason } from '../api/application-set-conditions.js';
import { applicationSetHealth, nextConditions, UP_TO_DATE_MESSAGE } from './conditions.js';
import { generatedApplicationProblem } from './application-validation.js';
import { rolloutStatusWrite, statusWrite, type JsonPatchOperation, type RolloutStatusUpdate } from './status-write.js';
import { isConflict } from '../kube/api-errors.js';
import { inClusterEnabled } from '../projects/destination-cluster.js';
import { GenerationCache, generateApplications, type GenerationResult } from './generate.js';
import { FleetReads, isAffectedBy, type FleetInterest } from './fleet-reads.js';
import type { Secret } from '../api/meta.js';
import { allowsDelete, effectivePolicy, isOwnedBy, planReconcile, UnchangedApplications } from './plan.js';
import { applyPreviewLifetimes } from './preview-reconcile.js';
import { PreviewStatusReporter } from './preview-status.js';

/** What the reconciler reads (informer caches) and writes (the API server). */
export interface ReconcilerStore {
  getApplicationSet(namespace: string, name: string): ApplicationSet | undefined;
  /** The cached Applications of `namespace` whose controller ownerReference names the ApplicationSet `owner`. */
  listApplications(namespace: string, owner: string): Application[];
  /** Server-side applies an Application; resolves to it as the API server stored it. */
  apply(application: Application): Promise<Application>;
  /** A JSON merge patch of an Application (used to drop fields other writers added, or ownerReferences). */
  patchApplication(namespace: string, name: string, patch: Record<string, unknown>): Promise<void>;
  deleteApplication(application: Application): Promise<void>;
  patchApplicationSetStatus(appSet: ApplicationSet, status: Record<string, unknown>): Promise<void>;
  /** A merge patch of the ApplicationSet's status that the API server refuses (409) unless the object is still at `appSet`'s resourceVersion. */
  patchApplicationSetStatusAt(appSet: ApplicationSet, status: Record<string, unknown>): Promise<void>;
  /** A JSON patch of the ApplicationSet's status: some entries of its lists, guarded by `test` operations. */
  patchApplicationSetStatusEntries(appSet: ApplicationSet, operations: JsonPatchOperation[]): Promise<void>;
  patchApplicationSet(appSet: ApplicationSet, patch: Record<string, unknown>): Promise<void>;
  /** An AppProject in Argo CD's namespace. */
  getAppProject(name: string): AppProject | undefined;
  /** argocd-cm in Argo CD's namespace, when it exists. */
  argocdConfigMap(): Promise<{ data?: Record<string, string> } | undefined>;
  /** Regatta's RolloutBudgets (cluster-scoped). */
  listRolloutBudgets(): RolloutBudget[];
  /** Every cached Application of every watched namespace, whichever ApplicationSet owns it. */
  listAllApplications(): Application[];
  /** Every cached ApplicationSet of every watched namespace. */
  listApplicationSets(): ApplicationSet[];
}

/** How many Application names an aggregated Event lists. */
const EVENT_NAMES_SHOWN = 10;
const WRITE_CONCURRENCY = 16;
/** A reconcile reuses the remote's refs for this long: the rollout's Applications share a few repositories. */
const RELEASE_REFS_MAX_AGE_MS = 1000;
/** After a rollout status write refused as stale: long enough for the informer to bring the version that refused it. */
const STALE_VIEW_REQUEUE_SECONDS = 0.2;

function namesForEvent(names: string[]): string {
  const sorted = [...names].sort();
  const more = sorted.length > EVENT_NAMES_SHOWN ? ` and ${sorted.length - EVENT_NAMES_SHOWN} more` : '';
  return `${sorted
    .slice(0, EVENT_NAMES_SHOWN)
    .map((name) => `"${name}"`)
    .join(', ')}${more}`;
}

export interface ReconcileEvents {
  record(appSet: ApplicationSet, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export interface ReconcilerOptions {
  /** Argo CD's namespace: its AppProjects apply, and Applications elsewhere need their project's sourceNamespaces. */
  argocdNamespace: string;
  /** The controller-wide policy (Argo CD's --policy); default `sync`. */
  policy: ApplicationsSyncPolicy;
  /** Argo CD's --enable-policy-override: whether an ApplicationSet's own applicationsSync counts. */
  allowPolicyOverride: boolean;
  maxDeleteRatio?: number;
  preservedAnnotations?: string[];
  preservedLabels?: string[];
  /** Requeue after a failed generation, as Argo CD's ReconcileRequeueOnValidationError (3 minutes). */
  errorRequeueSeconds: number;
  /** RollingSync strategies take effect (Argo CD's --enable-progressive-syncs). */
  enableProgressiveSyncs?: boolean;
  /** Told every rollout plan and what it was computed from, before it is acted on (audits; the e2e replay through `regatta rollout plan`). */
  onRolloutPlanned?: (input: { appSet: ApplicationSet; current: Application[] }, plan: RolloutPlan) => void;
  /**
   * Regatta: reservations the replicas share (Redis) for RolloutBudget syncs, so sharded replicas
   * cannot together exceed a maxConcurrentSyncs. Unset (one replica), the serialized reconciles suffice.
   */
  budgetReservations?: BudgetReservationStore;
}

/** Argo CD polls a reverse deletion every 10 seconds until the step's Applications are gone. */
const REVERSE_DELETION_REQUEUE_SECONDS = 10;

export interface ReconcileOutcome {
  requeueAfterSeconds?: number;
  writes: number;
  /** The generation failed: nothing was created, updated or deleted. */
  failed?: boolean;
  /** The Applications the ApplicationSet owns after this reconcile (its metric), counted without listing them again. */
  ownedApplications: number;
  /** The template was rendered (the last generation could not be reused). */
  rendered?: boolean;
}

/**
 * What a reconcile that found nothing to complain about left behind. A reconcile that sees the same
 * (the same generation, every Application of it valid, the same ApplicationSet version, the same owned
 * Applications at the same versions) has nothing to do: it writes nothing and skips planning.
 */
interface SettledState {
  generation: GenerationResult;
  appSetVersion: string | undefined;
  owned: string;
  requeueAfterSeconds?: number;
}

const byName = (applications: Application[]) =>
  [...applications].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));

/** The owned Applications by name and version: any write to one (a hand edit, a status change) changes it. */
function ownedVersions(owned: Application[]): string {
  return owned.map((a) => `${a.metadata.name}@${a.metadata.resourceVersion ?? ''}`).join(',');
}

/**
 * One ApplicationSet, level-triggered: generate from its spec, compare with the Applications it
 * owns (from the cache), write only the differences, then state the outcome in its status.
 * Never deletes on doubt: any failure before a complete, valid generation stops the writes.
 */
export class ApplicationSetReconciler {
  private readonly previewStatuses: PreviewStatusReporter;

  constructor(
    private readonly store: ReconcilerStore,
    private readonly events: ReconcileEvents,
    private readonly registry: GeneratorRegistry,
    private readonly context: GeneratorContext,
    private readonly options: ReconcilerOptions,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.previewStatuses = new PreviewStatusReporter(events);
  }

  private readonly generations = new GenerationCache();
  private readonly releaseWatch = new ReleaseWatch();
  private readonly settled = new Map<string, SettledState>();
  /** Per ApplicationSet, the Applications its last plans found needing no write. */
  private readonly unchanged = new Map<string, UnchangedApplications>();
  /** What each ApplicationSet's last generation read of the fleet; absent when it read none. */
  private readonly fleetInterest = new Map<string, FleetInterest>();
  /** ApplicationSets whose generators have run here: only for those is `fleetInterest` known. */
  private readonly generated = new Set<string>();
  /**
   * Rollouts under RolloutBudgets reconcile one at a time: each counts the budgets' usage after
   * the last one's releases are written, so two cannot both take the last room. Across replicas,
   * `budgetReservations` does the same.
   */
  private readonly budgetTurns = new SerialTurns();
  /** ApplicationSets with a step waiting on a RolloutBudget: any Application's change may free room for them. */
  private readonly budgetWaiters = new Set<string>();

  /** Drops what is kept of a deleted ApplicationSet. */
  forget(namespace: string, name: string): void {
    this.generations.forget(`${namespace}/${name}`);
    this.settled.delete(`${namespace}/${name}`);
    this.unchanged.delete(`${namespace}/${name}`);
    this.fleetInterest.delete(`${namespace}/${name}`);
    this.generated.delete(`${namespace}/${name}`);
    this.budgetWaiters.delete(`${namespace}/${name}`);
    this.releaseWatch.forget(`${namespace}/${name}`);
  }

  /** The pinned ApplicationSets (`namespace/name`) whose release branch names another commit than their last reconcile here pinned. */
  movedReleases(): Promise<string[]> {
    return this.releaseWatch.moved(revisionResolver(this.context.repositories, 0));
  }

  /** The ApplicationSets (`namespace/name`) with a step waiting on a RolloutBudget after their last reconcile here. */
  waitingOnBudgets(): string[] {
    return [...this.budgetWaiters];
  }

  /**
   * Whether a change to a cluster Secret can change what the ApplicationSet `namespace/name`
   * generates, by what its last generation read; undefined when it has not generated yet.
   */
  isAffectedByClusterSecret(namespace: string, name: string, secret: Secret): boolean | undefined {
    const key = `${namespace}/${name}`;
    if (!this.generated.has(key)) return undefined;
    const interest = this.fleetInterest.get(key);
    return interest !== undefined && isAffectedBy(interest, secret);
  }

  async reconcile(namespace: string, name: string): Promise<ReconcileOutcome> {
    const appSet = this.store.getApplicationSet(namespace, name);
    if (appSet && this.options.enableProgressiveSyncs && isRollingSync(appSet) && this.store.listRolloutBudgets().length)
      return this.budgetTurns.run(() => this.reconcileNow(namespace, name));
    return this.reconcileNow(namespace, name);
  }

  private async reconcileNow(namespace: string, name: string): Promise<ReconcileOutcome> {
    const appSet = this.store.getApplicationSet(namespace, name);
    if (!appSet) return { writes: 0, ownedApplications: 0 };
    const policy = effectivePolicy(appSet, this.options.policy, this.options.allowPolicyOverride);
    const owned = this.store.listApplications(namespace, name).filter((a) => isOwnedBy(a, appSet));
    const outcome: ReconcileOutcome = { writes: 0, ownedApplications: owned.length };
    const key = `${namespace}/${name}`;
    const lastSettled = this.settled.get(key);
    this.settled.delete(key);

    if (appSet.metadata.deletionTimestamp) {
      await this.finalize(appSet, owned, policy, outcome);
      return outcome;
    }

    const progressive = this.options.enableProgressiveSyncs === true;
    if (progressive && isDeletionOrderReversed(appSet) && !(appSet.metadata.finalizers ?? []).includes(RESOURCES_FINALIZER)) {
      await this.store.patchApplicationSet(appSet, { metadata: { finalizers: [...(appSet.metadata.finalizers ?? []), RESOURCES_FINALIZER] } });
      outcome.writes++;
      // The rest runs against the version this write made: the rollout status is written only at the version planned from.
      return { ...outcome, requeueAfterSeconds: 0 };
    }

    const fail = async (reason: string, message: string): Promise<ReconcileOutcome> => {
      this.events.record(appSet, 'Warning', reason, message);
      await this.writeStatus(appSet, [{ type: ConditionType.ErrorOccurred, status: 'True', reason, message }], false, owned, outcome);
      return { ...outcome, failed: true, requeueAfterSeconds: this.options.errorRequeueSeconds };
    };

    const problems = validateApplicationSet(appSet).filter((p) => p.severity === 'error');
    if (problems.length) {
      return fail(Reason.ApplicationValidationError, problems.map((p) => `${p.field}: ${p.message}`).join('; '));
    }
    try {
      validateIgnoreDifferences(appSet.spec.ignoreApplicationDifferences);
    } catch (error) {
      if (error instanceof IgnoreDifferencesError) return fail(Reason.ApplicationValidationError, `${error.field}: ${error.message}`);
      throw error;
    }

    const fleetReads = new FleetReads();
    const previous = this.generations.last(key);
    const generation = await generateApplications(appSet, this.registry, fleetReads.wrap(this.context), this.generations);
    outcome.rendered = generation !== previous;
    this.recordFleetInterest(key, fleetReads);
    if (generation.failure) {
      const { field, message, reason } = generation.failure;
      return fail(reason, field ? `${field}: ${message}` : message);
    }

    // As Argo CD: Applications whose project is missing or whose destination names no usable
    // cluster are not written (the others are), and being generated they are not deleted either.
    const scope = {
      fleet: { clusters: await this.context.clusters.list(), inClusterEnabled: inClusterEnabled(await this.store.argocdConfigMap()) },
      project: (name: string) => this.store.getAppProject(name),
      argocdNamespace: this.options.argocdNamespace,
    };
    const invalid = new Map<string, string>();
    for (const { application } of generation.generated) {
      const problem = generatedApplicationProblem(application, scope);
      if (problem) invalid.set(application.metadata.name, problem);
    }
    if (invalid.size) {
      // A cluster registered later may be the destination a refused Application names.
      fleetReads.readAll();
      this.recordFleetInterest(key, fleetReads);
    }
    const valid = generation.generated.map((g) => g.application).filter((a) => !invalid.has(a.metadata.name));
    // Rollouts are planned against the clock, so only other ApplicationSets can be found settled.
    const settles = !(progressive && isRollingSync(appSet)) && invalid.size === 0;
    if (
      settles &&
      lastSettled?.generation === generation &&
      lastSettled.appSetVersion === appSet.metadata.resourceVersion &&
      lastSettled.owned === ownedVersions(byName(owned))
    ) {
      this.settled.set(key, lastSettled);
      // Settled for the API server, not necessarily for the SCM: a commit status that failed to post is tried again.
      void this.previewStatuses.report(appSet, generation.generated, owned, this.context.pullRequests);
      return { ...outcome, requeueAfterSeconds: lastSettled.requeueAfterSeconds };
    }
    let rollout: RolloutPlan | undefined;
    let rolloutUpdate: RolloutStatusUpdate | undefined;
    if (!progressive || !pinsRevisions(appSet)) this.releaseWatch.forget(key);
    if (progressive && isRollingSync(appSet)) {
      if (rollingSyncSteps(appSet).length === 0) {
        const message = 'No steps defined for rollout';
        this.events.record(appSet, 'Warning', Reason.ApplicationSetRolloutError, message);
        await this.writeStatus(
          appSet,
          [{ type: ConditionType.ErrorOccurred, status: 'True', reason: Reason.ApplicationSetRolloutError, message }],
          true,
          owned,
          outcome,
        );
        return { ...outcome, requeueAfterSeconds: this.options.errorRequeueSeconds };
      }
      let releaseRevisions: Map<string, string[]> | undefined;
      if (pinsRevisions(appSet)) {
        try {
          const recording = this.releaseWatch.recording(revisionResolver(this.context.repositories, RELEASE_REFS_MAX_AGE_MS));
          releaseRevisions = await resolveReleaseRevisions(valid, recording.resolve);
          this.releaseWatch.record(key, recording.sources);
        } catch (error) {
          if (error instanceof ReleaseResolutionError) return fail(Reason.ApplicationSetRolloutError, error.message);
          throw error;
        }
      }
      const now = this.clock();
      const { budgets, reservations } = await this.budgetsOf(valid, scope.fleet.clusters);
      const input: RolloutInput = {
        appSet,
        desired: valid,
        generated: generation.generated.map((g) => g.application),
        current: owned,
        now,
        windowWaits: rolloutWindowWaits(valid, (name) => this.store.getAppProject(name), now),
        budgets,
        releaseRevisions,
      };
      rollout = planRollout(input);
      if (budgets) {
        await this.releaseReservations(namespace, owned, rollout, budgets, reservations.live);
        rollout = await this.planWithinReservations(namespace, input, rollout, budgets, reservations.down);
      }
      if (rollout.rollout.budgetWaiting?.length) this.budgetWaiters.add(key);
      else this.budgetWaiters.delete(key);
      rolloutUpdate = { applicationStatus: rollout.applicationStatus, rollout: rollout.rollout };
    } else if (appSet.status?.applicationStatus?.length || appSet.status?.rollout) {
      // Argo CD clears the entries when the strategy is no longer RollingSync or progressive syncs are off.
      rolloutUpdate = { applicationStatus: [], rollout: null };
    }
    const desired = rollout ? rollout.desired : valid;
    const survivors = new Set(generation.generated.map((g) => g.application.metadata.name));
    // The Applications' sync and health go with the rollout entries: during a rollout both change on every reconcile, and one write of
    // a large status costs half of two. The status write below then finds them written (unless this reconcile holds deletions).
    let statusHolder = appSet;
    if (rolloutUpdate) {
      try {
        statusHolder = await this.writeRolloutStatus(appSet, rolloutUpdate, resourceStatuses(owned.filter((a) => survivors.has(a.metadata.name))), outcome);
      } catch (error) {
        // Planned from a view another writer has moved past (a replica this ApplicationSet was handed from or to, or a cache behind
        // this replica's own writes): its promotions would be stamped anew and sync again. Nothing is written; the next view plans.
        if (isConflict(error)) return { ...outcome, requeueAfterSeconds: STALE_VIEW_REQUEUE_SECONDS };
        throw error;
      }
    }
    if (rollout) {
      this.options.onRolloutPlanned?.({ appSet, current: owned }, rollout);
      this.recordRolloutEvents(appSet, rollout);
    }

    let unchanged = this.unchanged.get(key);
    if (!unchanged) this.unchanged.set(key, (unchanged = new UnchangedApplications()));
    const plan = planReconcile(
      appSet,
      [...desired, ...generation.generated.map((g) => g.application).filter((a) => invalid.has(a.metadata.name))],
      owned,
      {
        policy,
        maxDeleteRatio: this.options.maxDeleteRatio,
        preservedAnnotations: this.options.preservedAnnotations,
        preservedLabels: this.options.preservedLabels,
      },
      unchanged,
    );

    const conditions: Omit<ApplicationSetCondition, 'lastTransitionTime'>[] = [];
    let firstError: { reason: string; message: string } | undefined;
    if (invalid.size) {
      const names = [...invalid.keys()].sort();
      const message = `${invalid.get(names[names.length - 1])}${names.length > 1 ? ` (and ${names.length - 1} more)` : ''}`;
      firstError = { reason: Reason.ApplicationValidationError, message };
    }
    const written = { created: [] as string[], updated: [] as string[] };
    const stored = new Map<string, Application>();
    let patchedAfterApply = false;
    // Independent objects: written a bounded number at a time, so a promotion of thousands does not queue behind each round trip.
    await forEachLimited(
      plan.changes.filter((c) => !invalid.has(c.application.metadata.name)),
      WRITE_CONCURRENCY,
      async (change) => {
        const appName = change.application.metadata.name;
        try {
          stored.set(appName, await this.store.apply(change.application));
          outcome.writes++;
          if (change.removals) {
            await this.store.patchApplication(namespace, appName, change.removals);
            outcome.writes++;
            patchedAfterApply = true;
          }
          written[change.action === 'create' ? 'created' : 'updated'].push(appName);
          if (change.action === 'create') outcome.ownedApplications++;
        } catch (error) {
          const reason = change.action === 'create' ? Reason.CreateApplicationError : Reason.UpdateApplicationError;
          firstError ??= { reason, message: `failed to ${change.action} Application ${appName}: ${(error as Error).message}` };
        }
      },
    );
    for (const [verb, names] of Object.entries(written)) this.recordPerApplication(appSet, verb, names);
    // When a create or update failed (as Argo CD) or a generated Application was refused by
    // validation (stricter than Argo CD), nothing is deleted this time: a renamed template with a
    // mistake in it must not take the old Applications away while the new ones cannot be written.
    const holdDeletions = firstError !== undefined;
    // Held deletions start no preview's clock either: they may not be closed PRs at all.
    const previews = holdDeletions
      ? { deleteNow: [], keptNames: new Set<string>(), requeueAfterSeconds: undefined }
      : await applyPreviewLifetimes(
          { store: this.store, events: this.events, now: this.clock() },
          appSet,
          plan.deletions,
          owned,
          generation.generated.map((g) => g.application),
          outcome,
        );
    for (const application of previews.deleteNow) {
      try {
        await this.store.deleteApplication(application);
        outcome.writes++;
        outcome.ownedApplications--;
        this.events.record(appSet, 'Normal', 'Deleted', `Deleted Application "${application.metadata.name}"`);
      } catch (error) {
        firstError ??= {
          reason: Reason.DeleteApplicationError,
          message: `failed to delete Application ${application.metadata.name}: ${(error as Error).message}`,
        };
      }
    }

    if (firstError) {
      this.events.record(appSet, 'Warning', firstError.reason, firstError.message);
      conditions.push({ type: ConditionType.ErrorOccurred, status: 'True', ...firstError });
    } else if (plan.held) {
      this.events.record(appSet, 'Warning', Reason.DeletionHeld, plan.held.message);
      conditions.push({ type: ConditionType.ErrorOccurred, status: 'True', reason: Reason.DeletionHeld, message: plan.held.message });
    } else {
      conditions.push({ type: ConditionType.ResourcesUpToDate, status: 'True', reason: Reason.ApplicationSetUpToDate, message: UP_TO_DATE_MESSAGE });
    }
    conditions.push(...(rollout?.conditions ?? []));
    // The Applications as this reconcile leaves them, those it just created included: the status
    // is complete at once, and the reconcile their own watch events cause finds nothing to do.
    const current = [
      ...owned
        .filter((a) => survivors.has(a.metadata.name) || plan.held || holdDeletions || previews.keptNames.has(a.metadata.name))
        .map((a) => stored.get(a.metadata.name) ?? a),
      ...written.created.map((appName) => stored.get(appName)!),
    ];
    await this.writeStatus(statusHolder, conditions, true, current, outcome);
    void this.previewStatuses.report(appSet, generation.generated, owned, this.context.pullRequests);
    outcome.requeueAfterSeconds = minDefined(generation.requeueAfterSeconds, rollout?.requeueAfterSeconds, previews.requeueAfterSeconds);
    // Deletions leave objects whose next versions (finalizers, then gone) are not known here.
    if (settles && !firstError && !plan.held && !patchedAfterApply && plan.deletions.length === 0) {
      this.settled.set(key, {
        generation,
        // As this reconcile left it (its own status write included): the informer catches up to the same version.
        appSetVersion: this.store.getApplicationSet(namespace, name)?.metadata.resourceVersion,
        owned: ownedVersions(byName(current)),
        requeueAfterSeconds: outcome.requeueAfterSeconds,
      });
    }
    if (firstError && firstError.reason !== Reason.ApplicationValidationError) throw new Error(firstError.message);
    if (invalid.size) outcome.requeueAfterSeconds = Math.min(outcome.requeueAfterSeconds ?? Infinity, this.options.errorRequeueSeconds);
    return outcome;
  }

  /**
   * The RolloutBudgets of the planned Applications' clusters with their fleet-wide usage. The fleet's
   * Applications and ApplicationSets are listed only when a budget exists: without one, a rollout's
   * reconcile reads nothing more.
   */
  private async budgetsOf(
    planned: Application[],
    clusters: readonly RegisteredCluster[],
  ): Promise<{ budgets?: RolloutBudgets; reservations: { live?: Map<string, Set<string>>; down?: string } }> {
    const budgetObjects = this.store.listRolloutBudgets();
    if (!budgetObjects.length) return { reservations: {} };
    const reservations = await this.liveReservations(budgetObjects);
    const world = {
      budgets: budgetObjects,
      clusters,
      applications: this.store.listAllApplications(),
      appSets: this.store.listApplicationSets(),
      reservations: reservations.live,
    };
    return { budgets: rolloutBudgets(world, planned), reservations };
  }

  /**
   * Reserves the plan's budgeted releases and plans again with the refused ones marked: they wait
   * exactly as a budget without room holds them. The room they leave may release others, which need
   * reservations of their own: bounded, as each pass refuses at least one more.
   */
  private async planWithinReservations(
    namespace: string,
    input: RolloutInput,
    plan: RolloutPlan,
    budgets: RolloutBudgets,
    down?: string,
  ): Promise<RolloutPlan> {
    const refused = new Map<string, { budget: string; reason: string }>();
    const tried = new Set<string>();
    for (let pass = 0; pass <= input.desired.length; pass++) {
      const released = releasedAt(plan.applicationStatus, input.now.toISOString())
        .map((e) => e.application)
        .filter((name) => !tried.has(name));
      for (const name of released) tried.add(name);
      const refusedNow = await this.reserveReleases(namespace, released, budgets, down);
      if (!refusedNow.size) break;
      for (const [name, why] of refusedNow) refused.set(name, why);
      plan = planRollout({ ...input, budgets: { ...budgets, refused } });
    }
    return plan;
  }

  /** The budgets' live reservations, or why they cannot be read (then budgeted releases are held: fail closed). */
  private async liveReservations(budgets: RolloutBudget[]): Promise<{ live?: Map<string, Set<string>>; down?: string }> {
    const store = this.options.budgetReservations;
    const limited = budgets.filter((b) => typeof b.spec?.maxConcurrentSyncs === 'number').map((b) => b.metadata.name);
    if (!store || !limited.length) return {};
    try {
      return { live: await store.live(limited) };
    } catch (error) {
      return { down: reservationsDown(error) };
    }
  }

  /**
   * Drops the reservations of this ApplicationSet's Applications now observed syncing (the observation
   * counts them from here on) or past Pending (their sync is done). A release whose operation this
   * replica has not yet seen written keeps its reservation.
   */
  private async releaseReservations(
    namespace: string,
    owned: Application[],
    plan: RolloutPlan,
    budgets: RolloutBudgets,
    live?: Map<string, Set<string>>,
  ): Promise<void> {
    const store = this.options.budgetReservations;
    if (!store || !live) return;
    const pending = new Set(plan.applicationStatus.filter((e) => e.status === 'Pending').map((e) => e.application));
    for (const application of owned) {
      const key = keyOf(application.metadata.namespace ?? namespace, application.metadata.name);
      const held = (budgets.budgetsOf.get(application.metadata.name) ?? []).filter((name) => live.get(name)?.has(key));
      if (!held.length || (pending.has(application.metadata.name) && !isSyncing(application))) continue;
      // Best effort: a reservation left behind only holds its room until its TTL.
      await store.release(key, held).catch(() => undefined);
    }
  }

  /**
   * Reserves each sync this plan releases onto a cluster under a maxConcurrentSyncs, before its
   * operation is written. Returns the refused releases (no room across the replicas, or no Redis).
   */
  private async reserveReleases(
    namespace: string,
    released: string[],
    budgets: RolloutBudgets,
    down?: string,
  ): Promise<Map<string, { budget: string; reason: string }>> {
    const refused = new Map<string, { budget: string; reason: string }>();
    const store = this.options.budgetReservations;
    if (!store) return refused;
    for (const name of released) {
      const claims = (budgets.budgetsOf.get(name) ?? []).flatMap((budget) => {
        const usage = budgets.usage.get(budget)!;
        const limit = usage.limits.maxConcurrentSyncs;
        return limit === undefined ? [] : [{ budget, limit, observedInFlight: usage.observedInFlight }];
      });
      if (!claims.length) continue;
      if (down) {
        refused.set(name, { budget: claims[0].budget, reason: down });
        continue;
      }
      try {
        const budget = await store.reserve(keyOf(namespace, name), claims);
        if (budget) {
          const limit = claims.find((c) => c.budget === budget)!.limit;
          refused.set(name, { budget, reason: `maxConcurrentSyncs ${limit} reserved or in flight across replicas` });
        }
      } catch (error) {
        down = reservationsDown(error);
        refused.set(name, { budget: claims[0].budget, reason: down });
      }
    }
    return refused;
  }

  private recordFleetInterest(key: string, reads: FleetReads): void {
    this.generated.add(key);
    const interest = reads.interest();
    if (interest) this.fleetInterest.set(key, interest);
    else this.fleetInterest.delete(key);
  }

  /**
   * An ApplicationSet being deleted: keep its Applications when the policy forbids deletes; with
   * deletionOrder Reverse, delete them one at a time from the last step back, holding the finalizer.
   */
  private async finalize(appSet: ApplicationSet, owned: Application[], policy: ApplicationsSyncPolicy, outcome: ReconcileOutcome): Promise<void> {
    if (isDeletionOrderReversed(appSet)) {
      const { stepOf } = groupIntoSteps(appSet, owned);
      const order = owned.filter((a) => stepOf.has(a.metadata.name)).sort((a, b) => stepOf.get(b.metadata.name)! - stepOf.get(a.metadata.name)!);
      const next = order[0];
      if (next) {
        if (!next.metadata.deletionTimestamp) {
          await this.store.deleteApplication(next);
          outcome.writes++;
          this.events.record(
            appSet,
            'Normal',
            'Deleted',
            `Deleted Application "${next.metadata.name}" (step ${stepOf.get(next.metadata.name)! + 1}, reverse order)`,
          );
        }
        outcome.requeueAfterSeconds = REVERSE_DELETION_REQUEUE_SECONDS;
        return;
      }
    }
    if (!allowsDelete(policy)) {
      for (const application of owned) {
        const ownerReferences = (application.metadata.ownerReferences ?? []).filter(
          (ref) => !(ref.kind === 'ApplicationSet' && ref.name === appSet.metadata.name),
        );
        await this.store.patchApplication(application.metadata.namespace ?? appSet.metadata.namespace ?? '', application.metadata.name, {
          metadata: { ownerReferences: ownerReferences.length ? ownerReferences : null },
        });
        outcome.writes++;
      }
    }
    const finalizers = appSet.metadata.finalizers ?? [];
    if (finalizers.includes(RESOURCES_FINALIZER)) {
      await this.store.patchApplicationSet(appSet, { metadata: { finalizers: finalizers.filter((f) => f !== RESOURCES_FINALIZER) } });
      outcome.writes++;
    }
  }

  private async writeStatus(
    appSet: ApplicationSet,
    incoming: Omit<ApplicationSetCondition, 'lastTransitionTime'>[],
    parametersGenerated: boolean,
    applications: Application[],
    outcome: ReconcileOutcome,
  ): Promise<void> {
    // Argo CD's IsRollingSyncStrategy: the type alone, without a rollingSync block, is not a RollingSync, and its rollout conditions go.
    const { conditions, changed } = nextConditions(appSet.status?.conditions, incoming, parametersGenerated, isRollingSync(appSet), this.clock().toISOString());
    const next = { conditions, health: applicationSetHealth(conditions), resources: resourceStatuses(applications) };
    const write = statusWrite(appSet.status, next, changed);
    if (!write) return;
    outcome.writes++;
    if ('merge' in write) return this.store.patchApplicationSetStatus(appSet, write.merge);
    try {
      await this.store.patchApplicationSetStatusEntries(appSet, write.operations);
    } catch {
      // The status moved under this view (a test failed): state all of it, as a merge patch does regardless.
      await this.store.patchApplicationSetStatus(appSet, { ...next, resourcesCount: next.resources.length });
      outcome.writes++;
    }
  }

  /**
   * The rollout entries and state, written before any Application gets its sync operation (as
   * Argo CD does), so whoever runs the sync finds the entry that asked for it. Returns the
   * ApplicationSet as it now stands, for the rest of the reconcile.
   */
  private async writeRolloutStatus(
    appSet: ApplicationSet,
    update: RolloutStatusUpdate,
    resources: ApplicationSetResourceStatus[],
    outcome: ReconcileOutcome,
  ): Promise<ApplicationSet> {
    const write = rolloutStatusWrite(appSet.status, appSet.metadata.resourceVersion, update, resources);
    if (!write) return appSet;
    if ('merge' in write) await this.store.patchApplicationSetStatusAt(appSet, write.merge);
    else await this.store.patchApplicationSetStatusEntries(appSet, write.operations);
    outcome.writes++;
    return {
      ...appSet,
      status: {
        ...appSet.status,
        applicationStatus: update.applicationStatus,
        resources,
        resourcesCount: resources.length,
        rollout: update.rollout ?? undefined,
      },
    };
  }

  /** An Event per Application, or one that lists the first few when there are many. */
  private recordPerApplication(appSet: ApplicationSet, verb: string, names: string[]): void {
    if (names.length <= EVENT_NAMES_SHOWN) {
      for (const name of names.sort()) this.events.record(appSet, 'Normal', verb, `${verb} Application "${name}"`);
      return;
    }
    this.events.record(appSet, 'Normal', verb, `${verb} ${names.length} Applications: ${namesForEvent(names)}`);
  }

  /** Events for people watching a rollout: the syncs started, and the rollout stopping. */
  private recordRolloutEvents(appSet: ApplicationSet, plan: RolloutPlan): void {
    const entries = new Map(plan.applicationStatus.map((e) => [e.application, e]));
    const wasPending = new Set((appSet.status?.applicationStatus ?? []).filter((e) => e.status === 'Pending').map((e) => e.application));
    const started = plan.syncNow.filter((name) => !wasPending.has(name));
    // One Event per promotion, not per Application: a step of a large fleet starts thousands of syncs.
    if (started.length) {
      const steps = [...new Set(started.map((name) => entries.get(name)?.step))].join(', ');
      this.events.record(
        appSet,
        'Normal',
        'RolloutSync',
        `Syncing ${started.length === 1 ? 'Application' : `${started.length} Applications`} ${namesForEvent(started)} (step ${steps})`,
      );
    }
    for (const request of plan.rollback)
      this.events.record(appSet, 'Warning', 'RolloutRollback', `Rolling back Application "${request.application}" to ${request.revisions.join(', ')}`);
    const before = appSet.status?.rollout?.phase;
    if (before !== plan.rollout.phase && ['Halted', 'RollingBack', 'Paused', 'Aborted'].includes(plan.rollout.phase)) {
      this.events.record(appSet, plan.rollout.phase === 'Paused' ? 'Normal' : 'Warning', `Rollout${plan.rollout.phase}`, plan.rollout.message);
    }
    const reported = new Set(appSet.status?.rollout?.invalidBudgets);
    for (const problem of plan.rollout.invalidBudgets ?? []) if (!reported.has(problem)) this.events.record(appSet, 'Warning', 'InvalidRolloutBudget', problem);
  }
}

/** Why reservations cannot be taken; the Redis client's message names no credentials (the password is never in it). */
function reservationsDown(error: unknown): string {
  const detail = (error instanceof Error ? error.message : String(error)).slice(0, 200);
  return `budget reservations unavailable, held until Redis answers: ${detail}`;
}

function minDefined(...values: (number | undefined)[]): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length ? Math.min(...defined) : undefined;
}

/** status.resources as Argo CD writes it: each Application's sync status and health, by name. */
export function resourceStatuses(applications: Application[]): ApplicationSetResourceStatus[] {
  return applications
    .map((application) => {
      const status = application.status ?? {};
      return {
        group: 'argoproj.io',
        version: 'v1alpha1',
        kind: 'Application',
        name: application.metadata.name,
        namespace: application.metadata.namespace,
        status: status.sync?.status ?? '',
        health: { status: status.health?.status ?? '' },
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
