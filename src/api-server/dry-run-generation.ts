import { join } from 'node:path';
import { APP_PROJECT_KIND, type AppProject } from '../api/app-project.js';
import type { Application } from '../api/application.js';
import { API_VERSION } from '../api/application.js';
import type { ConfigMap, KubeObject, Secret } from '../api/meta.js';
import { inClusterEnabled } from '../projects/destination-cluster.js';
import { generateApplicationSets, problemText, type GenerationProblem } from '../appset/preview-generation.js';
import { secretRefValue } from '../api/cluster-secret.js';
import type { ClusterSource, ConfigMapReader, GeneratorContext, RepositoryReader, SecretReader } from '../generators/generator.js';
import { redactUrlCredentials } from '../git/git-cli.js';
import { gitCacheDirectory, GitRepositoryCache } from '../git/repository-cache.js';
import { repositoryAccess } from '../git/repository-credentials.js';
import { SSH_KNOWN_HOSTS_CONFIGMAP, sshKnownHosts, TLS_CERTS_CONFIGMAP, tlsCertificatesFor } from '../git/repository-trust.js';
import type { ResourceAccess, ReviewedUser } from '../kube/access-reviews.js';
import type { ObjectClient } from '../kube/object-client.js';
import { ScmPullRequestService } from '../scm/pull-request-providers.js';
import { ScmGateway } from '../scm/scm-gateway.js';
import { ScmProviders } from '../scm/scm-provider-service.js';
import { describeAccess, type ApiAccess } from './api-access.js';

export interface DryRunResult {
  applications: Application[];
  /** What is wrong, naming the ApplicationSet and the field; none when generation succeeded. */
  errors: string[];
  warnings: string[];
}

const REPOSITORY_SECRETS = 'argocd.argoproj.io/secret-type in (repository,repo-creds)';

/**
 * Secrets (and a provider's CA ConfigMaps) as the caller may see them: a value is read (with the
 * controller's own client) only after a SubjectAccessReview says the caller may `get` that object by name.
 */
class CallerSecrets implements SecretReader, ConfigMapReader {
  constructor(
    private readonly client: ObjectClient,
    private readonly access: ApiAccess,
    private readonly user: ReviewedUser,
    private readonly defaultNamespace: string,
  ) {}

  async getSecretValue(namespace: string, name: string, key: string, scmCredsOnly?: boolean): Promise<string> {
    const where = namespace || this.defaultNamespace;
    const refusal = await this.refusal(where, name);
    if (refusal) throw new Error(refusal);
    return secretRefValue(await this.client.get<Secret>('v1', 'Secret', where, name), where, name, key, scmCredsOnly);
  }

  async configMapData(namespace: string, name: string): Promise<Record<string, string>> {
    const where = namespace || this.defaultNamespace;
    const refusal = await this.refusal(where, name, 'configmaps');
    if (refusal) throw new Error(refusal);
    const configMap = await this.client.get<ConfigMap>('v1', 'ConfigMap', where, name);
    if (!configMap) throw new Error(`configmaps "${name}" not found`);
    return configMap.data ?? {};
  }

  /** Why the caller may not read the Secret (or ConfigMap), naming the missing permission, or undefined when it may. */
  async refusal(namespace: string, name: string, resource: 'secrets' | 'configmaps' = 'secrets'): Promise<string | undefined> {
    const access: ResourceAccess = { verb: 'get', group: '', resource, namespace, name };
    return (await this.access.allowed(this.user, access)) ? undefined : `user "${this.user.username}" may not ${describeAccess(access)}`;
  }
}

/** What the dry run's git reads are authenticated and verified with, as the latest request listed them. */
interface RepositorySettings {
  secrets: Secret[];
  configMaps: (ConfigMap | undefined)[];
}

/**
 * Git reads for one caller over the process's dry-run cache: a repository whose credentials are in
 * a Secret the caller may not get is refused before git runs, so its host sees no credential. The
 * cache keeps copies per credential, so nothing fetched with a Secret is served to a read without it.
 */
class CallerRepositories implements RepositoryReader {
  constructor(
    private readonly cache: GitRepositoryCache,
    private readonly settings: () => Promise<RepositorySettings>,
    private readonly secrets: CallerSecrets,
  ) {}

  async getDirectories(repoURL: string, revision: string, project?: string): Promise<string[]> {
    await this.mayRead(repoURL, project);
    return this.cache.getDirectories(repoURL, revision, project);
  }

  async getFiles(repoURL: string, revision: string, pattern: string, project?: string): Promise<Map<string, Buffer>> {
    await this.mayRead(repoURL, project);
    return this.cache.getFiles(repoURL, revision, pattern, project);
  }

