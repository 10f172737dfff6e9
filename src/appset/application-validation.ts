import type { AppProject } from '../api/app-project.js';
import type { Application } from '../api/application.js';
import { destinationProblem, type Fleet } from './destinations.js';

/** What a generated Application is checked against before it is written. */
export interface ValidationScope {
  fleet: Fleet;
  /** An AppProject of Argo CD's namespace. */
  project(name: string): AppProject | undefined;
}

/**
 * Argo CD's validateGeneratedApplications for one Application, in its words: the project must
 * exist in Argo CD's namespace, then the destination must resolve to a usable cluster.
 */
export function generatedApplicationProblem(application: Application, scope: ValidationScope): string | undefined {
  const projectName = application.spec.project;
  if (!scope.project(projectName)) return `application references project ${projectName} which does not exist`;
  return destinationProblem(application.spec.destination ?? {}, scope.fleet);
}
