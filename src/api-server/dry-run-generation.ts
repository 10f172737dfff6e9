import { join } from 'node:path';
import type { Application } from '../api/application.js';
import type { KubeObject, Secret } from '../api/meta.js';
import { inClusterEnabled } from '../appset/destinations.js';
import { generateApplicationSets, problemText, type GenerationProblem } from '../cli/local-generation.js';
import { secretValue } from '../clusters/cluster-secret.js';
import type { ClusterSource, GeneratorContext, RepositoryReader, SecretReader } from '../generators/generator.js';
import { redactUrlCredentials } from '../git/git-cli.js';
import { gitCacheDirectory, GitRepositoryCache } from '../git/repository-cache.js';
import { credentialSecretFor, credentialsFor } from '../git/repository-credentials.js';
import type { ResourceAccess, ReviewedUser } from '../kube/access-reviews.js';
import type { ObjectClient } from '../kube/object-client.js';
import { ScmPullRequestService } from '../scm/pull-request-providers.js';
import { describeAccess, type ApiAccess } from './api-access.js';

export interface DryRunResult {
  applications: Application[];
  /** What is wrong, naming the ApplicationSet and the field; none when generation succeeded. */
  errors: string[];
  warnings: string[];
}

const REPOSITORY_SECRETS = 'argocd.argoproj.io/secret-type in (repository,repo-creds)';
const COMMIT_SHA = /^[0-9a-f]{40}$/;

/**
 * Secrets as the caller may see them: a value is read (with the controller's own client) only
 * after a SubjectAccessReview says the caller may `get` that Secret by name.
 */
class CallerSecrets implements SecretReader {
  constructor(
    private readonly client: ObjectClient,
    private readonly access: ApiAccess,
    private readonly user: ReviewedUser,
    private readonly defaultNamespace: string,
  ) {}

  async getSecretValue(namespace: string, name: string, key: string): Promise<string> {
    const where = namespace || this.defaultNamespace;
    const refusal = await this.refusal(where, name);
    if (refusal) throw new Error(refusal);
    const secret = await this.client.get<Secret>('v1', 'Secret', where, name);
    if (!secret) throw new Error(`secret ${where}/${name} not found`);
    const value = secretValue(secret, key);
    if (value === undefined) throw new Error(`key ${JSON.stringify(key)} in secret ${where}/${name} not found`);
    return value;
  }

  /** Why the caller may not read the Secret (the missing permission), or undefined when it may. */
  async refusal(namespace: string, name: string): Promise<string | undefined> {
    const access: ResourceAccess = { verb: 'get', group: '', resource: 'secrets', namespace, name };
    return (await this.access.allowed(this.user, access)) ? undefined : `user "${this.user.username}" may not ${describeAccess(access)}`;
  }
}

/**
 * Git reads for one caller over the process's dry-run cache: a repository whose credentials are in
 * a Secret the caller may not get is refused before git runs, so its host sees no credential; and
 * a commit SHA is read only after the remote itself lets the repository be listed, so nothing
 * another caller fetched is served from disk to one the remote would refuse.
 */
class CallerRepositories implements RepositoryReader {
  constructor(
    private readonly cache: GitRepositoryCache,
    private readonly repositorySecrets: () => Promise<Secret[]>,
    private readonly secrets: CallerSecrets,
  ) {}

  async getDirectories(repoURL: string, revision: string): Promise<string[]> {
    await this.mayRead(repoURL, revision);
    return this.cache.getDirectories(repoURL, revision);
  }

  async getFiles(repoURL: string, revision: string, pattern: string): Promise<Map<string, Buffer>> {
    await this.mayRead(repoURL, revision);
    return this.cache.getFiles(repoURL, revision, pattern);
  }

  private async mayRead(repoURL: string, revision: string): Promise<void> {
    const secret = credentialSecretFor(repoURL, await this.repositorySecrets());
    if (secret) {
      const namespace = secret.metadata?.namespace ?? '';
      const name = secret.metadata?.name ?? '';
      const refusal = await this.secrets.refusal(namespace, name);
      if (refusal) throw new Error(`the credentials of ${redactUrlCredentials(repoURL)} are in Secret ${namespace}/${name}, and ${refusal}`);
    }
    if (COMMIT_SHA.test(revision)) await this.cache.verifyAccess(repoURL);
  }
}

/**
 * `regatta generate` for one ApplicationSet posted to the API, over the live fleet, writing
 * nothing, and with the caller's rights: a Secret's value (an SCM token, a GitHub App key,
 * repository credentials) is used only when the caller may `get` that Secret, so permission to
 * create ApplicationSets cannot send a credential to a host of the caller's choosing. One Git
 * cache (its own directory) and one SCM client serve every request.
 */
export class DryRunGeneration {
  private readonly repositories: GitRepositoryCache;
  private readonly pullRequests: ScmPullRequestService;
  /** The repository Secrets the latest request listed, which the cache's git calls take credentials from. */
  private repositorySecrets: Secret[] = [];

  constructor(
    private readonly client: ObjectClient,
    private readonly access: ApiAccess,
    private readonly clusters: ClusterSource,
    private readonly argocdNamespace: string,
    cacheDirectory = join(gitCacheDirectory(), 'api-dry-run'),
  ) {
    this.repositories = new GitRepositoryCache({ directory: cacheDirectory, credentials: (url) => credentialsFor(url, this.repositorySecrets) });
    this.pullRequests = new ScmPullRequestService({
      getSecretValue: () => Promise.reject(new Error('the dry run reads Secrets only with its caller\'s rights')),
    });
  }

  async generate(appSet: KubeObject, user: ReviewedUser): Promise<DryRunResult> {
    const secrets = new CallerSecrets(this.client, this.access, user, this.argocdNamespace);
    let listing: Promise<Secret[]> | undefined;
    const repositorySecrets = () =>
      (listing ??= this.client.list<Secret>('v1', 'Secret', this.argocdNamespace, REPOSITORY_SECRETS).then((listed) => (this.repositorySecrets = listed)));
    const context: GeneratorContext = {
      clusters: this.clusters,
      repositories: new CallerRepositories(this.repositories, repositorySecrets, secrets),
      pullRequests: this.pullRequests.readingSecretsWith(secrets),
      secrets,
    };
    const argocdCm = await this.client.get<KubeObject & { data?: Record<string, string> }>('v1', 'ConfigMap', this.argocdNamespace, 'argocd-cm');
    const problems: GenerationProblem[] = [];
    const { outputs } = await generateApplicationSets([{ object: appSet, file: 'request body' }], context, {
      namespace: this.argocdNamespace,
      report: (problem) => problems.push(problem),
      inClusterEnabled: inClusterEnabled(argocdCm),
    });
    return {
      applications: outputs.flatMap((o) => o.result.generated.map((g) => g.application)),
      errors: problems.filter((p) => p.severity === 'error').map(problemText),
      warnings: problems.filter((p) => p.severity === 'warning').map(problemText),
    };
  }
}
