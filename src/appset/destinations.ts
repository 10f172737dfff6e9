import type { ApplicationDestination } from '../api/application.js';
import { clusterServerKey, IN_CLUSTER_NAME, IN_CLUSTER_SERVER } from '../clusters/cluster-secret.js';
import type { RegisteredCluster } from '../generators/generator.js';

export interface Fleet {
  clusters: RegisteredCluster[];
  /** argocd-cm's `cluster.inClusterEnabled` is not "false". */
  inClusterEnabled: boolean;
}

/** argocd-cm's switch for the local cluster, as Argo CD reads it. */
export function inClusterEnabled(argocdCm: { data?: Record<string, string> } | undefined): boolean {
  return argocdCm?.data?.['cluster.inClusterEnabled'] !== 'false';
}

/** The fleet's servers (without trailing slashes) and names, indexed once per cluster list: every generated Application is checked against them. */
const indexes = new WeakMap<RegisteredCluster[], { servers: Set<string>; serversByName: Map<string, string[]> }>();
function indexOf(clusters: RegisteredCluster[]) {
  let index = indexes.get(clusters);
  if (!index) {
    const serversByName = new Map<string, string[]>();
    for (const cluster of clusters) serversByName.set(cluster.name, [...(serversByName.get(cluster.name) ?? []), cluster.server]);
    index = { servers: new Set(clusters.map((c) => clusterServerKey(c.server))), serversByName };
    indexes.set(clusters, index);
  }
  return index;
}

/**
 * Why an Application's destination names no usable cluster, in Argo CD's words, or undefined when
 * it is valid. The local cluster exists unless argocd-cm disables it, with or without a Secret.
 */
export function destinationProblem(destination: ApplicationDestination, fleet: Fleet): string | undefined {
  const invalid = (message: string) => `application destination spec is invalid: ${message}`;
  if (destination.name && destination.server) return invalid(`application destination can't have both name and server defined: ${destination.name} ${destination.server}`);
  let server = destination.server === undefined ? undefined : clusterServerKey(destination.server);
  if (!server && destination.name) {
    const servers = [...(indexOf(fleet.clusters).serversByName.get(destination.name) ?? [])];
    if (destination.name === IN_CLUSTER_NAME && fleet.inClusterEnabled && !servers.length) servers.push(IN_CLUSTER_SERVER);
    if (servers.length === 0) return invalid(`there are no clusters with this name: ${destination.name}`);
    if (servers.length > 1) return invalid(`there are ${servers.length} clusters with the same name: [${servers.join(' ')}]`);
    server = servers[0];
  }
  if (!server) return invalid('Destination server missing from app spec');
  const how = destination.server ? `error getting cluster by server ${JSON.stringify(destination.server)}` : 'error getting cluster by URL';
  if (server === IN_CLUSTER_SERVER) {
    return fleet.inClusterEnabled ? undefined : invalid(`${how}: rpc error: code = NotFound desc = cluster "${server}" is disabled`);
  }
  if (!indexOf(fleet.clusters).servers.has(server)) return invalid(`${how}: rpc error: code = NotFound desc = cluster "${server}" not found`);
  return undefined;
}
