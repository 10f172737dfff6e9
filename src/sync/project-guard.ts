import type { AppProject } from '../api/app-project.js';
import type { Application } from '../api/application.js';
import { inClusterEnabled } from '../projects/destination-cluster.js';
import { IN_CLUSTER_NAME, IN_CLUSTER_SERVER } from '../api/cluster-secret.js';
import {
  validateApplication,
  namespacedModeProblem,
  projectNameOf,
  syncPermissionRefusals,
  syncRefusalMessage,
  type ApplicationValidation,
  type ObjectRefusal,
  type ProjectContext,
  type TargetObject,
} from '../projects/application-validation.js';
import { syncIdentity, type SyncIdentity } from '../projects/impersonation.js';
import { isResourcePermitted, type ProjectCluster, type ProjectRepository } from '../projects/project-rules.js';

/** Where the guard reads projects, the fleet and Argo CD's settings: caches, current at every call. */
export interface ProjectSources {
  /** Argo CD's namespace. */
  controllerNamespace: string;
  project(name: string): AppProject | undefined;
  clusters(): readonly ProjectCluster[];
  repositories(): readonly ProjectRepository[];
  /** argocd-cm's data. */
  settings(): Record<string, string> | undefined;
}

/** Why a sync stops before its next write: the whole Application (phase Error) or some of its objects (phase Failed). */
export interface SyncStop<T extends TargetObject = TargetObject> {
  phase: 'Error' | 'Failed';
  message: string;
  refusals: ObjectRefusal<T>[];
}

/**
 * The AppProject rules the direct driver obeys, as Argo CD's application controller does. Every
 * answer re-reads the project, the cluster and repository Secrets and argocd-cm, so a change
 * takes effect at the next refresh and before the next write of a sync already running.
 */
export class ProjectGuard {
  /**
   * The last verdict per Application object, with what it was judged against: a refresh and each
   * write batch of a sync ask again, and the answer is the same until the Application, its
   * project, the fleet, the repository Secrets or argocd-cm change (each is a new object then).
   */
  private readonly verdicts = new WeakMap<Application, { inputs: readonly unknown[]; validation: ApplicationValidation }>();

  constructor(private readonly sources: ProjectSources) {}

  /** The spec-level verdict a refresh writes as conditions and a sync starts from. */
  validate(application: Application): ApplicationValidation {
    const project = this.sources.project(projectNameOf(application));
    const clusters = this.sources.clusters();
    const repositories = this.sources.repositories();
    const settings = this.sources.settings();
    const inputs = [project, clusters, repositories, settings];
    const known = this.verdicts.get(application);
    if (known && known.inputs.every((input, i) => input === inputs[i])) return known.validation;
    const context: ProjectContext = {
      controllerNamespace: this.sources.controllerNamespace,
      clusters,
      repositories,
      local: { name: IN_CLUSTER_NAME, server: IN_CLUSTER_SERVER, enabled: inClusterEnabled({ data: settings }) },
    };
    const validation = validateApplication(application, project, context);
    this.verdicts.set(application, { inputs, validation });
    return validation;
  }

  /** Whom a sync of a valid Application runs as (destinationServiceAccounts, when argocd-cm turns impersonation on). */
  identity(application: Application, validation: Extract<ApplicationValidation, { valid: true }>): SyncIdentity {
    return syncIdentity(this.sources.settings(), validation.project, application, validation.cluster.server);
  }

  /** Why the Application's objects cannot even be loaded from its cluster (a cluster Secret in namespaced mode), for a refresh. */
  loadProblem(application: Application, objects: readonly TargetObject[]): string | undefined {
    const validation = this.validate(application);
    return validation.valid ? namespacedModeProblem(validation.cluster, objects) : undefined;
  }

  /** Checked before each batch of writes: every object of the sync, against the project as it is now. */
  stop<T extends TargetObject>(application: Application, objects: readonly T[]): SyncStop<T> | undefined {
    const validation = this.validate(application);
    if (!validation.valid) return { phase: 'Error', message: validation.operationMessage, refusals: [] };
    const notLoaded = namespacedModeProblem(validation.cluster, objects);
    if (notLoaded) return { phase: 'Error', message: `ComparisonError: ${notLoaded}`, refusals: [] };
    const refusals = syncPermissionRefusals(validation.project, validation.cluster, objects, this.sources.clusters());
    return refusals.length ? { phase: 'Failed', message: syncRefusalMessage(refusals), refusals } : undefined;
  }

  /**
   * Which live objects are the Application's to compare and prune, as the project stands now:
   * Argo CD ignores live objects its project does not permit. Judged once, asked per object.
   */
  permitted(application: Application): (object: TargetObject) => boolean {
    const validation = this.validate(application);
    if (!validation.valid) return () => false;
    const clusters = this.sources.clusters();
    return (object) => isResourcePermitted(validation.project, object, object.name, object.namespaced ? object.namespace : '', validation.cluster, clusters);
  }
}
