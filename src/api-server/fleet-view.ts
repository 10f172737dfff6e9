import { createHash } from 'node:crypto';
import { SECRET_TYPE_LABEL, type ClusterRecord } from '../api/cluster-secret.js';
import type { ConnectionState } from '../kube/cluster-connection.js';
import type { ClusterSecrets } from './cluster-secrets.js';
import type { ClusterShards } from './cluster-shards.js';

export interface FleetCluster {
  name: string;
  server: string;
  labels: Record<string, string>;
  /** The replica that owns the cluster; absent when no replica does. */
  shard?: string;
  connection: ConnectionState;
  /** The registering Secret, `namespace/name`. */
  secret: string;
}

export type ConnectionProbe = (cluster: ClusterRecord) => Promise<ConnectionState>;

/**
 * The fleet for the API and the dashboard: every registered cluster with its labels, its shard
 * and whether Regatta can reach it. Connection results are kept for `probeTtlMs` so a dashboard
 * refresh does not probe the whole fleet each time, and at most `maxProbes` run at once so a
 * large fleet does not open thousands of connections. Never carries credentials.
 */
export class FleetView {
  private readonly probes = new Map<string, { at: number; state: Promise<ConnectionState> }>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly secrets: Pick<ClusterSecrets, 'read'>,
    private readonly shards: ClusterShards,
    private readonly probe: ConnectionProbe,
    private readonly probeTtlMs = 10_000,
    private readonly maxProbes = 16,
  ) {}

  async clusters(): Promise<FleetCluster[]> {
    const { clusters, problems } = this.secrets.read();
    for (const [key, { at }] of this.probes) if (Date.now() - at >= this.probeTtlMs) this.probes.delete(key);
    const healthy = await Promise.all(
      clusters.map(async (cluster) => ({
        name: cluster.name || cluster.server,
        server: cluster.server,
        labels: userLabels(cluster.labels),
        shard: this.shards.shardOf(cluster.server),
        connection: await this.connection(cluster),
        secret: `${cluster.secret.namespace}/${cluster.secret.name}`,
      })),
    );
    const broken = problems.map((p) => ({
      name: p.name,
      server: p.server,
      labels: userLabels(p.labels),
      connection: { status: 'Failed' as const, message: `cluster Secret ${p.secret}: ${p.field} ${p.message}` },
      secret: p.secret,
    }));
    return [...healthy, ...broken].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private connection(cluster: ClusterRecord): Promise<ConnectionState> {
    // Keyed by a hash of the whole connection, so a rotated token or a moved server is probed again.
    const key = createHash('sha256')
      .update(JSON.stringify([cluster.server, cluster.config]))
      .digest('hex');
    const cached = this.probes.get(key);
    if (cached) return cached.state;
    const state = this.limited(() => this.probe(cluster));
    this.probes.set(key, { at: Date.now(), state });
    return state;
  }

  private async limited<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxProbes) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

/** Labels people set on the cluster Secret, without Argo CD's type marker. */
function userLabels(labels: Record<string, string>): Record<string, string> {
  const { [SECRET_TYPE_LABEL]: _type, ...rest } = labels;
  return rest;
}
