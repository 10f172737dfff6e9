import type { ApplicationSet, ScmProviderGenerator } from '../api/application-set.js';
import {
  ProviderSelectionError,
  type ConfigMapReader,
  type ScmProviderService,
  type ScmRepositoryProvider,
  type SecretReader,
} from '../generators/generator.js';
import { azureDevOpsOrganizationUrl } from './azure-devops-pulls.js';
import { AzureDevOpsRepositories } from './azure-devops-repositories.js';
import { BITBUCKET_CLOUD_API } from './bitbucket-cloud-pulls.js';
import { BitbucketCloudRepositories } from './bitbucket-cloud-repositories.js';
import { BitbucketServerRepositories } from './bitbucket-server-repositories.js';
import { AwsCodeCommitRepositories } from './aws-codecommit-repositories.js';
import { awsEndpoint, awsRegion, codeCommitCredentials, type AwsEnvironment } from './aws-environment.js';
import { AwsClient } from './aws-json-client.js';
import { installationToken } from './github-app.js';
import { githubApiBase, githubClient } from './github-client.js';
import { GiteaRepositories } from './gitea-repositories.js';
import { GitHubRepositories } from './github-repositories.js';
import { gitlabApiBase, GitLabRepositories } from './gitlab-repositories.js';
import { DEFAULT_RETRY_BUDGET, type RetryBudget } from './rate-limit.js';
import { ScmGateway, scmHttp, type ScmHttp, type ScmServiceOptions } from './scm-gateway.js';
import { basic, bitbucketAuth, caCertificates, githubAppCredentials, NO_CONFIG_MAPS, providerTls, secretToken } from './scm-credentials.js';
import { customApiUrl, OPEN_SCM_POLICY, scmProviderRefusal, type ScmPolicy } from './scm-policy.js';

/**
 * The SCM Provider generator's providers (GitHub through @octokit/rest; GitLab, Gitea, Bitbucket
 * Server, Azure DevOps and Bitbucket Cloud through their REST APIs and the SCM gateway; AWS
 * CodeCommit through its signed JSON API), chosen as Argo CD chooses them and held to the
 * ScmPolicy. Tokens come from the ApplicationSet's namespace, AWS credentials from Regatta's
 * environment; neither appears in errors.
 */
export class ScmProviders implements ScmProviderService {
  private readonly policy: ScmPolicy;
  private readonly budget: RetryBudget;
  private readonly configMaps: ConfigMapReader;
  private readonly gateway: ScmGateway;
  private readonly bitbucketCloudApi: string;
  private readonly awsEnvironment: AwsEnvironment;

  constructor(
    private readonly secrets: SecretReader,
    options: ScmServiceOptions & {
      /** Where Bitbucket Cloud's API 2.0 is: the spec cannot say (Argo CD always reaches api.bitbucket.org). */
      bitbucketCloudApi?: string;
      /** Where AWS credentials, region and endpoints are read (AWS_ACCESS_KEY_ID, AWS_REGION, AWS_ENDPOINT_URL_…); process.env unless set. */
      awsEnvironment?: AwsEnvironment;
    } = {},
  ) {
    this.policy = options.policy ?? OPEN_SCM_POLICY;
    this.budget = options.budget ?? DEFAULT_RETRY_BUDGET;
    this.configMaps = options.configMaps ?? NO_CONFIG_MAPS;
    this.gateway = options.gateway ?? new ScmGateway();
    this.bitbucketCloudApi = (options.bitbucketCloudApi ?? BITBUCKET_CLOUD_API).replace(/\/+$/, '');
    this.awsEnvironment = options.awsEnvironment ?? process.env;
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
      const http = scmHttp(this.gateway, 'github', appSet, this.budget);
      let auth: string | undefined;
      if (github.appSecretName) {
        const credentials = await githubAppCredentials(secrets, github.appSecretName, appSet, 'scm provider: error fetching Github app secret');
        auth = await installationToken(api, credentials, http).catch((error: Error) => {
          throw new ProviderSelectionError(`scm provider: ${error.message}`);
        });
      } else {
        auth = await secretToken(secrets, appSet, github.tokenRef, strict, 'scm provider: error fetching Github token');
      }
      const options = { allBranches: github.allBranches === true, excludeArchivedRepos: github.excludeArchivedRepos === true };
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
    if (spec.bitbucketServer) {
      const server = spec.bitbucketServer;
      // Argo CD reads the CA ConfigMap before the credentials; the first to fail names the problem.
      const tls = await providerTls(configMaps, appSet, server);
      const auth = await bitbucketAuth(secrets, appSet, server, strict);
      return new BitbucketServerRepositories(
        server.api,
        server.project,
        auth,
        server.allBranches === true,
        scmHttp(this.gateway, 'bitbucket_server', appSet, this.budget, tls),
      );
    }
    if (spec.azureDevOps) {
      const azure = spec.azureDevOps;
      const pat = await secretToken(secrets, appSet, azure.accessTokenRef, strict, 'error fetching Azure Devops access token');
      if (!pat) throw new ProviderSelectionError('error initializing Azure Devops service: no access token provided');
      try {
        new URL(azureDevOpsOrganizationUrl(azure.api, encodeURIComponent(azure.organization)));
      } catch {
        throw new ProviderSelectionError(
          `error initializing Azure Devops service: got an invalid URL for the Azure SCM generator: ${JSON.stringify(azure.api)}`,
        );
      }
      // A personal access token goes as the password of Basic auth with an empty user name.
      return new AzureDevOpsRepositories(
        azure.api,
        azure.organization,
        azure.teamProject,
        basic('', pat),
        azure.allBranches === true,
        scmHttp(this.gateway, 'azure_devops', appSet, this.budget),
      );
    }
    if (spec.bitbucket) {
      const cloud = spec.bitbucket;
      const password = await secretToken(secrets, appSet, cloud.appPasswordRef, strict, 'error fetching Bitbucket cloud appPassword');
      return new BitbucketCloudRepositories(
        this.bitbucketCloudApi,
        cloud.owner,
        basic(cloud.user, password ?? ''),
        cloud.allBranches === true,
        scmHttp(this.gateway, 'bitbucket_cloud', appSet, this.budget),
      );
    }
    if (spec.awsCodeCommit) return this.awsCodeCommit(spec.awsCodeCommit, scmHttp(this.gateway, 'aws_codecommit', appSet, this.budget));
    throw new ProviderSelectionError('no SCM provider implementation configured');
  }

  private awsCodeCommit(spec: NonNullable<ScmProviderGenerator['awsCodeCommit']>, http: ScmHttp): ScmRepositoryProvider {
    const env = this.awsEnvironment;
    try {
      const region = awsRegion(spec.region, env);
      const credentials = codeCommitCredentials(spec.role ?? '', region, env, http);
      return new AwsCodeCommitRepositories(
        new AwsClient(awsEndpoint('codecommit', region, env), credentials, http),
        new AwsClient(awsEndpoint('tagging', region, env), credentials, http),
        { tagFilters: spec.tagFilters ?? [], allBranches: spec.allBranches === true },
      );
    } catch (error) {
      throw new ProviderSelectionError(`error initializing AWS codecommit service: ${(error as Error).message}`);
    }
  }
}
