import type { Application } from '../api/application.js';

/** The parts of an Application's status a rollout reads, as Argo CD's application controller writes them. */
export interface ObservedApplicationStatus {
  sync?: { status?: string; revision?: string; revisions?: string[] };
  health?: { status?: string; message?: string };
  reconciledAt?: string;
  operationState?: {
    phase?: string;
    message?: string;
    startedAt?: string;
    finishedAt?: string;
    syncResult?: { revision?: string; revisions?: string[] };
  };
  conditions?: { type?: string; message?: string }[];
}

export function observedStatus(application: Application): ObservedApplicationStatus {
  return (application.status ?? {}) as ObservedApplicationStatus;
}

/** ApplicationStatus.GetRevisions: the multi-source list when there is one, else the single revision. */
export function revisionsOf(application: Application): string[] {
  const sync = observedStatus(application).sync;
  if (sync?.revisions?.length) return [...sync.revisions];
  return sync?.revision ? [sync.revision] : [];
}

export const isSuccessfulPhase = (phase: string | undefined) => phase === 'Succeeded';
export const isCompletedPhase = (phase: string | undefined) => phase === 'Succeeded' || phase === 'Failed' || phase === 'Error';
