import type { Application, ApplicationSource } from '../api/application.js';
import type { ApplicationSet } from '../api/application-set.js';
import { observedStatus, revisionsOf } from './application-state.js';
import { sameRevisions, type RolloutInput, type RolloutRound } from './rollout-round.js';
import { isRollingSync } from './steps.js';

/**
 * Regatta's revision pinning (`strategy.rollingSync.pinRevisions`): instead of turning automated
 * sync off, each Application's Git sources name the commit its step has released, so self-heal
 * keeps it there and a step opening is the pin moving on.
 */

/** What one Application's sources are pinned to; `hold` keeps automated sync off (nothing earlier to heal back to). */
export interface RevisionPin {
  revisions: string[];
  hold: boolean;
}

const COMMIT = /^[0-9a-f]{40}$/;

export function pinsRevisions(appSet: ApplicationSet): boolean {
  return isRollingSync(appSet) && appSet.spec.strategy?.rollingSync?.pinRevisions === true;
}

/** The release commits the planner pins to: only when the ApplicationSet asks for pinning. */
export function pinnedReleases(input: RolloutInput): ReadonlyMap<string, string[]> | undefined {
  return pinsRevisions(input.appSet) ? input.releaseRevisions : undefined;
}

export function sourcesOf(application: Application): ApplicationSource[] {
  return application.spec.sources ?? (application.spec.source ? [application.spec.source] : []);
}

/** A Helm chart's targetRevision is a chart version, not a commit: only Git sources are pinned. */
export const isPinnable = (source: ApplicationSource) => !source.chart;

/** The revisions the spec names, one per source (HEAD when unset). */
export function specRevisions(application: Application): string[] {
  return sourcesOf(application).map((s) => s.targetRevision || 'HEAD');
}

/** A copy whose Git sources name `revisions` (one per source), with automated sync as its template says, or off when held. */
export function pinnedTo(application: Application, revisions: string[], hold: boolean): Application {
  const pin = (source: ApplicationSource, index: number) => (isPinnable(source) && revisions[index] ? { ...source, targetRevision: revisions[index] } : source);
  const spec = { ...application.spec };
  if (spec.sources) spec.sources = spec.sources.map(pin);
  else if (spec.source) spec.source = pin(spec.source, 0);
  const policy = spec.syncPolicy;
  if (hold && policy?.automated) spec.syncPolicy = { ...policy, automated: { ...policy.automated, enabled: false } };
  return { ...application, spec };
}

/** The commits the Application already runs, when they are not the release: from its pinned spec, the rollout's record, or its synced status. */
function earlierRevisions(current: Application | undefined, recorded: string[] | undefined, release: string[]): string[] | undefined {
  const candidates: (string[] | undefined)[] = [];
  if (current) {
    const sources = sourcesOf(current);
    const pinned = sources.length > 0 && sources.every((s, i) => !isPinnable(s) || COMMIT.test(specRevisions(current)[i]));
    if (pinned) candidates.push(specRevisions(current));
  }
  candidates.push(recorded);
  if (current && observedStatus(current).sync?.status === 'Synced') candidates.push(revisionsOf(current));
  return candidates.find((revisions) => revisions?.length && !sameRevisions(revisions, release));
}

/** The Applications a rollback puts back on the revisions recorded before the rollout. */
function rolledBackNames(round: RolloutRound): Set<string> {
  const { rollout, failed } = round;
  if (rollout.phase !== 'RollingBack' && rollout.phase !== 'RolledBack') return new Set();
  return new Set([...failed, ...(rollout.updated ?? [])].filter((name) => (rollout.previousRevisions?.[name]?.length ?? 0) > 0));
}

/**
 * Pinned Applications a rollback puts back wait again: their release is no longer what they run,
 * so a resumed rollout releases them step by step instead of all at once.
 */
export function waitAfterRollback(round: RolloutRound): void {
  if (!pinnedReleases(round.input)) return;
  const names = rolledBackNames(round);
  for (const entry of round.entries) {
    if (!names.has(entry.application) || entry.status === 'Waiting') continue;
    Object.assign(entry, { status: 'Waiting', message: ROLLED_BACK_MESSAGE, lastTransitionTime: round.now });
  }
}

export const ROLLED_BACK_MESSAGE = 'Application rolled back to the revisions it ran before the rollout, waiting for its step to release it again';

/**
 * The pin of every desired Application, recomputed from what is observed: a rollback re-pins the
 * revisions recorded before the rollout; a released entry (any state but Waiting) is pinned to
 * the release; a Waiting one stays on what it ran before, or, having run nothing, is pinned to
 * the release with automated sync held off until its step opens. Undefined when not pinning.
 */
export function planPins(round: RolloutRound): Map<string, RevisionPin> | undefined {
  const { input, entryOf, currentOf, rollout } = round;
  const releases = pinnedReleases(input);
  if (!releases) return undefined;
  const rolledBack = rolledBackNames(round);
  const pins = new Map<string, RevisionPin>();
  for (const application of input.desired) {
    const name = application.metadata.name;
    const release = releases.get(name);
    if (!release) continue;
    const recorded = rollout.previousRevisions?.[name];
    if (rolledBack.has(name) && recorded?.length) {
      pins.set(name, { revisions: recorded, hold: false });
      continue;
    }
    const entry = entryOf.get(name);
    if (entry && entry.status !== 'Waiting') {
      pins.set(name, { revisions: release, hold: false });
      continue;
    }
    const earlier = earlierRevisions(currentOf.get(name), recorded, release);
    pins.set(name, earlier ? { revisions: earlier, hold: false } : { revisions: release, hold: true });
  }
  return pins;
}
