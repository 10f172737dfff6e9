import type { Application, ApplicationSource } from '../api/application.js';

/** Argo CD's HasMultipleSources: any entry in spec.sources, and spec.source is ignored. */
export const hasMultipleSources = (application: Application) => Boolean(application.spec.sources?.length);

/** The sources an Application renders from, in order. */
export function sourcesOf(application: Application): ApplicationSource[] {
  if (hasMultipleSources(application)) return application.spec.sources!;
  return application.spec.source ? [application.spec.source] : [];
}

/** What a comparison, sync or history entry was at: one commit per source for a multi-source Application (`revisions`), else one. */
export interface Revisions {
  revision: string;
  revisions?: string[];
}

/** The fields Argo CD writes for them: `revisions` for a multi-source Application, `revision` otherwise. */
export const revisionFields = ({ revision, revisions }: Revisions) => (revisions ? { revisions } : { revision });

/** The source fields Argo CD writes with them (syncResult, history, comparedTo): `sources` or `source`. */
export const sourceFields = (application: Application) =>
  hasMultipleSources(application) ? { sources: application.spec.sources } : { source: application.spec.source };

/** One string for what was synced or compared, to tell whether two are at the same commits. */
export const revisionKey = (recorded: { revision?: string; revisions?: string[] } | undefined) =>
  recorded?.revisions?.length ? JSON.stringify(recorded.revisions) : (recorded?.revision ?? '');
