import type { ApplicationSet, ScmProviderGenerator } from '../api/application-set.js';
import {
  ProviderSelectionError,
  type ConfigMapReader,
  type ScmProviderService,
  type ScmRepositoryProvider,
  type SecretReader,
} from '../generators/generator.js';
import { installationToken } from './github-app.js';
import { githubApiBase, githubClient } from './github-client.js';
import { GiteaRepositories } from './gitea-repositories.js';
import { GitHubRepositories } from './github-repositories.js';
import { gitlabApiBase, GitLabRepositories } from './gitlab-repositories.js';
import { DEFAULT_RETRY_BUDGET, type RetryBudget } from './rate-limit.js';
import { ScmGateway, scmHttp, type ScmServiceOptions } from './scm-gateway.js';
import { caCertificates, githubAppCredentials, NO_CONFIG_MAPS, secretToken } from './scm-credentials.js';
import { customApiUrl, OPEN_SCM_POLICY, scmProviderRefusal, type ScmPolicy } from './scm-policy.js';

/** Argo CD's providers Regatta does not reach yet, in the order Argo CD picks them. */
const UNSUPPORTED = ['bitbucketServer', 'azureDevOps', 'bitbucket', 'awsCodeCommit'] as const;

/**
 * The SCM Provider generator's providers (GitHub through @octokit/rest, GitLab and Gitea through
 * their REST APIs), chosen as Argo CD chooses them and held to the ScmPolicy. Tokens come from the
 * ApplicationSet's namespace and never appear in errors.
 */
export class ScmProviders implements ScmProviderService {
  private readonly policy: ScmPolicy;
  private readonly budget: RetryBudget;
  private readonly configMaps: ConfigMapReader;
  private readonly gateway: ScmGateway;

  constructor(
    private readonly secrets: SecretReader,
    options: ScmServiceOptions = {},
  ) {
    this.policy = options.policy ?? OPEN_SCM_POLICY;
    this.budget = options.budget ?? DEFAULT_RETRY_BUDGET;
    this.configMaps = options.configMaps ?? NO_CONFIG_MAPS;
    this.gateway = options.gateway ?? new ScmGateway();
  }

  provider(spec: ScmProviderGenerator, appSet: ApplicationSet): Promise<ScmRepositoryProvider> {
    return this.providerWith(this.secrets, spec, appSet, this.configMaps);
  }

  /** The same providers and budget, reading tokens and `caRef` ConfigMaps through other readers (a dry run's caller's own rights). */
  readingWith(secrets: SecretReader, configMaps: ConfigMapReader): ScmProviderService {
    return { provider: (spec, appSet) => this.providerWith(secrets, spec, appSet, configMaps) };
  }

  private async providerWith(
    secrets: SecretReader,
    spec: ScmProviderGenerator,
    appSet: ApplicationSet,
    configMaps: ConfigMapReader,
  ): Promise<ScmRepositoryProvider> {
    const refusal = scmProviderRefusal(this.policy, customApiUrl([spec.github, spec.gitlab, spec.gitea, spec.bitbucketServer, spec.azureDevOps]));
    if (refusal) throw new ProviderSelectionError(refusal);
    const strict = this.policy.tokenRefStrictMode;
    if (spec.github) {
      const github = spec.github;
      const api = githubApiBase(github.api);
      let auth: string | undefined;
      if (github.appSecretName) {
        const credentials = await githubAppCredentials(secrets, github.appSecretName, appSet, 'scm provider: error fetching Github app secret');
        auth = await installationToken(api, credentials).catch((error: Error) => {
          throw new ProviderSelectionError(`scm provider: ${error.message}`);
        });
      } else {
        auth = await secretToken(secrets, appSet, github.tokenRef, strict, 'scm provider: error fetching Github token');
      }
      const options = { allBranches: github.allBranches === true, excludeArchivedRepos: github.excludeArchivedRepos === true };
      const http = scmHttp(this.gateway, 'github', appSet, this.budget);
      return new GitHubRepositories(githubClient(api, auth, http), github.organization, options, this.budget);
    }
    if (spec.gitlab) {
      const gitlab = spec.gitlab;
      const ca = gitlab.caRef && (await caCertificates(configMaps, appSet, gitlab.caRef));
      const token = await secretToken(secrets, appSet, gitlab.tokenRef, strict, 'error fetching Gitlab token');
      return new GitLabRepositories(
        gitlabApiBase(gitlab.api),
        gitlab.group,
        token,
        {
          allBranches: gitlab.allBranches === true,
          includeSubgroups: gitlab.includeSubgroups === true,
          includeSharedProjects: gitlab.includeSharedProjects !== false,
          includeArchivedRepos: gitlab.includeArchivedRepos === true,
          topic: gitlab.topic ?? '',
        },
        scmHttp(this.gateway, 'gitlab', appSet, this.budget, { insecure: gitlab.insecure === true, ca }),
      );
    }
    if (spec.gitea) {
      const gitea = spec.gitea;
      const token = await secretToken(secrets, appSet, gitea.tokenRef, strict, 'error fetching Gitea token');
      const options = { allBranches: gitea.allBranches === true, excludeArchivedRepos: gitea.excludeArchivedRepos === true };
      return new GiteaRepositories(
        gitea.api,
        gitea.owner,
        token,
        options,
        scmHttp(this.gateway, 'gitea', appSet, this.budget, { insecure: gitea.insecure === true }),
      );
    }
    const other = UNSUPPORTED.find((key) => spec[key]);
    throw new ProviderSelectionError(other ? `the ${other} SCM provider is not supported by Regatta yet` : 'no SCM provider implementation configured');
  }
}
