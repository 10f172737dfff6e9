import { API_VERSION } from '../api/application.js';
import { APP_PROJECT_KIND, type AppProject } from '../api/app-project.js';
import type { ConfigMap, KubeObject, Secret } from '../api/meta.js';
import { isClusterSecret } from '../api/cluster-secret.js';
import { ClusterRegistry } from '../clusters/cluster-registry.js';
import { gitCacheDirectory, GitRepositoryCache } from '../git/repository-cache.js';
import { repositoryAccess } from '../git/repository-credentials.js';
import { SSH_KNOWN_HOSTS_CONFIGMAP, sshKnownHosts, TLS_CERTS_CONFIGMAP, tlsCertificatesFor } from '../git/repository-trust.js';
import type { ConfigMapReader, GeneratorContext } from '../generators/generator.js';
import { loadKubeConfig } from '../kube/kube-config.js';
import { ObjectClient } from '../kube/object-client.js';
import { ScmPullRequestService } from '../scm/pull-request-providers.js';
import { ScmGateway } from '../scm/scm-gateway.js';
import { ScmProviders } from '../scm/scm-provider-service.js';
import type { Manifest } from './manifest-files.js';
import { ManifestSecretReader } from './manifest-secrets.js';

export interface GenerateContextOptions {
  namespace: string;
  kubeconfig?: string;
  context?: string;
  /** Read the live namespace from the usual kubeconfig (--kubeconfig, else $KUBECONFIG, ~/.kube/config) even without --kubeconfig. */
  live?: boolean;
  /** Where problems with the inputs (an invalid cluster Secret) are reported. */
  warn: (message: string) => void;
  /** Time the template engine may spend rendering one Application (--template-timeout). */
  templateTimeoutSeconds?: number;
}

export interface GenerateContext {
  context: GeneratorContext;
  /** The AppProjects among the inputs and, with --kubeconfig, those of the live namespace. */
  projects: AppProject[];
  close(): Promise<void>;
}

/** A namespace's Secrets as objects read from files are (list items carry no `kind`). */
async function namespaceSecrets(client: ObjectClient, namespace: string): Promise<Secret[]> {
  return (await client.list<Secret>('v1', 'Secret', namespace)).map((s) => ({ ...s, kind: 'Secret' }));
}

/** A namespace's ConfigMaps (repository trust, plugin and duck-type settings) as objects read from files are. */
async function namespaceConfigMaps(client: ObjectClient, namespace: string): Promise<ConfigMap[]> {
  return (await client.list<ConfigMap>('v1', 'ConfigMap', namespace)).map((c) => ({ ...c, kind: 'ConfigMap' }));
}

/**
 * What `regatta generate` gives generators: the `-f` inputs, and with `--kubeconfig` the Secrets
 * and ConfigMaps of the live management cluster's namespace as well (read once,
 * never written). Repositories are reached as the controller reaches them: SSH host keys and TLS
 * certificates are checked against those ConfigMaps, not the user's own settings.
 */
export async function createGenerateContext(manifests: Manifest[], options: GenerateContextOptions): Promise<GenerateContext> {
  const objects: KubeObject[] = manifests.map((m) => m.object);
  const client =
    options.kubeconfig || options.live ? new ObjectClient(loadKubeConfig({ kubeconfig: options.kubeconfig, context: options.context })) : undefined;
  if (client) {
    objects.push(
      ...(await namespaceSecrets(client, options.namespace)),
      ...(await namespaceConfigMaps(client, options.namespace)),
      ...(await client.list<AppProject>(API_VERSION, APP_PROJECT_KIND, options.namespace)).map((p) => ({ ...p, kind: APP_PROJECT_KIND })),
    );
  }
  const secrets = objects.filter((o) => o.kind === 'Secret') as Secret[];
  // Argo CD lists cluster Secrets in its own namespace only: one elsewhere registers nothing.
  const clusterSecrets = secrets.filter((secret) => {
    if (!isClusterSecret(secret) || (secret.metadata?.namespace ?? options.namespace) === options.namespace) return true;
    options.warn(
      `cluster Secret ${secret.metadata?.namespace}/${secret.metadata?.name ?? '<unnamed>'} is ignored: cluster Secrets count only in Argo CD's namespace ${options.namespace}`,
    );
    return false;
  });
  const configMapIn = (namespace: string, name: string) =>
    objects.find((o) => o.kind === 'ConfigMap' && o.metadata?.name === name && (o.metadata.namespace ?? options.namespace) === namespace) as
      ConfigMap | undefined;
  const configMap = (name: string) => configMapIn(options.namespace, name);
  const secretReader = new ManifestSecretReader(objects, options.namespace);
  // A provider's `caRef`, from the inputs (and the live namespace's ConfigMaps with --kubeconfig).
  const applicationSetConfigMaps: ConfigMapReader = {
    configMapData: async (namespace, name) => {
      const found = configMapIn(namespace, name);
      if (!found) throw new Error(`configmaps "${name}" not found`);
      return found.data ?? {};
    },
  };
  const scm = { configMaps: applicationSetConfigMaps, gateway: new ScmGateway() };
  return {
    context: {
      clusters: new ClusterRegistry(
        () => clusterSecrets,
        (problem) => options.warn(`cluster Secret ${problem.secret} is left out: ${problem.field} ${problem.message}`),
      ),
      repositories: new GitRepositoryCache({
        directory: gitCacheDirectory(),
        access: (url, project) => repositoryAccess(url, project, secrets),
        sshKnownHosts: () => sshKnownHosts(configMap(SSH_KNOWN_HOSTS_CONFIGMAP)),
        tlsCertificates: (serverName) => tlsCertificatesFor(configMap(TLS_CERTS_CONFIGMAP), serverName),
        // The CLI runs as its user, whose own repositories on disk are theirs to preview.
        allowLocalRepositories: true,
      }),
      pullRequests: new ScmPullRequestService(secretReader, scm),
      scmProviders: new ScmProviders(secretReader, scm),
      secrets: secretReader,
      settings: {
        namespace: options.namespace,
        configMapData: async (name) => {
          const found = configMap(name);
          return found && (found.data ?? {});
        },
      },
      resources: {
        // Files carry kinds, not resources: `placementdecisions` is taken to name kind PlacementDecision.
        list: async (apiVersion, resource) => {
          const given = objects.filter(
            (o) =>
              o.apiVersion === apiVersion &&
              [o.kind?.toLowerCase(), `${o.kind?.toLowerCase()}s`].includes(resource.toLowerCase()) &&
              (o.metadata?.namespace ?? options.namespace) === options.namespace,
          );
          const live = client ? await client.listResource(apiVersion, resource, options.namespace) : [];
          return [...given, ...live.filter((o) => !given.some((g) => g.metadata?.name === o.metadata?.name))];
        },
      },
      templateTimeoutMs: options.templateTimeoutSeconds === undefined ? undefined : options.templateTimeoutSeconds * 1000,
    },
    projects: objects.filter((o): o is AppProject => o.kind === APP_PROJECT_KIND && typeof o.metadata?.name === 'string'),
    close: async () => {},
  };
}
