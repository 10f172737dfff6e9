import type { Secret } from '../api/meta.js';
import { CLUSTER_SECRET_TYPE, SECRET_TYPE_LABEL, secretValue, type ClusterRecord, type ClusterSecretProblem } from '../api/cluster-secret.js';
import { ClusterRegistry } from '../clusters/cluster-registry.js';
import type { ClusterSource, RegisteredCluster } from '../generators/generator.js';
import { KubeInformer } from '../kube/informer.js';
import type { KubeConfig } from '../kube/kube-config.js';
import type { Logger } from '../observability/logger.js';

export interface ClusterSecretsRead {
  clusters: ClusterRecord[];
  /** Secrets that register no usable cluster, with the field that is wrong. */
  problems: (ClusterSecretProblem & { name: string; server: string; labels: Record<string, string> })[];
}

/** The fleet as the cluster Secrets in Argo CD's namespace register it, from an informer (no API call per request). */
export class ClusterSecrets implements ClusterSource {
  private constructor(
    private readonly registry: ClusterRegistry,
    private readonly informer?: KubeInformer<Secret>,
  ) {}

  /** Over the registry the hosting controller already keeps up to date. */
  static over(registry: ClusterRegistry): ClusterSecrets {
    return new ClusterSecrets(registry);
  }

  /** With an informer of its own, for a host without a controller (the demo's dashboard, tests). */
  static watching(kubeConfig: KubeConfig, namespace: string, logger: Logger): ClusterSecrets {
    const informer = new KubeInformer<Secret>(
      kubeConfig,
      { apiVersion: 'v1', kind: 'Secret', namespace, labelSelector: `${SECRET_TYPE_LABEL}=${CLUSTER_SECRET_TYPE}` },
      'secrets',
      (message) => logger.warn(message),
    );
    return new ClusterSecrets(new ClusterRegistry(() => informer.list()), informer);
  }

  async start(): Promise<void> {
    await this.informer?.start();
  }

  async stop(): Promise<void> {
    await this.informer?.stop();
  }

  read(): ClusterSecretsRead {
    const read: ClusterSecretsRead = { clusters: [], problems: [] };
    for (const { secret, cluster, problems } of this.registry.secretsParsed()) {
      if (cluster) read.clusters.push(cluster);
      const [first] = problems;
      if (first)
        read.problems.push({
          ...first,
          name: secretValue(secret, 'name') || (secret.metadata?.name ?? ''),
          server: secretValue(secret, 'server') ?? '',
          labels: { ...(secret.metadata?.labels ?? {}) },
        });
    }
    return read;
  }

  /** The fleet as the Cluster generator sees it (the API's dry runs). */
  list(): Promise<RegisteredCluster[]> {
    return this.registry.list();
  }

  /** Cluster names by server URL (the first named cluster per URL). */
  names(): Map<string, string> {
    const names = new Map<string, string>();
    for (const { server, name } of this.read().clusters) if (name && !names.has(server)) names.set(server, name);
    return names;
  }
}
