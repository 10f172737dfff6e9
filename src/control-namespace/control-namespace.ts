import { API_VERSION } from '../api/application.js';
import { APP_PROJECT_KIND, type AppProject } from '../api/app-project.js';
import type { ConfigMap, Secret } from '../api/meta.js';
import { CLUSTER_SECRET_TYPE, SECRET_TYPE_LABEL, secretRefValue, secretValue } from '../api/cluster-secret.js';
import { ClusterRegistry } from '../clusters/cluster-registry.js';
import { gitCacheDirectory, GitRepositoryCache } from '../git/repository-cache.js';
import { ChartRepositories } from '../helm/index.js';
import { repositoryAccess } from '../git/repository-credentials.js';
import { SSH_KNOWN_HOSTS_CONFIGMAP, sshKnownHosts, TLS_CERTS_CONFIGMAP, tlsCertificatesFor } from '../git/repository-trust.js';
import type { ConfigMapReader, GeneratorContext, SecretReader } from '../generators/generator.js';
import { KubeEventRecorder } from '../kube/event-recorder.js';
import { KubeInformer } from '../kube/informer.js';
import type { KubeConfig } from '../kube/kube-config.js';
import { ObjectClient } from '../kube/object-client.js';
import type { Logger } from '../observability/logger.js';
import type { ProjectRepository } from '../projects/project-rules.js';
import { ScmPullRequestService } from '../scm/pull-request-providers.js';
import { ScmGateway, type ScmGatewayObserver } from '../scm/scm-gateway.js';
import { ScmProviders } from '../scm/scm-provider-service.js';
import type { ScmPolicy } from '../scm/scm-policy.js';

export interface ControlNamespaceOptions {
  /** Argo CD's namespace (`argocd`). */
  namespace: string;
  /** `file://` URLs and local paths may be read as repositories (demos and tests only). */
  allowLocalRepositories: boolean;
  scm: ScmPolicy;
  templateTimeoutSeconds: number;
  /** Argo CD's argocd_github_api_* series are recorded (off unless set, as in Argo CD). */
  githubApiMetrics?: boolean;
}

export const CONTROL_NAMESPACE_OPTIONS = Symbol('CONTROL_NAMESPACE_OPTIONS');

/**
 * What Argo CD's control namespace holds, watched: cluster and repository Secrets, AppProjects,
 * argocd-cm and the repository trust ConfigMaps; and what generators reach through it.
 */
export class ControlNamespace {
  readonly context: GeneratorContext;
  /** The registered clusters with their connection settings. */
  readonly clusters: ClusterRegistry;
  /** The Git cache generators read through; syncs render sources from the same copies. */
  readonly repositories: GitRepositoryCache;
  /** Helm repositories and OCI registries, read with the same repository Secrets as Git. */
  readonly charts: ChartRepositories;
  private readonly clusterSecrets: KubeInformer<Secret>;
  private readonly repositorySecrets: KubeInformer<Secret>;
  private readonly appProjects: KubeInformer<AppProject>;
  /** Argo CD's settings: argocd-cm, and the servers repositories may be reached on (known hosts, TLS certificates). */
  private readonly configMaps: KubeInformer<ConfigMap>;
  /** Argo CD's namespace: cluster and repository Secrets, AppProjects and argocd-cm live there. */
  readonly namespace: string;
  private readonly listeners: ((secret: Secret) => void)[] = [];
  private readonly projectListeners: ((name: string) => void)[] = [];
  private starting?: Promise<void>;
  private repositoryRules?: readonly ProjectRepository[];

