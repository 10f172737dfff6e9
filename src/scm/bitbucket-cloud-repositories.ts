import type { ScmRepository, ScmRepositoryProvider } from '../generators/generator.js';
import { bitbucketCloudPages } from './bitbucket-paging.js';
import { itemsOf, textAt } from './provider-answer.js';
import { getJson, ScmError } from './rate-limit.js';
import type { ScmHttp } from './scm-gateway.js';

/** The href of the clone link named `protocol` (Bitbucket Cloud names them `ssh` and `https`), as Argo CD finds it. */
function cloneUrl(repo: Record<string, unknown>, protocol: string): string {
  const links = (repo.links as { clone?: unknown } | undefined)?.clone;
  if (!Array.isArray(links)) throw new ScmError('unknown type returned from repo links');
  for (const link of links) {
    if (link === null || typeof link !== 'object') throw new ScmError('unknown type returned from clone link');
    if ((link as { name?: unknown }).name !== protocol) continue;
    const href = (link as { href?: unknown }).href;
    if (typeof href !== 'string') throw new ScmError('could not find href for clone link');
    return href;
  }
  throw new ScmError(`unknown clone protocol for Bitbucket cloud ${protocol}`);
}

/**
 * A workspace's repositories on Bitbucket Cloud (API 2.0) the user is a member of, as Argo CD's
 * Bitbucket Cloud SCM provider lists them: by slug, the main branch, no labels, every page read.
 */
export class BitbucketCloudRepositories implements ScmRepositoryProvider {
  constructor(
    private readonly api: string,
    private readonly owner: string,
    private readonly auth: Record<string, string>,
    private readonly allBranches: boolean,
    private readonly http: ScmHttp,
  ) {}

  private repoUrl(repository: string): string {
    return `${this.api}/repositories/${encodeURIComponent(this.owner)}/${encodeURIComponent(repository)}`;
  }

  async listRepos(cloneProtocol: string): Promise<ScmRepository[]> {
    const protocol = cloneProtocol || 'ssh';
    const what = `error listing repositories for ${this.owner}`;
    const url = `${this.api}/repositories/${encodeURIComponent(this.owner)}?role=member&pagelen=100`;
    const repos: ScmRepository[] = [];
    for await (const page of bitbucketCloudPages(this.api, url, this.auth, what, this.http)) {
      for (const repo of itemsOf(page, 'values', what)) {
        const slug = textAt(repo, 'slug');
        let url: string;
        try {
          url = cloneUrl(repo, protocol);
        } catch (error) {
          throw new ScmError(`error fetching clone url for repo ${slug}: ${(error as Error).message}`);
        }
        repos.push({
          organization: this.owner,
          repository: slug,
          branch: textAt(repo, 'mainbranch', 'name'),
          url,
          sha: '',
          labels: [],
          repositoryId: textAt(repo, 'uuid'),
        });
      }
    }
    return repos;
  }

  async getBranches(repo: ScmRepository): Promise<ScmRepository[]> {
    const what = `error listing branches for ${repo.organization}/${repo.repository}`;
    const branches: unknown[] = [];
    if (!this.allBranches) {
      // Argo CD asks for the main branch by its name even when a repository (an empty one) has none, and fails.
      if (!repo.branch) throw new ScmError(`error getting SHA for branch for ${this.owner}/${repo.repository}/: the repository has no main branch`);
      branches.push((await getJson(`${this.repoUrl(repo.repository)}/refs/branches/${encodeURIComponent(repo.branch)}`, this.auth, what, this.http)).body);
    } else {
      for await (const page of bitbucketCloudPages(this.api, `${this.repoUrl(repo.repository)}/refs/branches?pagelen=100`, this.auth, what, this.http)) {
        branches.push(...itemsOf(page, 'values', what));
      }
    }
    return branches.map((branch) => {
      const name = textAt(branch, 'name');
      const sha = textAt(branch, 'target', 'hash');
      if (!sha) throw new ScmError(`error getting SHA for branch for ${this.owner}/${repo.repository}/${name}`);
      return { ...repo, branch: name, sha };
    });
  }

  /** Whether `path` exists at the branch's commit: the src API's metadata, 404 meaning it does not. */
  async repoHasPath(repo: ScmRepository, path: string): Promise<boolean> {
    const file = path.split('/').map(encodeURIComponent).join('/');
    try {
      await getJson(
        `${this.repoUrl(repo.repository)}/src/${encodeURIComponent(repo.sha)}/${file}?format=meta`,
        this.auth,
        `error reading ${path} of ${this.owner}/${repo.repository}`,
        this.http,
      );
      return true;
    } catch (error) {
      if (error instanceof ScmError && error.notFound) return false;
      throw error;
    }
  }
}
