import type { ApplicationSet, PullRequestGenerator } from '../api/application-set.js';
import {
  ProviderSelectionError,
  type CommitStatus,
  type ConfigMapReader,
  type PullRequest,
  type PullRequestService,
  type SecretReader,
} from '../generators/generator.js';
import { commitStatusProvider, commitStatusRequest } from './commit-status.js';
import { listAzureDevOpsPulls } from './azure-devops-pulls.js';
import { listBitbucketCloudPulls } from './bitbucket-cloud-pulls.js';
import { listBitbucketServerPulls } from './bitbucket-server-pulls.js';
import { installationToken } from './github-app.js';
import { githubApiBase, githubClient, retryingWithinBudget } from './github-client.js';
import { basic, bitbucketAuth, githubAppCredentials, NO_CONFIG_MAPS, providerTls, token } from './scm-credentials.js';
import { customApiUrl, OPEN_SCM_POLICY, scmProviderRefusal, type ScmPolicy } from './scm-policy.js';
import { DEFAULT_RETRY_BUDGET, getJson, requestTimeoutMs, ScmError, type RetryBudget } from './rate-limit.js';
import { ScmGateway, scmHttp, type ScmApiKind, type ScmHttp, type ScmServiceOptions } from './scm-gateway.js';
import type { TlsTrust } from './scm-transport.js';

function hasLabels(expected: string[] | undefined, got: string[]): boolean {
  return (expected ?? []).every((label) => got.includes(label));
}

/**
 * Open pull requests from GitHub (through @octokit/rest), Gitea, GitLab, Bitbucket Server,
 * Bitbucket Cloud and Azure DevOps (their REST APIs), every page read. Tokens come from the
 * ApplicationSet's namespace and never appear in errors.
 */
export class ScmPullRequestService implements PullRequestService {
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

  private http(api: ScmApiKind, appSet: ApplicationSet, trust?: TlsTrust) {
    return scmHttp(this.gateway, api, appSet, this.budget, trust);
  }

  list(spec: PullRequestGenerator, appSet: ApplicationSet): Promise<PullRequest[]> {
    return this.listWith(this.secrets, this.configMaps, spec, appSet);
  }

  /** The same providers and budget, reading Secrets and ConfigMaps through other readers (a dry run's caller's own rights). */
  readingWith(secrets: SecretReader, configMaps: ConfigMapReader): PullRequestService {
    return { list: (spec, appSet) => this.listWith(secrets, configMaps, spec, appSet) };
  }

  async postCommitStatus(spec: PullRequestGenerator, appSet: ApplicationSet, sha: string, status: CommitStatus): Promise<boolean> {
    const provider = commitStatusProvider(spec);
    const settings = spec.github ?? spec.gitlab ?? spec.gitea;
    if (!provider || !settings?.tokenRef) return false;
    const refusal = scmProviderRefusal(this.policy, customApiUrl([spec.github, spec.gitlab, spec.gitea]));
    if (refusal) throw new ProviderSelectionError(refusal);
    const auth = await token(this.secrets, appSet, settings.tokenRef, this.policy.tokenRefStrictMode);
    if (!auth) return false;
    const request = commitStatusRequest(spec, sha, status, auth);
    if ('refusal' in request) throw new ScmError(request.refusal);
    const trust = spec.gitlab ? await providerTls(this.configMaps, appSet, spec.gitlab) : { insecure: request.insecure };
    const http = this.http(request.api, appSet, trust);
    const answer = await http.gateway.post(request.url, request.headers, request.body, trust, requestTimeoutMs(this.budget), http.caller);
    if (answer.status < 200 || answer.status >= 300) throw new ScmError(`commit status for ${sha.slice(0, 12)}: ${answer.status} ${answer.statusText}`.trim());
    return true;
  }

  private async listWith(secrets: SecretReader, configMaps: ConfigMapReader, spec: PullRequestGenerator, appSet: ApplicationSet): Promise<PullRequest[]> {
    const refusal = scmProviderRefusal(
      this.policy,
      customApiUrl([spec.github, spec.gitlab, spec.gitea, spec.bitbucketServer, spec.bitbucket, spec.azuredevops]),
    );
    if (refusal) throw new ProviderSelectionError(refusal);
    if (spec.github) return this.github(secrets, spec.github, appSet);
    if (spec.gitea) return this.gitea(secrets, spec.gitea, appSet);
    if (spec.gitlab) return this.gitlab(secrets, spec.gitlab, appSet, this.http('gitlab', appSet, await providerTls(configMaps, appSet, spec.gitlab)));
    const strict = this.policy.tokenRefStrictMode;
    if (spec.bitbucketServer) {
      // Argo CD reads the CA ConfigMap before the credentials; the first to fail names the problem.
      const tls = await providerTls(configMaps, appSet, spec.bitbucketServer);
      return listBitbucketServerPulls(
        spec.bitbucketServer,
        await bitbucketAuth(secrets, appSet, spec.bitbucketServer, strict),
        this.http('bitbucket_server', appSet, tls),
      );
    }
    if (spec.bitbucket)
      return listBitbucketCloudPulls(spec.bitbucket, await bitbucketAuth(secrets, appSet, spec.bitbucket, strict), this.http('bitbucket_cloud', appSet));
    if (spec.azuredevops) {
      // A personal access token goes as the password of Basic auth with an empty user name.
      const pat = await token(secrets, appSet, spec.azuredevops.tokenRef, strict);
      return listAzureDevOpsPulls(spec.azuredevops, pat ? basic('', pat) : {}, this.http('azure_devops', appSet));
    }
    throw new ScmError('no pull request provider is configured');
  }

