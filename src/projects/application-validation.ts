import { DEFAULT_PROJECT_NAME, type AppProject } from '../api/app-project.js';
import type { Application, ApplicationSource } from '../api/application.js';
import { resolveDestination, type LocalCluster } from './destination-cluster.js';
import {
  isAppNamespacePermitted,
  isDestinationPermitted,
  isGroupKindNamePermitted,
  isSourcePermitted,
  withProjectScopedResources,
  type ProjectCluster,
  type ProjectRepository,
} from './project-rules.js';

/** The Application condition types Argo CD's controller sets when a spec breaks its project. */
export type SpecConditionType = 'InvalidSpecError' | 'UnknownError';

export interface SpecCondition {
  type: SpecConditionType;
  message: string;
}

/** What project rules are evaluated against besides the project itself. */
export interface ProjectContext {
  /** Argo CD's namespace: its Applications may use any project. */
  controllerNamespace: string;
  /** Every registered cluster (project-scoped ones among them). */
  clusters: readonly ProjectCluster[];
  /** Every repository Secret (project-scoped ones among them). */
  repositories: readonly ProjectRepository[];
  local: LocalCluster;
}

export type ApplicationValidation =
  /** `project` with its project-scoped repositories and clusters; `cluster` the destination's (the local one may have no Secret). */
  | { valid: true; project: AppProject; cluster: ProjectCluster }
  /** `conditions` go on the Application at refresh; `operationMessage` is how a sync started now fails (phase Error). */
  | { valid: false; conditions: SpecCondition[]; operationMessage: string };

/** An Application's project: `default` when it names none (ApplicationSpec.GetProject). */
export const projectNameOf = (application: Application) => application.spec.project || DEFAULT_PROJECT_NAME;

/** Argo CD's FormatAppConditions: how refresh conditions read in a refused operation's message. */
export const formatConditions = (conditions: readonly SpecCondition[]) => conditions.map((c) => `${c.type}: ${c.message}`).join(';');

function sourceProblem(source: ApplicationSource | undefined, multiple: boolean): string | undefined {
  const repoURL = source?.repoURL ?? '';
  if (multiple) {
    if (!repoURL || (!source?.path && !source?.chart && !source?.ref))
      return `spec.source.repoURL and either source.path, source.chart, or source.ref are required for source ${JSON.stringify(source ?? {})}`;
  } else if (!repoURL || (!source?.path && !source?.chart)) return 'spec.source.repoURL and either spec.source.path or spec.source.chart are required';
  if (source?.chart && !source.targetRevision) return 'spec.source.targetRevision is required if the manifest source is a helm chart';
  return undefined;
}

/** Argo CD's refusal of an Application outside its namespace whose project's sourceNamespaces do not name its namespace. */
export const projectNotPermittedMessage = (application: Application, project: string) =>
  `application '${application.metadata.name}' in namespace '${application.metadata.namespace}' is not permitted to use project '${project}'`;

/**
 * What Argo CD's application controller checks on every refresh (getAppProj, then
 * ValidatePermissions), with its condition types and texts: the project exists, the Application's
 * namespace may use it, each source is complete and permitted, the destination names one cluster
 * and the project permits it. A project-scoped repository or cluster counts for its own project.
 */
