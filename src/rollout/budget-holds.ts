import type { RolloutBudgetWait } from '../api/application-set.js';
import type { BudgetUsage } from './budget-usage.js';
import { Message } from './entry-transitions.js';
import type { Entry, RolloutRound } from './rollout-round.js';

/** Regatta: how an entry's message starts while a RolloutBudget holds its release. */
export const BUDGET_HOLD_PREFIX = 'Application waiting for RolloutBudget ';

/** How often a step waiting on a budget looks again when no Application event wakes it first. */
export const BUDGET_RECHECK_SECONDS = 10;

const WAIT_GROUPS_KEPT = 20;

const applications = (count: number) => `${count} Application${count === 1 ? '' : 's'}`;

/** Why `budget` has no room for one more sync, or undefined when it has. */
function noRoom(usage: BudgetUsage): string | undefined {
  const { maxConcurrentSyncs, maxUnhealthy, maxFailures } = usage.limits;
  if (maxConcurrentSyncs !== undefined && usage.inFlight >= maxConcurrentSyncs) return `${usage.inFlight}/${maxConcurrentSyncs} syncs in flight`;
  if (maxUnhealthy !== undefined && usage.unhealthy > maxUnhealthy) return `${applications(usage.unhealthy)} Degraded, more than maxUnhealthy ${maxUnhealthy}`;
  if (maxFailures !== undefined && usage.failures > maxFailures) return `${applications(usage.failures)} failed to sync, more than maxFailures ${maxFailures}`;
  return undefined;
}

/** The entries this round released (moved Waiting → Pending at `now`): what budgets hold, and what needs a reservation. */
export const releasedAt = (entries: readonly Entry[], now: string): Entry[] =>
  entries.filter((entry) => entry.status === 'Pending' && entry.lastTransitionTime === now && entry.message === Message.movedToPending);

/**
 * Regatta: the Applications this round released (Waiting → Pending) go ahead only while every
 * RolloutBudget of their cluster has room; each one that goes takes a sync of each. The others go
 * back to Waiting, saying which budget holds them, and the round runs again to retry them (an
 * Application's change wakes it sooner). Usage is the reconciler's, counted before this round.
 */
export function holdForBudgets(round: RolloutRound): RolloutBudgetWait[] {
  const { input, now, entries, rollout } = round;
  const budgets = input.budgets;
  if (budgets?.invalid.length) rollout.invalidBudgets = [...budgets.invalid];
  else delete rollout.invalidBudgets;
  if (!budgets?.budgetsOf.size) {
    delete rollout.budgetWaiting;
    return [];
  }
  // A copy: admitting a sync uses room that later entries of this round then lack.
  const usage = new Map([...budgets.usage].map(([name, u]) => [name, { ...u }]));
  const previous = new Map((input.appSet.status?.applicationStatus ?? []).map((e) => [e.application, e]));
  const groups = new Map<string, RolloutBudgetWait>();
  const held = new Set<string>();
  const released = new Set<string>();
  for (const entry of releasedAt(entries, now)) {
    const names = budgets.budgetsOf.get(entry.application) ?? [];
    const refused = budgets.refused?.get(entry.application);
    const blocked = refused
      ? { name: refused.budget, reason: refused.reason }
      : names.map((name) => ({ name, reason: noRoom(usage.get(name)!) })).find((b) => b.reason);
    if (!blocked) {
      for (const name of names) usage.get(name)!.inFlight++;
      released.add(entry.step);
      continue;
    }
    const before = previous.get(entry.application);
    const reason = `"${blocked.name}" (${blocked.reason})`;
    Object.assign(entry, {
      status: 'Waiting',
      message: `${BUDGET_HOLD_PREFIX}${reason}`,
      lastTransitionTime: before?.status === 'Waiting' ? before.lastTransitionTime : now,
    });
    held.add(entry.application);
    const key = `${entry.step}\n${reason}`;
    const group = groups.get(key) ?? { step: Number(entry.step), applications: 0, budget: blocked.name, message: reason };
    group.applications++;
    groups.set(key, group);
  }
  if (held.size) {
    rollout.updated = rollout.updated?.filter((name) => !held.has(name));
    // A step whose every release this round was held has not started: its progress deadline waits too.
    for (const step of new Set(entries.filter((e) => held.has(e.application)).map((e) => e.step)))
      if (rollout.stepStartedAt?.[step] === now && !released.has(step))
        rollout.stepStartedAt = Object.fromEntries(Object.entries(rollout.stepStartedAt).filter(([started]) => started !== step));
    round.requeue.push(BUDGET_RECHECK_SECONDS);
  }
  const waiting = [...groups.values()]
    .map((group) => ({ ...group, message: `step ${group.step}: ${applications(group.applications)} waiting for RolloutBudget ${group.message}` }))
    .sort((a, b) => a.step - b.step || b.applications - a.applications || (a.message < b.message ? -1 : 1))
    .slice(0, WAIT_GROUPS_KEPT);
  if (waiting.length) rollout.budgetWaiting = waiting;
  else delete rollout.budgetWaiting;
  return waiting;
}
