import type { KubeObject, Secret } from '../api/meta.js';
import { ClusterRegistry } from '../clusters/cluster-registry.js';
import { gitCacheDirectory, GitRepositoryCache } from '../git/repository-cache.js';
import { credentialsFor } from '../git/repository-credentials.js';
import type { GeneratorContext } from '../generators/generator.js';
import { loadKubeConfig } from '../kube/kube-config.js';
import { ObjectClient } from '../kube/object-client.js';
import { ScmPullRequestService } from '../scm/pull-request-providers.js';
import type { Manifest } from './manifest-files.js';
import { ManifestSecretReader } from './manifest-secrets.js';

export interface GenerateContextOptions {
  namespace: string;
  kubeconfig?: string;
  context?: string;
  /** Where problems with the inputs (an invalid cluster Secret) are reported. */
  warn: (message: string) => void;
  /** Time the template engine may spend rendering one Application (--template-timeout). */
  templateTimeoutSeconds?: number;
}

export interface GenerateContext {
  context: GeneratorContext;
  close(): Promise<void>;
}

/** A namespace's Secrets as objects read from files are (list items carry no `kind`). */
export async function namespaceSecrets(client: ObjectClient, namespace: string): Promise<Secret[]> {
  return (await client.list<Secret>('v1', 'Secret', namespace)).map((s) => ({ ...s, kind: 'Secret' }));
}

/**
 * What `regatta generate` gives generators: the `-f` inputs, and with `--kubeconfig` the Secrets
 * of the live management cluster's namespace as well (read once, never written).
 */
export async function createGenerateContext(manifests: Manifest[], options: GenerateContextOptions): Promise<GenerateContext> {
  const objects: KubeObject[] = manifests.map((m) => m.object);
  if (options.kubeconfig) {
    objects.push(...(await namespaceSecrets(new ObjectClient(loadKubeConfig({ kubeconfig: options.kubeconfig, context: options.context })), options.namespace)));
  }
  const secrets = objects.filter((o) => o.kind === 'Secret') as Secret[];
  const secretReader = new ManifestSecretReader(objects, options.namespace);
  return {
    context: {
      clusters: new ClusterRegistry(
        () => secrets,
        (problem) => options.warn(`cluster Secret ${problem.secret} is left out: ${problem.field} ${problem.message}`),
      ),
      repositories: new GitRepositoryCache({ directory: gitCacheDirectory(), credentials: (url) => credentialsFor(url, secrets) }),
      pullRequests: new ScmPullRequestService(secretReader),
      secrets: secretReader,
      templateTimeoutMs: options.templateTimeoutSeconds === undefined ? undefined : options.templateTimeoutSeconds * 1000,
    },
    close: async () => {},
  };
}
