import type { Application } from '../api/application.js';
import type { ApplicationSet } from '../api/application-set.js';
import { IN_CLUSTER_NAME, IN_CLUSTER_SERVER } from '../api/cluster-secret.js';
import type { LabelSelector } from '../api/meta.js';
import type { RolloutBudget } from '../api/rollout-budget.js';
import { compileLabelSelector, LabelSelectorError, type LabelMatcher } from '../generators/label-selector.js';
import type { RegisteredCluster } from '../generators/generator.js';
import { resolveDestination } from '../projects/destination-cluster.js';
import { after } from './rollout-round.js';
import { observedStatus } from './application-state.js';

/**
 * Regatta's RolloutBudgets as one reconcile sees them: which budgets limit each Application's
 * destination cluster, and how much of each is in use. Counted from what every replica observes
 * (the Applications and the ApplicationSets' entries on the management cluster), never from
 * counters of its own, so replicas that shard the ApplicationSets agree; plus the reservations the
 * replicas share, for the releases their caches do not show yet.
 */

export type BudgetLimit = 'maxConcurrentSyncs' | 'maxUnhealthy' | 'maxFailures';
const LIMITS: readonly BudgetLimit[] = ['maxConcurrentSyncs', 'maxUnhealthy', 'maxFailures'];

export interface BudgetUsage {
  limits: Partial<Record<BudgetLimit, number>>;
  /** Applications on its clusters with a sync requested or running, released and not started, or Progressing. */
  inFlight: number;
  /** Applications on its clusters that are Degraded. */
  unhealthy: number;
  /** Applications on its clusters whose last sync failed. */
  failures: number;
  /** `namespace/name` of the Applications this replica observes in flight on its clusters (reservations aside). */
  observedInFlight: string[];
}

export interface RolloutBudgets {
  /** The valid budgets, by name. */
  usage: ReadonlyMap<string, BudgetUsage>;
  /** Application (of the ApplicationSet planned) → the names of the valid budgets its destination cluster matches. */
  budgetsOf: ReadonlyMap<string, readonly string[]>;
  /** Why budgets that may apply to this ApplicationSet's clusters are not applied, one line each. */
  invalid: readonly string[];
  /**
   * Applications released this round whose reservation (see budget-reservations) was refused, with
   * the budget that refused it and why: they wait as if the budget had no room.
   */
  refused?: ReadonlyMap<string, { budget: string; reason: string }>;
}

interface CompiledBudget {
  name: string;
  matches?: LabelMatcher;
  limits: Partial<Record<BudgetLimit, number>>;
  problem?: string;
}

