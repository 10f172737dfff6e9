import type { AppProject } from '../api/app-project.js';
import type { Application } from '../api/application.js';
import { projectNotPermittedMessage } from '../projects/application-validation.js';
import { isAppNamespacePermitted } from '../projects/project-rules.js';
import { destinationProblem, type Fleet } from '../projects/destination-cluster.js';

/** The AppProjects a generated Application is checked against. */
export interface ProjectScope {
  /** An AppProject of Argo CD's namespace. */
  project(name: string): AppProject | undefined;
  /** Argo CD's namespace: Applications elsewhere need their project's sourceNamespaces to name theirs. */
  argocdNamespace: string;
}

/** What a generated Application is checked against before it is written. */
export interface ValidationScope extends ProjectScope {
  fleet: Fleet;
}

/**
 * Why a generated Application may not use its project: the project does not exist in Argo CD's
 * namespace (Argo CD's validateGeneratedApplications), or, Regatta's addition for ApplicationSets
 * in any namespace, its sourceNamespaces do not name the namespace the Application is generated
 * in, which Argo CD's application controller would refuse once written.
 */
export function projectProblem(application: Application, scope: ProjectScope): string | undefined {
  const projectName = application.spec.project;
  const project = scope.project(projectName);
  if (!project) return `application references project ${projectName} which does not exist`;
  if (!isAppNamespacePermitted(project, application.metadata.namespace, scope.argocdNamespace)) return projectNotPermittedMessage(application, projectName);
  return undefined;
}

/** Argo CD's validateGeneratedApplications for one Application, in its words: its project, then its destination. */
export function generatedApplicationProblem(application: Application, scope: ValidationScope): string | undefined {
  return projectProblem(application, scope) ?? destinationProblem(application.spec.destination ?? {}, scope.fleet);
}
