import type { ScmRepository, ScmRepositoryProvider } from '../generators/generator.js';
import { getJson, MAX_LISTING_PAGES, ScmError } from './rate-limit.js';
import type { ScmHttp } from './scm-gateway.js';

interface GitLabProject {
  id: number;
  path: string;
  default_branch?: string;
  ssh_url_to_repo: string;
  http_url_to_repo: string;
  topics?: string[];
  tag_list?: string[];
  namespace: { full_path: string };
}

interface GitLabBranch {
  name: string;
  commit: { id: string };
}

export interface GitLabListing {
  allBranches: boolean;
  includeSubgroups: boolean;
  includeSharedProjects: boolean;
  includeArchivedRepos: boolean;
  topic: string;
}

/** The client-go base URL rule: the server root gains /api/v4/ unless it already ends with it. */
export function gitlabApiBase(api: string | undefined): string {
  if (!api) return 'https://gitlab.com/api/v4/';
  const base = api.endsWith('/') ? api : `${api}/`;
  return base.endsWith('/api/v4/') ? base : `${base}api/v4/`;
}

/** A group's projects on GitLab, as Argo CD's GitLab SCM provider lists them. */
export class GitLabRepositories implements ScmRepositoryProvider {
  private readonly headers: Record<string, string>;

  constructor(
    private readonly base: string,
    private readonly group: string,
    token: string | undefined,
    private readonly options: GitLabListing,
    private readonly http: ScmHttp,
  ) {
    this.headers = token ? { 'private-token': token } : {};
  }

  private get(path: string, what: string) {
    return getJson(`${this.base}${path}`, this.headers, what, this.http);
  }

  /** Every page of a GitLab listing, following x-next-page. */
  private async pages<T>(path: string, query: URLSearchParams, what: string): Promise<T[]> {
    const items: T[] = [];
    let page = '1';
    for (let count = 0; page; count++) {
      if (count >= MAX_LISTING_PAGES) throw new ScmError(`${what}: more than ${MAX_LISTING_PAGES} pages`);
      query.set('page', page);
      const { body, headers } = await this.get(`${path}?${query}`, what);
      if (!Array.isArray(body)) throw new ScmError(`${what}: the answer is not a list`);
      items.push(...(body as T[]));
      page = headers['x-next-page'] ?? '';
    }
    return items;
  }

  async listRepos(cloneProtocol: string): Promise<ScmRepository[]> {
    const query = new URLSearchParams({
      per_page: '100',
      include_subgroups: String(this.options.includeSubgroups),
      with_shared: String(this.options.includeSharedProjects),
      topic: this.options.topic,
    });
    if (this.options.includeArchivedRepos) query.set('archived', 'true');
    const what = `error listing projects for ${this.group}`;
    const projects = await this.pages<GitLabProject>(`groups/${encodeURIComponent(this.group)}/projects`, query, what);
    return projects.map((project) => {
      if (cloneProtocol !== '' && cloneProtocol !== 'ssh' && cloneProtocol !== 'https')
        throw new ScmError(`unknown clone protocol for Gitlab ${cloneProtocol}`);
      return {
        organization: project.namespace.full_path,
        repository: project.path,
        url: cloneProtocol === 'https' ? project.http_url_to_repo : project.ssh_url_to_repo,
        branch: project.default_branch ?? '',
        sha: '',
        // GitLab before 14.5 calls topics tag_list.
        labels: project.topics?.length ? project.topics : (project.tag_list ?? []),
        repositoryId: project.id,
      };
    });
  }

  async getBranches(repo: ScmRepository): Promise<ScmRepository[]> {
    const what = `error listing branches for ${repo.organization}/${repo.repository}`;
    const branchesPath = `projects/${encodeURIComponent(String(repo.repositoryId))}/repository/branches`;
    let branches: GitLabBranch[];
    try {
      branches = this.options.allBranches
        ? await this.pages<GitLabBranch>(branchesPath, new URLSearchParams({ per_page: '100' }), what)
        : [(await this.get(`${branchesPath}/${encodeURIComponent(repo.branch)}`, what)).body as GitLabBranch];
    } catch (error) {
      // A missing branch (an empty project) lists nothing rather than fail.
      if (error instanceof ScmError && error.notFound) return [];
      throw error;
    }
    return branches.map((branch) => ({ ...repo, branch: branch.name, sha: branch.commit.id }));
  }

  async repoHasPath(repo: ScmRepository, path: string): Promise<boolean> {
    const project = `${repo.organization}/${repo.repository}`;
    let id: number;
    try {
      id = ((await this.get(`projects/${encodeURIComponent(project)}`, `GitLab project ${project}`)).body as GitLabProject).id;
    } catch (error) {
      throw new ScmError(`error getting Project Info: ${(error as Error).message}`);
    }
    const what = `GitLab path ${path} of ${project}`;
    const notFound = (error: unknown) => error instanceof ScmError && error.notFound;
    try {
      await this.get(`projects/${id}/repository/files/${encodeURIComponent(path)}?${new URLSearchParams({ ref: repo.branch })}`, what);
      return true;
    } catch (error) {
      if (!notFound(error)) throw error;
    }
    try {
      await this.get(`projects/${id}/repository/tree?${new URLSearchParams({ path, ref: repo.branch })}`, what);
      return true;
    } catch (error) {
      if (notFound(error)) return false;
      throw error;
    }
  }
}
