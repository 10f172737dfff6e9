import type { RolloutStatus, RolloutWindowWait } from '../api/application-set.js';
import { describeWindowWait } from '../projects/sync-windows.js';
import { observedStatus } from './application-state.js';
import { Message } from './entry-transitions.js';
import type { RolloutRound } from './rollout-round.js';

/** Regatta: how an entry's message starts while a sync window holds its sync. */
export const WINDOW_HOLD_PREFIX = 'Application sync held: ';

/** Seconds the step (1-based) has spent with Applications held by a sync window, the current wait included. */
export function windowWaitSeconds(rollout: RolloutStatus, step: number, now: Date): number {
  const wait = rollout.windowWait?.[String(step)];
  if (!wait) return 0;
  return wait.seconds + (wait.since ? Math.max(0, now.getTime() - Date.parse(wait.since)) / 1000 : 0);
}

const WAIT_GROUPS_KEPT = 20;
const WAIT_GROUPS_SHOWN = 3;

/** One step's holds in a line: `step 2: 3 Applications waiting for …; 1 Application waiting for …`. */
export function summarizeWaits(waits: Pick<RolloutWindowWait, 'step' | 'message'>[]): string {
  if (!waits.length) return '';
  const parts = waits.slice(0, WAIT_GROUPS_SHOWN).map((w) => w.message.slice(`step ${w.step}: `.length));
  const more = waits.length > WAIT_GROUPS_SHOWN ? `; and ${waits.length - WAIT_GROUPS_SHOWN} more groups` : '';
  return `step ${waits[0].step}: ${parts.join('; ')}${more}`;
}

/**
 * Regatta: the released Applications whose sync a sync window holds (Pending, or Progressing on a
 * sync that has not run). Their entries say why, the steps' wait time is kept (it extends their
 * progress deadlines), the holds are returned grouped by step and by what holds them, and the
 * round runs again when a window opens.
 */
export function holdForWindows(round: RolloutRound): RolloutWindowWait[] {
  const { input, now, entries, currentOf, rollout, failed } = round;
  const groups = new Map<string, RolloutWindowWait>();
  const heldSteps = new Set<string>();
  const updated = new Set(input.windowWaits?.size ? rollout.updated : []);
  for (const entry of entries) {
    const wait = input.windowWaits?.get(entry.application);
    const operation = currentOf.get(entry.application) && observedStatus(currentOf.get(entry.application)!).operationState;
    const awaitingSync = entry.status === 'Pending' || (entry.status === 'Progressing' && operation?.phase === 'Running');
    const held = wait && awaitingSync && updated.has(entry.application) && !failed.has(entry.application);
    if (!held) {
      if (entry.message.startsWith(WINDOW_HOLD_PREFIX)) entry.message = entry.status === 'Pending' ? Message.movedToPending : Message.becameProgressing;
      continue;
    }
    const reason = describeWindowWait(wait, input.now);
    entry.message = `${WINDOW_HOLD_PREFIX}${reason}`;
    heldSteps.add(entry.step);
    const key = `${entry.step}\n${reason}`;
    const group = groups.get(key) ?? { step: Number(entry.step), applications: 0, ...wait, message: reason };
    group.applications++;
    groups.set(key, group);
  }
  const windowWait: NonNullable<RolloutStatus['windowWait']> = {};
  for (const step of new Set([...heldSteps, ...Object.keys(rollout.windowWait ?? {})])) {
    const previous = rollout.windowWait?.[step] ?? { seconds: 0 };
    if (heldSteps.has(step)) windowWait[step] = previous.since ? previous : { seconds: previous.seconds, since: now };
    else windowWait[step] = { seconds: Math.round(windowWaitSeconds(rollout, Number(step), input.now)) };
  }
  if (Object.keys(windowWait).length) rollout.windowWait = windowWait;
  const waiting = [...groups.values()]
    .map((group) => ({ ...group, message: `step ${group.step}: ${group.applications} Application${group.applications === 1 ? '' : 's'} ${group.message}` }))
    .sort((a, b) => a.step - b.step || b.applications - a.applications || (a.message < b.message ? -1 : 1))
    .slice(0, WAIT_GROUPS_KEPT);
  if (waiting.length) rollout.waiting = waiting;
  else delete rollout.waiting;
  for (const wait of waiting) if (wait.opensAt) round.requeue.push((Date.parse(wait.opensAt) - input.now.getTime()) / 1000 + 1);
  return waiting;
}
