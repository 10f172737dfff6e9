import { API_VERSION, type Application, type ApplicationStatus, type Operation } from '../api/application.js';
import type { KubeObject } from '../api/meta.js';
import type { KubeConfig } from '../kube/kube-config.js';
import { ObjectClient } from '../kube/object-client.js';

/** A JSON merge patch of an Application: null removes a field; status fields are named as ApplicationStatus names them. */
export interface ApplicationPatch {
  metadata?: { annotations?: Record<string, string | null>; finalizers?: string[] | null };
  operation?: Operation | null;
  status?: { [field in keyof ApplicationStatus]?: unknown };
}

/** How the parts of the application controller key an Application. */
export const keyOf = (application: Application) => `${application.metadata.namespace}/${application.metadata.name}`;

/** The Applications on the management cluster, read from the API server (not a cache) and merge-patched. */
export class ApplicationClient {
  private readonly client: ObjectClient;

  constructor(config: KubeConfig) {
    this.client = new ObjectClient(config);
  }

  get(namespace: string, name: string): Promise<Application | undefined> {
    return this.client.get<Application>(API_VERSION, 'Application', namespace, name);
  }

  patch(application: Application, patch: ApplicationPatch): Promise<Application> {
    return this.mergePatch(application, patch);
  }

  /**
   * The patch, applied only to the version of the Application given (its resourceVersion): a
   * writer that raced it gets a 409 Conflict instead of silently replacing what the other wrote.
   */
  patchAt(application: Application, patch: ApplicationPatch): Promise<Application> {
    return this.mergePatch(application, { ...patch, metadata: { ...patch.metadata, resourceVersion: application.metadata.resourceVersion } });
  }

  private async mergePatch(application: Application, patch: ApplicationPatch & { metadata?: { resourceVersion?: string } }): Promise<Application> {
    const { metadata, ...rest } = patch;
    return (await this.client.mergePatch({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { ...metadata, name: application.metadata.name, namespace: application.metadata.namespace },
      ...rest,
    } as unknown as KubeObject)) as unknown as Application;
  }
}
