import type { ApplicationDestination } from '../api/application.js';
import { IN_CLUSTER_NAME, IN_CLUSTER_SERVER } from '../api/cluster-secret.js';

export interface NamedCluster {
  name: string;
  server: string;
}

/** The cluster Argo CD runs in, reachable without a Secret unless argocd-cm disables it. */
export interface LocalCluster extends NamedCluster {
  enabled: boolean;
}

/** The destination's cluster (`cluster` undefined: the local cluster, registered by no Secret), or Argo CD's reason there is none. */
export type ResolvedDestination<C> = { server: string; cluster: C | undefined } | { error: string };

/** A server as Argo CD looks clusters up by it: without trailing slashes. */
const serverKey = (server: string) => server.replace(/\/+$/, '');

/** Clusters indexed once per list: every Application of a fleet is resolved against the same list. */
const indexes = new WeakMap<readonly NamedCluster[], { byServer: Map<string, NamedCluster>; byName: Map<string, NamedCluster[]> }>();
function indexOf<C extends NamedCluster>(clusters: readonly C[]): { byServer: Map<string, C>; byName: Map<string, C[]> } {
  let index = indexes.get(clusters);
  if (!index) {
    index = { byServer: new Map(), byName: new Map() };
    for (const cluster of clusters) {
      const key = serverKey(cluster.server);
      if (!index.byServer.has(key)) index.byServer.set(key, cluster);
      index.byName.set(cluster.name, [...(index.byName.get(cluster.name) ?? []), cluster]);
    }
    indexes.set(clusters, index);
  }
  return index as { byServer: Map<string, C>; byName: Map<string, C[]> };
}

/** Argo CD's GetDestinationCluster: a destination names its cluster by server or by name, never both, with Argo CD's texts. */
export function resolveDestination<C extends NamedCluster>(
  destination: ApplicationDestination,
  clusters: readonly C[],
  local: LocalCluster,
): ResolvedDestination<C> {
  const { byServer, byName } = indexOf(clusters);
  if (destination.name && destination.server)
    return { error: `application destination can't have both name and server defined: ${destination.name} ${destination.server}` };
  let server: string;
  if (destination.server) server = serverKey(destination.server);
  else if (destination.name) {
    let servers = (byName.get(destination.name) ?? []).map((c) => c.server);
    if (!local.enabled) servers = servers.filter((s) => s !== local.server);
    else if (servers.length === 0 && destination.name === local.name) servers = [local.server];
    if (servers.length === 0) return { error: `there are no clusters with this name: ${destination.name}` };
    if (servers.length > 1) return { error: `there are ${servers.length} clusters with the same name: [${servers.join(' ')}]` };
    server = serverKey(servers[0]);
  } else return { error: 'Destination server missing from app spec' };

  const cluster = byServer.get(server);
  // The local cluster's Secret only adds settings to it; argocd-cm still decides whether it exists.
  if (server === serverKey(local.server)) return local.enabled ? { server, cluster } : notFound(destination, server, 'is disabled');
  return cluster ? { server, cluster } : notFound(destination, server, 'not found');
}

/** Argo CD's text for a destination server with no usable cluster: built only then, as every Application of a fleet is resolved. */
function notFound(destination: ApplicationDestination, server: string, why: string): { error: string } {
  const how = destination.server ? `error getting cluster by server ${JSON.stringify(destination.server)}` : 'error getting cluster by URL';
  return { error: `${how}: rpc error: code = NotFound desc = cluster "${server}" ${why}` };
}

export interface Fleet {
  clusters: NamedCluster[];
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
