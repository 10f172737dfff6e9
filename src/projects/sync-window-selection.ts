import { DEFAULT_PROJECT_NAME, type AppProject } from '../api/app-project.js';
import type { Application } from '../api/application.js';
import { globMatch } from './glob.js';
import type { IndexedWindow } from './sync-windows.js';

/** Argo CD's globMatch for window selectors: `*` matches everything, even an empty value; a pattern that does not compile matches nothing. */
const matches = (pattern: string, value: string): boolean => pattern === '*' || globMatch(pattern, value);

/**
 * The windows of a project that apply to an Application, as Argo CD's SyncWindows.Matches picks
 * them: by name, by destination cluster (its name or its server) and by destination namespace;
 * any selector that is set suffices, or with andOperator every one that is set must match.
 */
export function windowsFor(project: AppProject | undefined, application: Application): IndexedWindow[] {
  const destination = application.spec.destination ?? {};
  const selected: IndexedWindow[] = [];
  (project?.spec.syncWindows ?? []).forEach((window, index) => {
    if (!window) return;
    const results: boolean[] = [];
    if (window.applications?.length) results.push(window.applications.some((p) => matches(p, application.metadata.name)));
    if (window.clusters?.length) {
      results.push(
        window.clusters.some((p) => (!!destination.name && matches(p, destination.name)) || (!!destination.server && matches(p, destination.server))),
      );
    }
    if (window.namespaces?.length) results.push(window.namespaces.some((p) => matches(p, destination.namespace ?? '')));
    const applies = window.andOperator ? results.length > 0 && results.every(Boolean) : results.some(Boolean);
    if (applies) selected.push({ index, window });
  });
  return selected;
}

/** The windows of the Application's project (`default` when it names none) that apply to it; none when the project is unknown. */
export function applicationWindows(application: Application, projects: (name: string) => AppProject | undefined): IndexedWindow[] {
  const project = projects(application.spec.project || DEFAULT_PROJECT_NAME);
  return project?.spec.syncWindows?.length ? windowsFor(project, application) : [];
}