  private async mayRead(repoURL: string, project = ''): Promise<void> {
    const { secret } = repositoryAccess(repoURL, project, (await this.settings()).secrets);
    if (!secret) return;
    const [namespace, name] = secret.split('/');
    const refusal = await this.secrets.refusal(namespace, name);
    if (refusal) throw new Error(`the credentials of ${redactUrlCredentials(repoURL)} are in Secret ${secret}, and ${refusal}`);
  }
}

/**
 * `regatta generate` for one ApplicationSet posted to the API, over the live fleet, writing
 * nothing, and with the caller's rights: a Secret's value (an SCM token, a GitHub App key,
 * repository credentials) is used only when the caller may `get` that Secret, so permission to
 * create ApplicationSets cannot send a credential to a host of the caller's choosing. One Git
 * cache (its own directory) and one SCM client serve every request; the server's disk is never
 * read as a repository.
 */
export class DryRunGeneration {
  private readonly repositories: GitRepositoryCache;
  private readonly pullRequests: ScmPullRequestService;
  private readonly scmProviders: ScmProviders;
  private settings: RepositorySettings = { secrets: [], configMaps: [] };

  constructor(
    private readonly client: ObjectClient,
    private readonly access: ApiAccess,
    private readonly clusters: ClusterSource,
    private readonly argocdNamespace: string,
    /** The controller's --template-timeout, for each render of a dry run. */
    private readonly templateTimeoutSeconds?: number,
    cacheDirectory = join(gitCacheDirectory(), 'api-dry-run'),
  ) {
    const configMap = (name: string) => this.settings.configMaps.find((c) => c?.metadata?.name === name);
    this.repositories = new GitRepositoryCache({
      directory: cacheDirectory,
      access: (url, project) => repositoryAccess(url, project, this.settings.secrets),
      sshKnownHosts: () => sshKnownHosts(configMap(SSH_KNOWN_HOSTS_CONFIGMAP)),
      tlsCertificates: (serverName) => tlsCertificatesFor(configMap(TLS_CERTS_CONFIGMAP), serverName),
    });
    const noSecrets = { getSecretValue: () => Promise.reject(new Error("the dry run reads Secrets only with its caller's rights")) };
    // The caller's readers are given per request (readingWith): these never read anything themselves.
    // One gateway for both, so a caller's token has one rate budget here too.
    const scm = { gateway: new ScmGateway() };
    this.pullRequests = new ScmPullRequestService(noSecrets, scm);
    this.scmProviders = new ScmProviders(noSecrets, scm);
  }

  async generate(appSet: KubeObject, user: ReviewedUser): Promise<DryRunResult> {
    const secrets = new CallerSecrets(this.client, this.access, user, this.argocdNamespace);
    let listing: Promise<RepositorySettings> | undefined;
    const settings = () =>
      (listing ??= Promise.all([
        this.client.list<Secret>('v1', 'Secret', this.argocdNamespace, REPOSITORY_SECRETS),
        Promise.all([SSH_KNOWN_HOSTS_CONFIGMAP, TLS_CERTS_CONFIGMAP].map((name) => this.client.get<ConfigMap>('v1', 'ConfigMap', this.argocdNamespace, name))),
      ]).then(([listed, configMaps]) => (this.settings = { secrets: listed, configMaps })));
    const context: GeneratorContext = {
      clusters: this.clusters,
      repositories: new CallerRepositories(this.repositories, settings, secrets),
      pullRequests: this.pullRequests.readingWith(secrets, secrets),
      scmProviders: this.scmProviders.readingWith(secrets, secrets),
      secrets,
      settings: {
        namespace: this.argocdNamespace,
        configMapData: async (name) => {
          const found = await this.client.get<ConfigMap>('v1', 'ConfigMap', this.argocdNamespace, name);
          return found && (found.data ?? {});
        },
      },
      resources: { list: (apiVersion, resource) => this.client.listResource(apiVersion, resource, this.argocdNamespace) },
      templateTimeoutMs: this.templateTimeoutSeconds === undefined ? undefined : this.templateTimeoutSeconds * 1000,
    };
    const [argocdCm, projects] = await Promise.all([
      this.client.get<KubeObject & { data?: Record<string, string> }>('v1', 'ConfigMap', this.argocdNamespace, 'argocd-cm'),
      this.client.list<AppProject>(API_VERSION, APP_PROJECT_KIND, this.argocdNamespace),
    ]);
    const problems: GenerationProblem[] = [];
    const { outputs } = await generateApplicationSets([{ object: appSet, file: 'request body' }], context, {
      namespace: this.argocdNamespace,
      report: (problem) => problems.push(problem),
      inClusterEnabled: inClusterEnabled(argocdCm),
      projects: (name) => projects.find((p) => p.metadata.name === name),
    });
    return {
      applications: outputs.flatMap((o) => o.result.generated.map((g) => g.application)),
      errors: problems.filter((p) => p.severity === 'error').map(problemText),
      warnings: problems.filter((p) => p.severity === 'warning').map(problemText),
    };
  }
}
