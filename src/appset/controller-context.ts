import type { AppConfig } from '../app-config.js';
import { GeneratorError, type GeneratorContext } from '../generators/generator.js';
import type { KubeConfig } from '../kube/kube-config.js';
import { ObjectClient } from '../kube/object-client.js';
import type { Logger } from '../observability/logger.js';

export interface ControllerContext {
  context: GeneratorContext;
  close(): Promise<void>;
}

/** What generators reach in the running controller: the live cluster registry, repositories, SCM APIs and Secrets. */
export async function createControllerContext(kubeConfig: KubeConfig, config: AppConfig, _logger: Logger): Promise<ControllerContext> {
  const client = new ObjectClient(kubeConfig);
  const unavailable = (what: string) => () => Promise.reject(new GeneratorError(`${what} is not available yet`));
  return {
    context: {
      clusters: { list: unavailable('the cluster registry') },
      repositories: { getDirectories: unavailable('git'), getFiles: unavailable('git') },
      pullRequests: { list: unavailable('pull request providers') },
      secrets: {
        getSecretValue: async (namespace, name, key) => {
          const secret = await client.get<{ data?: Record<string, string> }>('v1', 'Secret', namespace ?? config.namespace, name);
          if (!secret) throw new Error(`secret ${namespace}/${name} not found`);
          const value = secret.data?.[key];
          if (value === undefined) throw new Error(`key ${JSON.stringify(key)} in secret ${namespace}/${name} not found`);
          return Buffer.from(value, 'base64').toString('utf8');
        },
      },
    },
    close: async () => {},
  };
}
