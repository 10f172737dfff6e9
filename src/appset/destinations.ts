import type { ApplicationDestination } from '../api/application.js';
import { IN_CLUSTER_NAME, IN_CLUSTER_SERVER } from '../clusters/cluster-secret.js';
import type { RegisteredCluster } from '../generators/generator.js';
import { resolveDestination } from '../projects/destination-cluster.js';

export interface Fleet {
  clusters: RegisteredCluster[];
  /** argocd-cm's `cluster.inClusterEnabled` is not "false". */
  inClusterEnabled: boolean;
}

/** argocd-cm's switch for the local cluster, as Argo CD reads it. */
export function inClusterEnabled(argocdCm: { data?: Record<string, string> } | undefined): boolean {
  return argocdCm?.data?.['cluster.inClusterEnabled'] !== 'false';
}

/**
 * Why an Application's destination names no usable cluster, in Argo CD's words, or undefined when
 * it is valid. The local cluster exists unless argocd-cm disables it, with or without a Secret.
 */
export function destinationProblem(destination: ApplicationDestination, fleet: Fleet): string | undefined {
  const resolved = resolveDestination(destination, fleet.clusters, { name: IN_CLUSTER_NAME, server: IN_CLUSTER_SERVER, enabled: fleet.inClusterEnabled });
  return 'error' in resolved ? `application destination spec is invalid: ${resolved.error}` : undefined;
}
