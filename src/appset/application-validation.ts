import type { AppProject } from '../api/app-project.js';
import type { Application } from '../api/application.js';
import { projectNotPermittedMessage } from '../projects/application-validation.js';
import { isAppNamespacePermitted } from '../projects/project-rules.js';
import { destinationProblem, type Fleet } from './destinations.js';

/** What a generated Application is checked against before it is written. */
export interface ValidationScope {
  fleet: Fleet;
  /** An AppProject of Argo CD's namespace. */
  project(name: string): AppProject | undefined;
  /** Argo CD's namespace: Applications elsewhere need their project's sourceNamespaces to name theirs. */
  argocdNamespace: string;
}

/**
 * Argo CD's validateGeneratedApplications for one Application, in its words: the project must
 * exist in Argo CD's namespace, then the destination must resolve to a usable cluster. Regatta
 * adds the application controller's rule for ApplicationSets in any namespace here, so an
 * Application its project would refuse is never written: the project's sourceNamespaces must
 * name the namespace it is generated in.
 */
export function generatedApplicationProblem(application: Application, scope: ValidationScope): string | undefined {
  const projectName = application.spec.project;
  const project = scope.project(projectName);
  if (!project) return `application references project ${projectName} which does not exist`;
  if (!isAppNamespacePermitted(project, application.metadata.namespace, scope.argocdNamespace)) return projectNotPermittedMessage(application, projectName);
  return destinationProblem(application.spec.destination ?? {}, scope.fleet);
}