  private async github(secrets: SecretReader, spec: NonNullable<PullRequestGenerator['github']>, appSet: ApplicationSet): Promise<PullRequest[]> {
    const what = `GitHub pull requests of ${spec.owner}/${spec.repo}`;
    // Argo CD gives go-github an Enterprise `api` as both its API and upload URL, /api/v3 added.
    const api = githubApiBase(spec.api || undefined);
    const http = this.http('github', appSet);
    const auth = spec.appSecretName
      ? await installationToken(api, await githubAppCredentials(secrets, spec.appSecretName, appSet, 'error getting GitHub App secret'), http)
      : await token(secrets, appSet, spec.tokenRef, this.policy.tokenRefStrictMode);
    const octokit = githubClient(api, auth, http);
    return retryingWithinBudget(what, this.budget, async () => {
      const pulls: PullRequest[] = [];
      for await (const page of octokit.paginate.iterator(octokit.rest.pulls.list, { owner: spec.owner, repo: spec.repo, state: 'open', per_page: 100 })) {
        for (const pull of page.data) {
          const labels = pull.labels.map((l) => l.name ?? '').filter(Boolean);
          if (hasLabels(spec.labels, labels)) pulls.push(fromGitHubShape(pull, labels));
        }
      }
      return pulls;
    }).catch((error: unknown) => {
      if (error instanceof ScmError && error.notFound) throw new ScmError(`${what}: repository not found`, true);
      throw error;
    });
  }

  private async gitea(secrets: SecretReader, spec: NonNullable<PullRequestGenerator['gitea']>, appSet: ApplicationSet): Promise<PullRequest[]> {
    const what = `Gitea pull requests of ${spec.owner}/${spec.repo}`;
    const auth = await token(secrets, appSet, spec.tokenRef, this.policy.tokenRefStrictMode);
    const headers: Record<string, string> = auth ? { authorization: `token ${auth}` } : {};
    const pulls: PullRequest[] = [];
    for (let page = 1; page < 10_000; page++) {
      const url = `${spec.api.replace(/\/+$/, '')}/api/v1/repos/${encodeURIComponent(spec.owner)}/${encodeURIComponent(spec.repo)}/pulls?state=open&page=${page}&limit=50`;
      const { body } = await getJson(url, headers, what, this.http('gitea', appSet, { insecure: spec.insecure === true }));
      const items = body as (GitHubShapedPull & { labels?: { name: string }[] })[];
      for (const pull of items) {
        const labels = (pull.labels ?? []).map((l) => l.name);
        if (hasLabels(spec.labels, labels)) pulls.push(fromGitHubShape(pull, labels));
      }
      if (items.length < 50) return pulls;
    }
    throw new ScmError(`${what}: more than 10,000 pages`);
  }

  private async gitlab(
    secrets: SecretReader,
    spec: NonNullable<PullRequestGenerator['gitlab']>,
    appSet: ApplicationSet,
    http: ScmHttp,
  ): Promise<PullRequest[]> {
    const what = `GitLab merge requests of project ${spec.project}`;
    const auth = await token(secrets, appSet, spec.tokenRef, this.policy.tokenRefStrictMode);
    const headers: Record<string, string> = auth ? { 'private-token': auth } : {};
    const base = `${(spec.api || 'https://gitlab.com/').replace(/\/+$/, '')}/api/v4/projects/${encodeURIComponent(spec.project)}/merge_requests`;
    const query = new URLSearchParams({ per_page: '100' });
    if (spec.pullRequestState) query.set('state', spec.pullRequestState);
    if (spec.labels?.length) query.set('labels', spec.labels.join(','));
    const pulls: PullRequest[] = [];
    let page = '1';
    for (let pages = 0; page && pages < 10_000; pages++) {
      query.set('page', page);
      const { body, headers: responseHeaders } = await getJson(`${base}?${query}`, headers, what, http);
      for (const mr of body as {
        iid: number;
        title: string;
        source_branch: string;
        target_branch: string;
        sha: string;
        labels?: string[];
        author?: { username: string };
      }[]) {
        pulls.push({
          number: mr.iid,
          title: mr.title,
          branch: mr.source_branch,
          targetBranch: mr.target_branch,
          headSha: mr.sha,
          labels: mr.labels ?? [],
          author: mr.author?.username ?? '',
        });
      }
      page = responseHeaders['x-next-page'] ?? '';
    }
    return pulls;
  }
}

/** A pull request as GitHub's API shapes it, and Gitea's after it. */
interface GitHubShapedPull {
  number: number;
  title: string;
  head: { ref: string; sha: string };
  base: { ref: string };
  user?: { login: string } | null;
}

function fromGitHubShape(pull: GitHubShapedPull, labels: string[]): PullRequest {
  return {
    number: pull.number,
    title: pull.title,
    branch: pull.head.ref,
    targetBranch: pull.base.ref,
    headSha: pull.head.sha,
    labels,
    author: pull.user?.login ?? '',
  };
}
