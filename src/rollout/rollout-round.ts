import type { Application } from '../api/application.js';
import type { ApplicationSet, ApplicationSetApplicationStatus, ApplicationSetRolloutStep, RolloutStatus } from '../api/application-set.js';
import type { WindowWait } from '../projects/sync-windows.js';
import type { RolloutBudgets } from './budget-usage.js';

export interface RolloutInput {
  appSet: ApplicationSet;
  /** The generated Applications that passed validation, in generation order. */
  desired: Application[];
  /**
   * Every generated Application, those validation refused included (default: `desired`). Argo CD
   * groups these into steps, so a refused Application, never created, holds its step back.
   */
  generated?: Application[];
  /** The Applications the ApplicationSet owns now, with their status. */
  current: Application[];
  now: Date;
  /** Regatta: the Applications whose RollingSync sync a sync window of their project holds now, by name. */
  windowWaits?: ReadonlyMap<string, WindowWait>;
  /** Regatta: the RolloutBudgets of the Applications' clusters and their fleet-wide usage (see budget-usage.ts). */
  budgets?: RolloutBudgets;
  /**
   * Regatta (`pinRevisions`): the commits each desired Application's sources name now, by name.
   * Given only when the ApplicationSet pins revisions; the entries then follow these, not the
   * revisions the Applications report.
   */
  releaseRevisions?: ReadonlyMap<string, string[]>;
}

export type Entry = ApplicationSetApplicationStatus;

/** What the phases of one planRollout share. They move the entries and the rollout status on in place. */
export interface RolloutRound {
  input: RolloutInput;
  /** input.now as entries and the rollout status write it. */
  now: string;
  stepsSpec: ApplicationSetRolloutStep[];
  /** Application → its first (0-based) step. */
  stepOf: Map<string, number>;
  /** The current Applications' entries, by name. */
  entries: Entry[];
  entryOf: Map<string, Entry>;
  currentOf: Map<string, Application>;
  rollout: RolloutStatus;
  /** The Applications the rollout counts as failed. */
  failed: Set<string>;
  /**
   * Applications a step with `unreachable: skip` goes on without: their cluster does not answer, or
   * answers again and they are catching up. Neither failed nor holding their step back.
   */
  skipped: Set<string>;
  /** Seconds until something the rollout waits for is due: the plan asks to run again at the soonest. */
  requeue: number[];
}

export const sameRevisions = (a: string[] | undefined, b: string[]) => (a ?? []).length === b.length && (a ?? []).every((r, i) => r === b[i]);
export const after = (a: string | undefined, b: string | undefined) => a !== undefined && b !== undefined && Date.parse(a) > Date.parse(b);
export const stepSpec = (steps: ApplicationSetRolloutStep[], index: number) => steps[index] ?? {};
