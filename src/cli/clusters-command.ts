import { Redis } from 'ioredis';
import { redisOptions } from '../redis/redis-options.js';
import type { Secret } from '../api/meta.js';
import { ClusterRegistry } from '../clusters/cluster-registry.js';
import { clusterServerKey, IN_CLUSTER_SERVER, secretValue, type ClusterRecord } from '../api/cluster-secret.js';
import { forEachLimited } from '../lib/for-each-limited.js';
import { probeCluster } from '../kube/cluster-connection.js';
import { RedisShardMembership } from '../sharding/redis-membership.js';
import { assignOwnership, SHARDING_ALGORITHMS, type Ownership, type ShardingAlgorithm } from '../sharding/shard-assignment.js';
import { clusterKeys } from '../sharding/sharding-runtime.js';
import { parseFlags, type ParsedFlags } from '../lib/argv.js';
import { type CliCommand, type CliIO } from './command.js';
import { UsageError } from '../lib/argv.js';
import { clientFromFlags } from './kube-flags.js';

const USAGE = `Usage:
  regatta clusters [--kubeconfig PATH] [--context NAME] [-n NS] [-o table|json]
                   [--redis-url URL | --replicas N [--sharding-method ALGORITHM]]

Lists the clusters registered by cluster Secrets in NS (default argocd), the replica (shard) that
owns each, and whether it answers. With --redis-url (or REDIS_URL) the shard is the owner in the
ownership generation the replicas published (dynamic membership); otherwise it is computed as N
replicas with static membership would (shard numbers 0..N-1; default 1 replica, bounded-load).
The state is Successful when the cluster's API server answers /version with the Secret's
credentials, Failed (with the reason) when not, Invalid when the Secret itself is broken.

Exit status: 0 success, 1 the management cluster or Redis could not be read, 2 usage error.
`;

const PROBE_TIMEOUT_MS = 5000;

interface ClusterRow {
  name: string;
  server: string;
  shard: string;
  state: 'Successful' | 'Failed' | 'Invalid';
  message?: string;
}

export const clustersCommand: CliCommand = {
  name: 'clusters',
  summary: 'list the fleet: each cluster, its shard and whether it answers',
  async run(args: string[], io: CliIO): Promise<number> {
    let flags: ParsedFlags;
    let sharding: StaticSharding;
    try {
      ({ flags } = parseFlags(args, [
        { name: 'kubeconfig', kind: 'string' },
        { name: 'context', kind: 'string' },
        { name: 'namespace', short: 'n', kind: 'string' },
        { name: 'output', short: 'o', kind: 'string' },
        { name: 'redis-url', kind: 'string' },
        { name: 'replicas', kind: 'string' },
        { name: 'sharding-method', kind: 'string' },
        { name: 'help', short: 'h', kind: 'boolean' },
      ]));
      if (flags.help) {
        io.stdout.write(USAGE);
        return 0;
      }
      if (flags.output !== undefined && flags.output !== 'table' && flags.output !== 'json')
        throw new UsageError(`--output must be table or json, not ${JSON.stringify(flags.output)}`);
      const replicas = Number(flags.replicas ?? 1);
      if (!Number.isInteger(replicas) || replicas < 1) throw new UsageError(`--replicas must be a positive integer, not ${JSON.stringify(flags.replicas)}`);
      const algorithm = (flags['sharding-method'] as string | undefined) ?? 'bounded-load';
      if (!(SHARDING_ALGORITHMS as readonly string[]).includes(algorithm))
        throw new UsageError(`--sharding-method must be one of ${SHARDING_ALGORITHMS.join(', ')}, not ${JSON.stringify(algorithm)}`);
      sharding = { replicas, algorithm: algorithm as ShardingAlgorithm };
    } catch (error) {
      io.stderr.write(`regatta clusters: ${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    let rows: ClusterRow[];
    try {
      rows = await listClusters(flags, sharding);
    } catch (error) {
      io.stderr.write(`regatta clusters: ${(error as Error).message}\n`);
      return 1;
    }
    io.stdout.write(flags.output === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : table(rows));
    return 0;
  },
};

/** How static membership would shard, for when no ownership is published. */
interface StaticSharding {
  replicas: number;
  algorithm: ShardingAlgorithm;
}

async function listClusters(flags: ParsedFlags, sharding: StaticSharding): Promise<ClusterRow[]> {
  const secrets = await clientFromFlags(flags).list<Secret>('v1', 'Secret', (flags.namespace as string | undefined) ?? 'argocd');
  const parsed = new ClusterRegistry(() => secrets).secretsParsed();
  const records = parsed.flatMap((p) => (p.cluster ? [p.cluster] : []));
  const shardOf = await shards(flags, sharding, records);

  const rows: ClusterRow[] = parsed.map(({ secret, cluster, problems }) =>
    cluster
      ? { name: cluster.name, server: cluster.server, shard: shardOf(cluster.server), state: 'Successful' }
      : {
          name: secretValue(secret, 'name') ?? secret.metadata?.name ?? '',
          server: secretValue(secret, 'server') ?? '',
          shard: '-',
          state: 'Invalid',
          message: problems.map((p) => `${p.field}: ${p.message}`).join('; '),
        },
  );
  await forEachLimited(
    parsed.flatMap(({ cluster }, i) => (cluster ? [{ cluster, row: rows[i] }] : [])),
    16,
    async ({ cluster, row }) => {
      const connection = await probeCluster(cluster, PROBE_TIMEOUT_MS);
      if (connection.status !== 'Successful') Object.assign(row, { state: 'Failed', message: connection.message });
    },
  );
  if (!records.some((r) => r.server === IN_CLUSTER_SERVER))
    rows.push({
      name: 'in-cluster',
      server: IN_CLUSTER_SERVER,
      shard: shardOf(IN_CLUSTER_SERVER),
      state: 'Successful',
      message: 'the management cluster (no Secret)',
    });
  return rows.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Each cluster's shard: the owning replica in the ownership the replicas published (dynamic
 * membership), or the shard number static membership would give it; `-` when it has none.
 */
async function shards(flags: ParsedFlags, sharding: StaticSharding, records: ClusterRecord[]): Promise<(server: string) => string> {
  const redisUrl = (flags['redis-url'] as string | undefined) ?? process.env.REDIS_URL;
  if (redisUrl) {
    const redis = new Redis({ ...redisOptions(redisUrl), lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    redis.on('error', () => undefined);
    let published: Ownership | undefined;
    try {
      await redis.connect();
      published = await RedisShardMembership.read(redis);
    } catch (error) {
      throw new Error(`cannot read the shard ownership from Redis: ${(error as Error).message}`, { cause: error });
    } finally {
      redis.disconnect();
    }
    return (server) => published?.clusters[clusterServerKey(server)] ?? '-';
  }
  const members = Array.from({ length: sharding.replicas }, (_, i) => `shard-${i}`);
  const computed = assignOwnership(sharding.algorithm, members, clusterKeys(records), []);
  return (server) => {
    const owner = computed.clusters[clusterServerKey(server)];
    return owner === undefined ? '-' : String(computed.members.indexOf(owner));
  };
}

function table(rows: ClusterRow[]): string {
  const header = ['NAME', 'SERVER', 'SHARD', 'STATE', 'MESSAGE'];
  const cells = rows.map((r) => [r.name, r.server, r.shard, r.state, r.message ?? '']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  return (
    [header, ...cells]
      .map((line) =>
        line
          .map((cell, i) => cell.padEnd(widths[i]))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
