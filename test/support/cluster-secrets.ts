import type { Secret } from '../../src/api/meta.js';
import { ClusterRegistry } from '../../src/clusters/cluster-registry.js';
import type { GeneratorContext } from '../../src/generators/generator.js';
import { offlineContext } from './generation.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** An Argo CD cluster Secret as `argocd cluster add` or a declarative setup writes it. */
export function clusterSecret(
  name: string,
  server: string,
  options: { labels?: Record<string, string>; annotations?: Record<string, string>; project?: string; config?: string; secretName?: string } = {},
): Secret {
  const data: Record<string, string> = { name: b64(name), server: b64(server), config: b64(options.config ?? '{"tlsClientConfig":{"insecure":false}}') };
  if (options.project !== undefined) data.project = b64(options.project);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: options.secretName ?? `cluster-${name}`,
      namespace: 'argocd',
      labels: { 'argocd.argoproj.io/secret-type': 'cluster', ...options.labels },
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    type: 'Opaque',
    data,
  };
}

export function contextWithClusters(secrets: Secret[]): GeneratorContext {
  return offlineContext({ clusters: new ClusterRegistry(() => secrets) });
}
