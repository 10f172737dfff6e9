import type { ScmRepository, ScmRepositoryProvider } from '../generators/generator.js';
import { BITBUCKET_SERVER_HEADERS, bitbucketServerPages, bitbucketServerRestRoot } from './bitbucket-paging.js';
import { itemsOf, textAt } from './provider-answer.js';
import { getJson, ScmError } from './rate-limit.js';
import type { ScmHttp } from './scm-gateway.js';

interface BitbucketServerBranch {
  displayId: string;
  latestCommit: string;
}

const branchOf = (value: unknown): BitbucketServerBranch => ({ displayId: textAt(value, 'displayId'), latestCommit: textAt(value, 'latestCommit') });

/** The href of the clone link named `name` (Bitbucket Server names them `ssh` and `http`), empty when there is none. */
function cloneLink(repo: Record<string, unknown>, name: string): string {
  const links = (repo.links as { clone?: unknown } | undefined)?.clone;
  const link = Array.isArray(links) ? links.find((candidate) => textAt(candidate, 'name') === name) : undefined;
  return textAt(link, 'href');
}

/**
 * A project's repositories on Bitbucket Server (Data Center), as Argo CD's Bitbucket Server SCM
 * provider lists them: by display name, each with its default branch (a repository without one is
 * skipped), and no labels (the API has none for repositories).
 */
export class BitbucketServerRepositories implements ScmRepositoryProvider {
  private readonly projects: string;

  constructor(
    api: string,
    private readonly project: string,
    private readonly auth: Record<string, string>,
    private readonly allBranches: boolean,
    /** With the server's trust (`insecure`, `caRef`). */
    private readonly http: ScmHttp,
  ) {
    this.projects = `${bitbucketServerRestRoot(api)}/api/1.0/projects`;
  }

  private repoUrl(project: string, repository: string): string {
    return `${this.projects}/${encodeURIComponent(project)}/repos/${encodeURIComponent(repository)}`;
  }

  async listRepos(cloneProtocol: string): Promise<ScmRepository[]> {
    const what = `error listing repositories for ${this.project}`;
    const repos: ScmRepository[] = [];
    for await (const page of bitbucketServerPages(`${this.projects}/${encodeURIComponent(this.project)}/repos`, this.auth, what, this.http)) {
      for (const repo of itemsOf(page, 'values', what)) {
        let url: string;
        if (cloneProtocol === '' || cloneProtocol === 'ssh') url = cloneLink(repo, 'ssh');
        else if (cloneProtocol === 'https') url = cloneLink(repo, 'http');
        else throw new ScmError(`unknown clone protocol for Bitbucket Server ${cloneProtocol}`);
        const organization = textAt(repo, 'project', 'key');
        const repository = textAt(repo, 'name');
        const branch = await this.defaultBranch(organization, repository);
        if (!branch) continue;
        const id = repo.id;
        repos.push({
          organization,
          repository,
          url,
          branch: branch.displayId,
          sha: branch.latestCommit,
          labels: [],
          repositoryId: typeof id === 'number' || typeof id === 'string' ? id : 0,
        });
      }
    }
    return repos;
  }

  /** The default branch; none when it is unset (an empty repository: 204) or names a branch that does not exist (404). */
  private async defaultBranch(project: string, repository: string): Promise<BitbucketServerBranch | undefined> {
    try {
      const { body } = await getJson(
        `${this.repoUrl(project, repository)}/branches/default`,
        { ...this.auth, ...BITBUCKET_SERVER_HEADERS },
        `error getting the default branch of ${project}/${repository}`,
        this.http,
      );
      return body === null ? undefined : branchOf(body);
    } catch (error) {
      if (error instanceof ScmError && error.notFound) return undefined;
      throw error;
    }
  }

  async getBranches(repo: ScmRepository): Promise<ScmRepository[]> {
    const what = `error listing branches for ${repo.organization}/${repo.repository}`;
    let branches: BitbucketServerBranch[];
    try {
      branches = await this.listBranches(repo, what);
    } catch (error) {
      throw new ScmError(`${what}: ${(error as Error).message}`);
    }
    return branches.map((branch) => ({ ...repo, branch: branch.displayId, sha: branch.latestCommit }));
  }

  private async listBranches(repo: ScmRepository, what: string): Promise<BitbucketServerBranch[]> {
    if (!this.allBranches) {
      const branch = await this.defaultBranch(repo.organization, repo.repository);
      return branch ? [branch] : [];
    }
    const branches: BitbucketServerBranch[] = [];
    const url = `${this.repoUrl(repo.organization, repo.repository)}/branches`;
    // Argo CD words this failure twice over ("error listing branches for p/r: error listing branches for p/r: …").
    for await (const page of bitbucketServerPages(url, this.auth, what, this.http)) branches.push(...itemsOf(page, 'values', what).map(branchOf));
    return branches;
  }

  async repoHasPath(repo: ScmRepository, path: string): Promise<boolean> {
    const file = path.split('/').map(encodeURIComponent).join('/');
    const query = new URLSearchParams({ at: repo.branch, limit: '100', type: 'true' });
    try {
      await getJson(
        `${this.repoUrl(repo.organization, repo.repository)}/browse/${file}?${query}`,
        { ...this.auth, ...BITBUCKET_SERVER_HEADERS },
        `error browsing ${path} of ${repo.organization}/${repo.repository}`,
        this.http,
      );
      return true;
    } catch (error) {
      if (error instanceof ScmError && error.notFound) return false;
      throw error;
    }
  }
}
