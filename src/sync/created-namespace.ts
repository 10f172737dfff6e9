import type { Application } from '../api/application.js';
import type { KubeObject } from '../api/meta.js';

/**
 * On a Namespace the direct driver created for CreateNamespace=true: which Application it was
 * created for (`namespace/name`). Only a Namespace carrying it is removed with that Application;
 * one that existed before never is.
 */
export const CREATED_FOR_ANNOTATION = 'regatta.dev/created-for-application';

const owner = (application: Application) => `${application.metadata.namespace ?? ''}/${application.metadata.name}`;

/** The Namespace CreateNamespace=true writes, marked as created for `application`. */
export function createdNamespaceManifest(application: Application, name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, annotations: { [CREATED_FOR_ANNOTATION]: owner(application) } } };
}

/** Whether the live Namespace was created by Regatta for this Application. */
export function createdFor(namespace: KubeObject | undefined, application: Application): boolean {
  return namespace?.metadata?.annotations?.[CREATED_FOR_ANNOTATION] === owner(application);
}