function compile(budget: RolloutBudget): CompiledBudget {
  const name = budget.metadata.name;
  const spec = (budget.spec ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  const limits: Partial<Record<BudgetLimit, number>> = {};
  for (const limit of LIMITS) {
    const value = spec[limit];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
      problems.push(`spec.${limit}: Invalid value: ${JSON.stringify(value)}: must be a non-negative integer`);
    else limits[limit] = value;
  }
  let matches: LabelMatcher | undefined;
  if (spec.selector === undefined || spec.selector === null)
    problems.push('spec.selector: Required value: a label selector of clusters ({} selects every cluster)');
  else {
    try {
      matches = compileLabelSelector(spec.selector as LabelSelector, 'spec.selector');
    } catch (error) {
      if (!(error instanceof LabelSelectorError)) throw error;
      problems.push(error.message.startsWith('spec.selector') ? error.message : `spec.selector: ${error.message}`);
    }
  }
  return { name, matches, limits, problem: problems.length ? `RolloutBudget "${name}" is not applied: ${problems.join('; ')}` : undefined };
}

/** Compiled once per budget object: the informer replaces the object when the budget changes. */
const compiled = new WeakMap<RolloutBudget, CompiledBudget>();
const compiledOf = (budget: RolloutBudget) => compiled.get(budget) ?? compiled.set(budget, compile(budget)).get(budget)!;

export interface BudgetWorld {
  budgets: readonly RolloutBudget[];
  clusters: readonly RegisteredCluster[];
  /** Every Application this replica watches, of every ApplicationSet. */
  applications: readonly Application[];
  /** Every ApplicationSet this replica watches: their Pending entries are syncs released and not yet started. */
  appSets: readonly ApplicationSet[];
  /**
   * The live reservations of each budget (`namespace/name` of Applications), shared by the replicas:
   * releases other replicas made that this replica's caches do not show yet.
   */
  reservations?: ReadonlyMap<string, ReadonlySet<string>>;
}

const LOCAL = { name: IN_CLUSTER_NAME, server: IN_CLUSTER_SERVER, enabled: true };
export const keyOf = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

/** The RolloutBudgets that apply to `planned` (one ApplicationSet's Applications), with their usage across the fleet. */
export function rolloutBudgets(world: BudgetWorld, planned: readonly Application[]): RolloutBudgets | undefined {
  if (!world.budgets.length) return undefined;
  const budgets = world.budgets.map(compiledOf);
  const valid = budgets.filter((b) => !b.problem && b.matches);
  const labelsOf = (application: Application): Record<string, string> | undefined => {
    const resolved = resolveDestination(application.spec.destination ?? {}, world.clusters, LOCAL);
    return 'error' in resolved ? undefined : (resolved.cluster?.labels ?? {});
  };
  const matching = (application: Application) => {
    const labels = labelsOf(application);
    return labels ? valid.filter((b) => b.matches!(labels)).map((b) => b.name) : [];
  };

  const budgetsOf = new Map<string, string[]>();
  for (const application of planned) {
    const names = matching(application);
    if (names.length) budgetsOf.set(application.metadata.name, names);
  }
  const plannedLabels = planned.map(labelsOf).filter((l) => l !== undefined);
  // A budget whose selector cannot be read may cover any cluster; one with bad limits, only those it selects.
  const invalid = budgets
    .filter((b) => b.problem && (!b.matches || plannedLabels.some((labels) => b.matches!(labels))))
    .map((b) => b.problem!)
    .sort();

  const usage = new Map<string, BudgetUsage>(valid.map((b) => [b.name, { limits: b.limits, inFlight: 0, unhealthy: 0, failures: 0, observedInFlight: [] }]));
  const relevant = new Set([...budgetsOf.values()].flat());
  if (relevant.size) countUsage(world, (application) => matching(application).filter((name) => relevant.has(name)), usage);
  return { usage, budgetsOf, invalid };
}

/** Whether the Application is seen syncing: a sync requested or running, or its resources Progressing. */
export function isSyncing(application: Application): boolean {
  const observed = observedStatus(application);
  return application.operation !== undefined || observed.operationState?.phase === 'Running' || observed.health?.status === 'Progressing';
}

function countUsage(world: BudgetWorld, budgetsFor: (application: Application) => string[], usage: Map<string, BudgetUsage>): void {
  const released = releasedNotStarted(world);
  // A sync is in flight once, whether observed, reserved or both.
  const inFlight = new Map([...usage.keys()].map((name) => [name, new Set(world.reservations?.get(name))]));
  for (const application of world.applications) {
    const names = budgetsFor(application);
    if (!names.length) continue;
    const observed = observedStatus(application);
    const phase = observed.operationState?.phase;
    const key = keyOf(application.metadata.namespace, application.metadata.name);
    const syncing = isSyncing(application) || released.has(key);
    for (const name of names) {
      const budget = usage.get(name)!;
      if (syncing) {
        inFlight.get(name)!.add(key);
        budget.observedInFlight.push(key);
      }
      if (observed.health?.status === 'Degraded') budget.unhealthy++;
      if (phase === 'Failed' || phase === 'Error') budget.failures++;
    }
  }
  for (const [name, keys] of inFlight) usage.get(name)!.inFlight = keys.size;
}

/** Applications some ApplicationSet has moved to Pending whose sync has not started since. */
function releasedNotStarted(world: BudgetWorld): Set<string> {
  const byKey = new Map(world.applications.map((a) => [keyOf(a.metadata.namespace, a.metadata.name), a]));
  const released = new Set<string>();
  for (const appSet of world.appSets) {
    for (const entry of appSet.status?.applicationStatus ?? []) {
      if (entry.status !== 'Pending') continue;
      const key = keyOf(appSet.metadata.namespace, entry.application);
      const application = byKey.get(key);
      if (application && !after(observedStatus(application).operationState?.startedAt, entry.lastTransitionTime)) released.add(key);
    }
  }
  return released;
}
