import type { RolloutUnreachable } from '../api/application-set.js';
import { destinationOf, unreachableReason } from '../api/cluster-reachability.js';
import { observedStatus } from './application-state.js';
import { after, stepSpec, type RolloutRound } from './rollout-round.js';

/**
 * Regatta: a step's `unreachable` policy. An Application is unreachable while its status carries the
 * live-state ComparisonError of a cluster that does not answer (cluster-reachability.ts): observed
 * state, so the verdict follows every refresh. Only Applications with something to roll out (their
 * entry not Healthy) are affected.
 *
 * - `wait` (default, Argo CD's behaviour): the step waits for them as for any unfinished Application;
 *   the rollout status and RolloutProgressing say which clusters it waits for.
 * - `skip`: the step goes on without them; they are not released while unreachable, never count as
 *   failed, and are listed in `status.rollout.skipped`. When their cluster answers, they are released
 *   as any Waiting Application of a reached step (synced once, to the revision of the rollout) and
 *   leave the list once Healthy.
 */

export const SKIPPED_PREFIX = 'Application skipped: ';

const policyOf = (round: RolloutRound, name: string) => {
  const index = round.stepOf.get(name);
  return index === undefined ? 'wait' : (stepSpec(round.stepsSpec, index).unreachable ?? 'wait');
};

/** Fills `round.skipped`: before failures are recorded and steps gated, both of which pass over them. */
export function markSkipped(round: RolloutRound): void {
  const listed = new Set((round.rollout.skipped ?? []).map((s) => s.application));
  for (const entry of round.entries) {
    const application = round.currentOf.get(entry.application);
    if (!application || entry.status === 'Healthy' || policyOf(round, entry.application) !== 'skip') continue;
    if (listed.has(entry.application) || unreachableReason(application)) round.skipped.add(entry.application);
  }
}

/**
 * Takes the unreachable Applications of skip steps out of `appsToSync` (a Pending one whose sync has
 * not started goes back to Waiting, so its operation is taken back) and keeps `status.rollout`'s
 * `skipped` and `unreachable` lists. Returns what the reached steps wait for.
 */
export function holdUnreachable(round: RolloutRound, appsToSync: Set<string>): RolloutUnreachable[] {
  const { now, entryOf, currentOf, rollout, skipped, failed } = round;
  const previous = new Map([...(rollout.skipped ?? []), ...(rollout.unreachable ?? [])].map((u) => [`${u.application}\n${u.step}`, u]));
  const listing = (name: string, reason?: string): RolloutUnreachable => {
    const step = Number(entryOf.get(name)!.step);
    const before = previous.get(`${name}\n${step}`);
    return { application: name, destination: destinationOf(currentOf.get(name)!), step, since: before?.since ?? now, ...(reason ? { reason } : {}) };
  };
  const skippedList: RolloutUnreachable[] = [];
  const waiting: RolloutUnreachable[] = [];
  for (const name of [...appsToSync].sort()) {
    const entry = entryOf.get(name);
    const application = currentOf.get(name);
    if (!entry || !application) continue;
    const reason = unreachableReason(application);
    if (skipped.has(name)) {
      if (reason) {
        appsToSync.delete(name);
        const started = after(observedStatus(application).operationState?.startedAt, entry.lastTransitionTime);
        if (entry.status === 'Pending' && !started) Object.assign(entry, { status: 'Waiting', lastTransitionTime: now });
        entry.message = `${SKIPPED_PREFIX}its cluster does not answer (${reason})`;
        skippedList.push(listing(name, reason));
      } else {
        const before = previous.get(`${name}\n${entry.step}`);
        skippedList.push({ ...listing(name), catchingUpSince: before?.catchingUpSince ?? now });
        if (entry.message.startsWith(SKIPPED_PREFIX)) entry.message = 'Application cluster answers again, catching up';
      }
    } else if (reason && entry.status !== 'Healthy' && !failed.has(name)) {
      waiting.push(listing(name, reason));
    }
  }
  setList(rollout, 'skipped', skippedList);
  setList(rollout, 'unreachable', waiting);
  return waiting;
}

function setList(rollout: RolloutRound['rollout'], key: 'skipped' | 'unreachable', list: RolloutUnreachable[]): void {
  if (list.length) rollout[key] = list;
  else delete rollout[key];
}

const DESTINATIONS_SHOWN = 5;

/** `step 3: waiting for 2 unreachable clusters: prod-2, prod-4`, for the step (1-based) in progress. */
export function summarizeUnreachable(waiting: RolloutUnreachable[], step: number | undefined): string {
  const inStep = waiting.filter((w) => w.step === step);
  if (!inStep.length) return '';
  const destinations = [...new Set(inStep.map((w) => w.destination))];
  const shown = destinations.slice(0, DESTINATIONS_SHOWN).join(', ');
  const more = destinations.length > DESTINATIONS_SHOWN ? ` and ${destinations.length - DESTINATIONS_SHOWN} more` : '';
  return `step ${step}: waiting for ${destinations.length} unreachable cluster${destinations.length === 1 ? '' : 's'}: ${shown}${more}`;
}
