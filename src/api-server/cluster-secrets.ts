import type { Secret } from '../api/meta.js';
import { CLUSTER_SECRET_TYPE, SECRET_TYPE_LABEL, secretValue, type ClusterRecord, type ClusterSecretProblem } from '../clusters/cluster-secret.js';
import { ClusterRegistry } from '../clusters/cluster-registry.js';
import { KubeInformer } from '../kube/informer.js';
import type { KubeConfig } from '../kube/kube-config.js';
import type { Logger } from '../observability/logger.js';

export interface ClusterSecretsRead {
  clusters: ClusterRecord[];
  /** Secrets that register no usable cluster, with the field that is wrong. */
  problems: (ClusterSecretProblem & { name: string; server: string; labels: Record<string, string> })[];
}

/** The fleet as the cluster Secrets in Argo CD's namespace register it, from an informer (no API call per request). */
export class ClusterSecrets {
  private readonly informer: KubeInformer<Secret>;
  private readonly registry: ClusterRegistry;

  constructor(kubeConfig: KubeConfig, namespace: string, logger: Logger) {
    this.informer = new KubeInformer<Secret>(
      kubeConfig,
      { apiVersion: 'v1', kind: 'Secret', namespace, labelSelector: `${SECRET_TYPE_LABEL}=${CLUSTER_SECRET_TYPE}` },
      'secrets',
      (message) => logger.warn(message),
    );
    this.registry = new ClusterRegistry(() => this.informer.list());
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }

  read(): ClusterSecretsRead {
    const read: ClusterSecretsRead = { clusters: [], problems: [] };
    for (const { secret, cluster, problems } of this.registry.secretsParsed()) {
      if (cluster) read.clusters.push(cluster);
      const [first] = problems;
      if (first) read.problems.push({ ...first, name: secretValue(secret, 'name') || (secret.metadata?.name ?? ''), server: secretValue(secret, 'server') ?? '', labels: { ...(secret.metadata?.labels ?? {}) } });
    }
    return read;
  }

  /** A destination as people name it: the cluster's name for its server URL, else the URL. */
  nameOf(server: string): string {
    return this.read().clusters.find((c) => c.server === server)?.name || server;
  }
}
