import type { Octokit } from '@octokit/rest';
import type { ScmRepository, ScmRepositoryProvider } from '../generators/generator.js';
import { githubStatus, retryingWithinBudget } from './github-client.js';
import { MAX_LISTING_PAGES, ScmError, type RetryBudget } from './rate-limit.js';

async function allPages<T>(pages: AsyncIterable<{ data: T[] }>, what: string): Promise<T[]> {
  const items: T[] = [];
  let count = 0;
  for await (const page of pages) {
    if (++count > MAX_LISTING_PAGES) throw new ScmError(`${what}: more than ${MAX_LISTING_PAGES} pages`);
    items.push(...page.data);
  }
  return items;
}

/** An organization's repositories on GitHub or GitHub Enterprise, as Argo CD's GitHub SCM provider lists them. */
export class GitHubRepositories implements ScmRepositoryProvider {
  constructor(
    private readonly octokit: Octokit,
    private readonly organization: string,
    private readonly options: { allBranches: boolean; excludeArchivedRepos: boolean },
    private readonly budget: RetryBudget,
  ) {}

  listRepos(cloneProtocol: string): Promise<ScmRepository[]> {
    const what = `error listing repositories for ${this.organization}`;
    return retryingWithinBudget(what, this.budget, async () => {
      const listed = await allPages(this.octokit.paginate.iterator(this.octokit.rest.repos.listForOrg, { org: this.organization, per_page: 100 }), what);
      const repos: ScmRepository[] = [];
      for (const repo of listed) {
        if (cloneProtocol !== '' && cloneProtocol !== 'ssh' && cloneProtocol !== 'https')
          throw new ScmError(`unknown clone protocol for GitHub ${cloneProtocol}`);
        if (this.options.excludeArchivedRepos && repo.archived) continue;
        repos.push({
          organization: repo.owner.login,
          repository: repo.name,
          branch: repo.default_branch ?? '',
          url: (cloneProtocol === 'https' ? repo.clone_url : repo.ssh_url) ?? '',
          sha: '',
          labels: repo.topics ?? [],
          repositoryId: repo.id,
        });
      }
      return repos;
    });
  }

  async getBranches(repo: ScmRepository): Promise<ScmRepository[]> {
    const what = `error listing branches for ${repo.organization}/${repo.repository}`;
    const branches = await retryingWithinBudget(what, this.budget, async () => {
      const names = { owner: repo.organization, repo: repo.repository };
      if (this.options.allBranches) return allPages(this.octokit.paginate.iterator(this.octokit.rest.repos.listBranches, { ...names, per_page: 100 }), what);
      try {
        return [(await this.octokit.rest.repos.getBranch({ ...names, branch: repo.branch })).data];
      } catch (error) {
        // No default branch: the repository is empty.
        if (githubStatus(error) === 404) return [];
        throw error;
      }
    });
    return branches.map((branch) => ({ ...repo, branch: branch.name, sha: branch.commit.sha }));
  }

  repoHasPath(repo: ScmRepository, path: string): Promise<boolean> {
    const what = `error reading ${path} of ${repo.organization}/${repo.repository}`;
    return retryingWithinBudget(what, this.budget, async () => {
      try {
        await this.octokit.rest.repos.getContent({ owner: repo.organization, repo: repo.repository, path, ref: repo.branch });
        return true;
      } catch (error) {
        if (githubStatus(error) === 404) return false;
        throw error;
      }
    });
  }
}
