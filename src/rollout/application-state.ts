import type { Application, ApplicationStatus } from '../api/application.js';

/** An Application's status as Argo CD's application controller wrote it (empty before its first refresh). */
export function observedStatus(application: Application): ApplicationStatus {
  return application.status ?? {};
}

/** ApplicationStatus.GetRevisions: the multi-source list when there is one, else the single revision. */
export function revisionsOf(application: Application): string[] {
  const sync = observedStatus(application).sync;
  if (sync?.revisions?.length) return [...sync.revisions];
  return sync?.revision ? [sync.revision] : [];
}

export const isSuccessfulPhase = (phase: string | undefined) => phase === 'Succeeded';
export const isCompletedPhase = (phase: string | undefined) => phase === 'Succeeded' || phase === 'Failed' || phase === 'Error';
