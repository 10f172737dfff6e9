import type { AppConfig } from '../app-config.js';
import { APP_PROJECT_KIND, type AppProject } from '../api/app-project.js';
import type { Secret } from '../api/meta.js';
import { CLUSTER_SECRET_TYPE, SECRET_TYPE_LABEL } from '../clusters/cluster-secret.js';
import { ClusterRegistry } from '../clusters/cluster-registry.js';
import { gitCacheDirectory, GitRepositoryCache } from '../git/repository-cache.js';
import { credentialsFor } from '../git/repository-credentials.js';
import type { GeneratorContext, SecretReader } from '../generators/generator.js';
import { KubeEventRecorder } from '../kube/event-recorder.js';
import { KubeInformer } from '../kube/informer.js';
import type { KubeConfig } from '../kube/kube-config.js';
import { ObjectClient } from '../kube/object-client.js';
import type { Logger } from '../observability/logger.js';
import { ScmPullRequestService } from '../scm/pull-request-providers.js';

/** What generators reach in the running controller, and the informer that keeps the fleet current. */
export class ControllerContext {
  readonly context: GeneratorContext;
  /** The registered clusters with their connection settings. */
  readonly clusters: ClusterRegistry;
  /** The Git cache generators read through; syncs render sources from the same copies. */
  readonly repositories: GitRepositoryCache;
  private readonly clusterSecrets: KubeInformer<Secret>;
  private readonly repositorySecrets: KubeInformer<Secret>;
  private readonly appProjects: KubeInformer<AppProject>;
  private readonly namespace: string;
  private readonly listeners: (() => void)[] = [];

  constructor(kubeConfig: KubeConfig, config: AppConfig, logger: Logger) {
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
    // Argo CD reads AppProjects only from its own namespace: a project elsewhere is not a project.
    this.appProjects = new KubeInformer<AppProject>(kubeConfig, { apiVersion: 'argoproj.io/v1alpha1', kind: APP_PROJECT_KIND, namespace: config.namespace }, 'appprojects', (message) => logger.warn(message));
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
    const changed = () => {
      clusters.records();
      this.listeners.forEach((listener) => listener());
    };
    for (const event of ['add', 'update', 'delete'] as const) this.clusterSecrets.on(event, changed);
    const secretReader: SecretReader = {
      getSecretValue: async (namespace, name, key) => {
        const secret = await client.get<Secret>('v1', 'Secret', namespace || config.namespace, name);
        if (!secret) throw new Error(`secret ${namespace}/${name} not found`);
        const value = secret.data?.[key];
        if (value === undefined) throw new Error(`key ${JSON.stringify(key)} in secret ${namespace}/${name} not found`);
        return Buffer.from(value, 'base64').toString('utf8');
      },
    };
    this.repositories = new GitRepositoryCache({ directory: gitCacheDirectory(), credentials: (url) => credentialsFor(url, this.repositorySecrets.list(config.namespace)) });
    this.context = {
      clusters,
      repositories: this.repositories,
      pullRequests: new ScmPullRequestService(secretReader),
      secrets: secretReader,
      templateTimeoutMs: config.templateTimeoutSeconds * 1000,
    };
  }

  /** An AppProject in Argo CD's namespace, from the cache. */
  project(name: string): AppProject | undefined {
    return this.appProjects.get(name, this.namespace);
  }

  /** Called after any cluster Secret is added, changed or removed. */
  onClustersChanged(listener: () => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    await Promise.all([this.clusterSecrets.start(), this.repositorySecrets.start(), this.appProjects.start()]);
  }

  async stop(): Promise<void> {
    await Promise.all([this.clusterSecrets.stop(), this.repositorySecrets.stop(), this.appProjects.stop()]);
  }
}
