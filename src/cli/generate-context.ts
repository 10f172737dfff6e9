import type { Manifest } from './manifest-files.js';
import { GeneratorError, type GeneratorContext } from '../generators/generator.js';
import { ManifestSecretReader } from './manifest-secrets.js';

export interface GenerateContextOptions {
  namespace: string;
  kubeconfig?: string;
  context?: string;
}

export interface GenerateContext {
  context: GeneratorContext;
  close(): Promise<void>;
}

/** What `regatta generate` gives generators: the `-f` inputs, or the live management cluster. */
export async function createGenerateContext(manifests: Manifest[], options: GenerateContextOptions): Promise<GenerateContext> {
  const unavailable = (what: string) => () => Promise.reject(new GeneratorError(`${what} is not available in regatta generate yet`));
  return {
    context: {
      clusters: { list: unavailable('the cluster registry') },
      repositories: { getDirectories: unavailable('git'), getFiles: unavailable('git') },
      pullRequests: { list: unavailable('pull request providers') },
      secrets: new ManifestSecretReader(manifests.map((m) => m.object), options.namespace),
    },
    close: async () => {},
  };
}