export function validateApplication(application: Application, project: AppProject | undefined, context: ProjectContext): ApplicationValidation {
  const name = projectNameOf(application);
  const refused = (conditions: SpecCondition[], operationMessage = formatConditions(conditions)): ApplicationValidation => ({
    valid: false,
    conditions,
    operationMessage,
  });
  if (!project) {
    return refused(
      [{ type: 'InvalidSpecError', message: `Application referencing project ${application.spec.project} which does not exist` }],
      `Failed to load application project: error getting app project "${name}": appproject.argoproj.io "${name}" not found`,
    );
  }
  if (!isAppNamespacePermitted(project, application.metadata.namespace, context.controllerNamespace)) {
    const message = projectNotPermittedMessage(application, name);
    return refused([{ type: 'UnknownError', message }], `Failed to load application project: ${message}`);
  }
  const effective = withProjectScopedResources(project, context.repositories, context.clusters);
  const conditions: SpecCondition[] = [];
  const invalid = (message: string) => conditions.push({ type: 'InvalidSpecError', message });
  const sources = application.spec.sources?.length ? application.spec.sources : [application.spec.source];
  const multiple = Boolean(application.spec.sources?.length);
  for (const source of sources) {
    const problem = sourceProblem(source, multiple);
    if (problem) {
      invalid(problem);
      return refused(conditions);
    }
    if (!isSourcePermitted(effective, source!.repoURL)) invalid(`application repo ${source!.repoURL} is not permitted in project '${name}'`);
  }

  const destination = application.spec.destination ?? {};
  const resolved = resolveDestination(destination, context.clusters, context.local);
  if ('error' in resolved) {
    invalid(resolved.error);
    return refused(conditions);
  }
  const cluster: ProjectCluster = resolved.cluster ?? { name: context.local.name, server: context.local.server, namespaces: [], clusterResources: false };
  const namespace = destination.namespace ?? '';
  if (!isDestinationPermitted(effective, cluster, namespace, context.clusters)) {
    invalid(
      `application destination server '${destination.name ? cluster.name : cluster.server}' and namespace '${namespace}' do not match any of the allowed destinations in project '${name}'`,
    );
  }
  return conditions.length ? refused(conditions) : { valid: true, project: effective, cluster };
}

/** One object a sync would write or delete, with its scope as the destination cluster's discovery reports it. */
export interface TargetObject {
  group: string;
  kind: string;
  name: string;
  /** Empty for cluster-scoped objects. */
  namespace: string;
  /** undefined: the cluster does not serve the kind (and no CustomResourceDefinition of the sync defines it). */
  namespaced: boolean | undefined;
}

export interface ObjectRefusal<T extends TargetObject = TargetObject> {
  object: T;
  message: string;
}

/**
 * The sync-time check of every object (Argo CD's validateSyncPermissions, run by the sync before
 * it writes): its kind must be allowed by the project's whitelists and blacklists, and a
 * namespaced object's namespace must be a permitted destination on the cluster.
 */
export function syncPermissionRefusals<T extends TargetObject>(
  project: AppProject,
  cluster: ProjectCluster,
  objects: readonly T[],
  clusters: readonly ProjectCluster[],
): ObjectRefusal<T>[] {
  const refusals: ObjectRefusal<T>[] = [];
  for (const object of objects) {
    if (object.namespaced === undefined)
      refusals.push({ object, message: `failed to get API resource info for ${object.group}/${object.kind}: unable to verify permissions` });
    else if (!isGroupKindNamePermitted(project, object, object.name, object.namespaced))
      refusals.push({ object, message: `resource ${object.group}:${object.kind} is not permitted in project ${project.metadata.name}` });
    else if (object.namespaced && !isDestinationPermitted(project, cluster, object.namespace, clusters))
      refusals.push({ object, message: `namespace ${object.namespace} is not permitted in project '${project.metadata.name}'` });
  }
  return refusals;
}

/** How gitops-engine fails a sync with invalid tasks: each distinct reason once, sorted. */
export function syncRefusalMessage(refusals: readonly ObjectRefusal[]): string {
  const reasons = [...new Set(refusals.map((r) => r.message))].sort();
  return `one or more synchronization tasks are not valid${reasons.length ? `: ${reasons.join('; ')}` : ''}`;
}

/**
 * A cluster Secret with `namespaces` puts the cluster in namespaced mode: Argo CD does not load
 * (or sync) an Application that has objects in other namespaces, or cluster-scoped objects unless
 * `clusterResources` is "true". The first such object, in Argo CD's words.
 */
export function namespacedModeProblem(cluster: ProjectCluster, objects: readonly TargetObject[]): string | undefined {
  if (!cluster.namespaces.length) return undefined;
  for (const object of objects) {
    if (object.namespace === '' && !cluster.clusterResources)
      return `Failed to load live state: cluster level ${object.kind} ${JSON.stringify(object.name)} can not be managed when in namespaced mode`;
    if (object.namespace !== '' && !cluster.namespaces.includes(object.namespace))
      return `Failed to load live state: namespace ${JSON.stringify(object.namespace)} for ${object.kind} ${JSON.stringify(object.name)} is not managed`;
  }
  return undefined;
}