  constructor(kubeConfig: KubeConfig, config: ControlNamespaceOptions, logger: Logger, scmObserver?: ScmGatewayObserver) {
    const client = new ObjectClient(kubeConfig);
    this.namespace = config.namespace;
    this.clusterSecrets = new KubeInformer<Secret>(
      kubeConfig,
      { apiVersion: 'v1', kind: 'Secret', namespace: config.namespace, labelSelector: `${SECRET_TYPE_LABEL}=${CLUSTER_SECRET_TYPE}` },
      'secrets',
      (message) => logger.warn(message),
    );

    this.repositorySecrets = new KubeInformer<Secret>(
      kubeConfig,
      { apiVersion: 'v1', kind: 'Secret', namespace: config.namespace, labelSelector: `${SECRET_TYPE_LABEL} in (repository,repo-creds)` },
      'secrets',
      (message) => logger.warn(message),
    );
    // Read on every sync and every remote git call: watched, not fetched each time.
    this.configMaps = new KubeInformer<ConfigMap>(kubeConfig, { apiVersion: 'v1', kind: 'ConfigMap', namespace: config.namespace }, 'configmaps', (message) =>
      logger.warn(message),
    );
    // Argo CD reads AppProjects only from its own namespace: a project elsewhere is not a project.
    this.appProjects = new KubeInformer<AppProject>(
      kubeConfig,
      { apiVersion: API_VERSION, kind: APP_PROJECT_KIND, namespace: config.namespace },
      'appprojects',
      (message) => logger.warn(message),
    );
    for (const event of ['add', 'update', 'delete'] as const)
      this.appProjects.on(event, (project) => this.projectListeners.forEach((listener) => listener(project.metadata.name)));
    const events = new KubeEventRecorder(client, 'regatta-applicationset-controller', (message) => logger.warn(message));
    const clusters = (this.clusters = new ClusterRegistry(
      () => this.clusterSecrets.list(config.namespace),
      (problem) => {
        logger.warn('invalid cluster Secret', { secret: problem.secret, field: problem.field, problem: problem.message });
        const [namespace, name] = problem.secret.split('/');
        const secret = this.clusterSecrets.get(name, namespace);
        if (secret) events.record(secret, 'Warning', 'InvalidClusterSecret', `${problem.field} ${problem.message}; the cluster cannot be connected to`);
      },
    ));
    // Each change re-validates the registry (reporting bad Secrets once) and wakes ApplicationSets that read the fleet.
    const changed = (secret: Secret) => {
      clusters.records();
      this.listeners.forEach((listener) => listener(secret));
    };
    for (const event of ['add', 'update', 'delete'] as const) this.clusterSecrets.on(event, changed);
    // A repository scoped to a project widens (or, removed, narrows) what that project's Applications may use.
    for (const event of ['add', 'update', 'delete'] as const) {
      this.repositorySecrets.on(event, (secret) => {
        this.repositoryRules = undefined;
        const project = secretValue(secret, 'project');
        if (project) this.projectListeners.forEach((listener) => listener(project));
      });
    }
    const secretReader: SecretReader = {
      getSecretValue: async (namespace, name, key, scmCredsOnly) => {
        const secret = await client.get<Secret>('v1', 'Secret', namespace || config.namespace, name);
        return secretRefValue(secret, namespace || config.namespace, name, key, scmCredsOnly);
      },
    };
    this.repositories = new GitRepositoryCache({
      directory: gitCacheDirectory(),
      access: (url, project) => repositoryAccess(url, project, this.repositorySecrets.list(config.namespace)),
      sshKnownHosts: () => sshKnownHosts(this.configMaps.get(SSH_KNOWN_HOSTS_CONFIGMAP, config.namespace)),
      tlsCertificates: (serverName) => tlsCertificatesFor(this.configMaps.get(TLS_CERTS_CONFIGMAP, config.namespace), serverName),
      allowLocalRepositories: config.allowLocalRepositories,
    });
    this.charts = new ChartRepositories({
      access: (url, project) => repositoryAccess(url, project, this.repositorySecrets.list(config.namespace)),
      tlsCertificates: (serverName) => tlsCertificatesFor(this.configMaps.get(TLS_CERTS_CONFIGMAP, config.namespace), serverName),
    });
    // A provider's `caRef`, read from the ApplicationSet's namespace as Argo CD reads it.
    const applicationSetConfigMaps: ConfigMapReader = {
      configMapData: async (namespace, name) => {
        const found = await client.get<ConfigMap>('v1', 'ConfigMap', namespace || config.namespace, name);
        if (!found) throw new Error(`configmaps "${name}" not found`);
        return found.data ?? {};
      },
    };
    const scm = { policy: config.scm, configMaps: applicationSetConfigMaps, gateway: new ScmGateway({ observer: scmObserver }) };
    this.context = {
      clusters,
      repositories: this.repositories,
      pullRequests: new ScmPullRequestService(secretReader, scm),
      scmProviders: new ScmProviders(secretReader, scm),
      secrets: secretReader,
      settings: {
        namespace: config.namespace,
        configMapData: async (name) => {
          const found = this.configMaps.get(name, config.namespace);
          return found && (found.data ?? {});
        },
      },
      resources: { list: (apiVersion, resource) => client.listResource(apiVersion, resource, config.namespace) },
      templateTimeoutMs: config.templateTimeoutSeconds * 1000,
    };
  }

  /** An AppProject in Argo CD's namespace, from the cache. */
  project(name: string): AppProject | undefined {
    return this.appProjects.get(name, this.namespace);
  }

  /** Repository Secrets as project rules read them: a `project` scopes one to that project. One list until a repository Secret changes. */
  projectRepositories(): readonly ProjectRepository[] {
    this.repositoryRules ??= this.repositorySecrets
      .list(this.namespace)
      .filter((s) => s.metadata?.labels?.[SECRET_TYPE_LABEL] === 'repository')
      .map((s) => ({ url: secretValue(s, 'url') ?? '', project: secretValue(s, 'project') }));
    return this.repositoryRules;
  }

  /** argocd-cm's data, from the cache. */
  argocdSettings(): Record<string, string> | undefined {
    return this.configMaps.get('argocd-cm', this.namespace)?.data;
  }

  /** Called with a project's name after it, or a repository Secret scoped to it, is created, changed or deleted. */
  onProjectChanged(listener: (name: string) => void): void {
    this.projectListeners.push(listener);
  }

  /** Called after any cluster Secret is added, changed or removed, with the Secret as it now is (or last was). */
  onClustersChanged(listener: (secret: Secret) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Starts the caches and resolves once each holds its first listing. Idempotent: the application
   * controller waits on it too, since judging an Application against an empty project cache would
   * refuse it for a project that only has not been read yet.
   */
  start(): Promise<void> {
    this.starting ??= Promise.all([this.clusterSecrets.start(), this.repositorySecrets.start(), this.appProjects.start(), this.configMaps.start()]).then(
      () => undefined,
    );
    return this.starting;
  }

  async stop(): Promise<void> {
    this.starting = undefined;
    await Promise.all([this.clusterSecrets.stop(), this.repositorySecrets.stop(), this.appProjects.stop(), this.configMaps.stop()]);
  }
}
