import type { ScmRepository, ScmRepositoryProvider } from '../generators/generator.js';
import { getJson, MAX_LISTING_PAGES, ScmError } from './rate-limit.js';
import type { ScmHttp } from './scm-gateway.js';

const PAGE_SIZE = 50;

interface GiteaRepo {
  id: number;
  name: string;
  default_branch: string;
  ssh_url: string;
  html_url: string;
  archived?: boolean;
}

interface GiteaBranch {
  name: string;
  commit: { id: string };
}

/** An owner's repositories on Gitea, as Argo CD's Gitea SCM provider lists them. */
export class GiteaRepositories implements ScmRepositoryProvider {
  private readonly base: string;
  private readonly headers: Record<string, string>;

  constructor(
    api: string,
    private readonly owner: string,
    token: string | undefined,
    private readonly options: { allBranches: boolean; excludeArchivedRepos: boolean },
    private readonly http: ScmHttp,
  ) {
    this.base = `${api.replace(/\/+$/, '')}/api/v1`;
    this.headers = token ? { authorization: `token ${token}` } : {};
  }

  private get(path: string, what: string) {
    return getJson(`${this.base}${path}`, this.headers, what, this.http);
  }

  /** Every page of a Gitea listing: `page`/`limit`, a short page is the last. */
  private async pages<T>(path: string, what: string): Promise<T[]> {
    const items: T[] = [];
    const separator = path.includes('?') ? '&' : '?';
    for (let page = 1; page <= MAX_LISTING_PAGES; page++) {
      const { body } = await this.get(`${path}${separator}page=${page}&limit=${PAGE_SIZE}`, what);
      if (!Array.isArray(body)) throw new ScmError(`${what}: the answer is not a list`);
      items.push(...(body as T[]));
      if (body.length < PAGE_SIZE) return items;
    }
    throw new ScmError(`${what}: more than ${MAX_LISTING_PAGES} pages`);
  }

  private repoPath(repository: string): string {
    return `/repos/${encodeURIComponent(this.owner)}/${encodeURIComponent(repository)}`;
  }

  async listRepos(cloneProtocol: string): Promise<ScmRepository[]> {
    const listed = await this.pages<GiteaRepo>(`/orgs/${encodeURIComponent(this.owner)}/repos`, `Gitea repositories of ${this.owner}`);
    const repos: ScmRepository[] = [];
    for (const repo of listed) {
      // Argo CD's Gitea provider words this error as its GitHub one does.
      if (cloneProtocol !== '' && cloneProtocol !== 'ssh' && cloneProtocol !== 'https')
        throw new ScmError(`unknown clone protocol for GitHub ${cloneProtocol}`);
      if (this.options.excludeArchivedRepos && repo.archived) continue;
      const labels = await this.pages<{ name: string }>(`${this.repoPath(repo.name)}/labels`, `Gitea labels of ${this.owner}/${repo.name}`);
      repos.push({
        organization: this.owner,
        repository: repo.name,
        branch: repo.default_branch,
        url: cloneProtocol === 'https' ? repo.html_url : repo.ssh_url,
        sha: '',
        labels: labels.map((label) => label.name),
        repositoryId: repo.id,
      });
    }
    return repos;
  }

  async getBranches(repo: ScmRepository): Promise<ScmRepository[]> {
    if (this.options.allBranches) {
      const branches = await this.pages<GiteaBranch>(`${this.repoPath(repo.repository)}/branches`, `Gitea branches of ${this.owner}/${repo.repository}`);
      return branches.map((branch) => ({ ...repo, branch: branch.name, sha: branch.commit.id }));
    }
    try {
      const { body } = await this.get(
        `${this.repoPath(repo.repository)}/branches/${encodeURIComponent(repo.branch)}`,
        `Gitea branch ${repo.branch} of ${this.owner}/${repo.repository}`,
      );
      return [{ ...repo, sha: (body as GiteaBranch).commit.id }];
    } catch (error) {
      if (error instanceof ScmError && error.notFound) {
        throw new ScmError(
          `got 404 while getting default branch ${JSON.stringify(repo.branch)} for repo ${JSON.stringify(repo.repository)} - check your repo config: ${error.message}`,
        );
      }
      throw error;
    }
  }

  async repoHasPath(repo: ScmRepository, path: string): Promise<boolean> {
    const query = new URLSearchParams({ ref: repo.branch });
    const file = path.split('/').map(encodeURIComponent).join('/');
    try {
      await this.get(
        `/repos/${encodeURIComponent(repo.organization)}/${encodeURIComponent(repo.repository)}/contents/${file}?${query}`,
        `Gitea contents of ${repo.organization}/${repo.repository}`,
      );
      return true;
    } catch (error) {
      if (error instanceof ScmError && error.notFound) return false;
      throw error;
    }
  }
}
