import type { Secret } from '../api/meta.js';
import { CLUSTER_SECRET_TYPE, parseClusterSecret, SECRET_TYPE_LABEL, secretValue, type ClusterRecord, type ClusterSecretProblem } from '../clusters/cluster-secret.js';
import type { ObjectClient } from '../kube/object-client.js';

export interface ClusterSecretsRead {
  clusters: ClusterRecord[];
  /** Secrets that register no usable cluster, with the field that is wrong. */
  problems: (ClusterSecretProblem & { name: string; server: string; labels: Record<string, string> })[];
}

/** The fleet as the cluster Secrets in Argo CD's namespace register it, read fresh on each call. */
export class ClusterSecrets {
  private latest: ClusterRecord[] = [];

  constructor(
    private readonly client: ObjectClient,
    private readonly namespace: string,
  ) {}

  async read(): Promise<ClusterSecretsRead> {
    const secrets = await this.client.list<Secret>('v1', 'Secret', this.namespace, `${SECRET_TYPE_LABEL}=${CLUSTER_SECRET_TYPE}`);
    const read: ClusterSecretsRead = { clusters: [], problems: [] };
    for (const secret of secrets) {
      const { cluster, problems } = parseClusterSecret(secret);
      if (cluster) read.clusters.push(cluster);
      const [first] = problems;
      if (first) read.problems.push({ ...first, name: secretValue(secret, 'name') || (secret.metadata?.name ?? ''), server: secretValue(secret, 'server') ?? '', labels: { ...(secret.metadata?.labels ?? {}) } });
    }
    this.latest = read.clusters;
    return read;
  }

  /** The clusters of the last read (what the shard assignment is computed over). */
  known(): ClusterRecord[] {
    return this.latest;
  }
}
