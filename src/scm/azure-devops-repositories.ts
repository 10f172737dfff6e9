import type { ScmRepository, ScmRepositoryProvider } from '../generators/generator.js';
import { azureDevOpsOrganizationUrl } from './azure-devops-pulls.js';
import { itemsOf, MAX_PAGES, textAt } from './provider-answer.js';
import { getJson, ScmError } from './rate-limit.js';
import type { ScmHttp } from './scm-gateway.js';

/** The REST version Azure DevOps Services and Azure DevOps Server 2022 both answer. */
const API_VERSION = '7.0';

/** Whether Azure DevOps answered that `typeKey` (its name for what was not found). */
const isAzureError = (error: unknown, typeKey: string) => error instanceof ScmError && textAt(error.answer, 'typeKey') === typeKey;

/**
 * A team project's Git repositories on Azure DevOps, as Argo CD's Azure DevOps SCM provider lists
 * them: the clone URL is always the remote (https) URL, and there are no labels. The personal
 * access token goes as the password of Basic auth.
 */
export class AzureDevOpsRepositories implements ScmRepositoryProvider {
  private readonly base: string;

  constructor(
    api: string | undefined,
    private readonly organization: string,
    private readonly teamProject: string,
    private readonly auth: Record<string, string>,
    private readonly allBranches: boolean,
    private readonly http: ScmHttp,
  ) {
    this.base = `${azureDevOpsOrganizationUrl(api, encodeURIComponent(organization))}/${encodeURIComponent(teamProject)}/_apis/git/repositories`;
  }

  /** Every item of a listing, following Azure DevOps' x-ms-continuationtoken when it pages. */
  private async list(url: string, query: Record<string, string>, what: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let continuation = '';
    for (let pages = 0; pages < MAX_PAGES; pages++) {
      const params = new URLSearchParams({ ...query, 'api-version': API_VERSION });
      if (continuation) params.set('continuationToken', continuation);
      const { body, headers } = await getJson(`${url}?${params}`, this.auth, what, this.http);
      items.push(...itemsOf(body, 'value', what));
      const next = headers['x-ms-continuationtoken'] ?? '';
      if (!next) return items;
      if (next === continuation) throw new ScmError(`${what}: the answer names the page just read as the next one`);
      continuation = next;
    }
    throw new ScmError(`${what}: more than ${MAX_PAGES} pages`);
  }

  async listRepos(): Promise<ScmRepository[]> {
    const listed = await this.list(this.base, {}, `Azure DevOps repositories of ${this.organization}/${this.teamProject}`);
    // Argo CD skips a repository missing its name, default branch (an empty one), remote URL or id.
    return listed.flatMap((repo) => {
      const [repository, branch, url, id] = [textAt(repo, 'name'), textAt(repo, 'defaultBranch'), textAt(repo, 'remoteUrl'), textAt(repo, 'id')];
      if (!repository || !branch || !url || !id) return [];
      return [{ organization: this.organization, repository, url, branch, sha: '', labels: [], repositoryId: id }];
    });
  }

  async getBranches(repo: ScmRepository): Promise<ScmRepository[]> {
    const url = `${this.base}/${encodeURIComponent(repo.repository)}/stats/branches`;
    const toRepository = (branch: unknown) => ({ ...repo, branch: textAt(branch, 'name'), sha: textAt(branch, 'commit', 'commitId') });
    if (!this.allBranches) {
      // The default branch comes as refs/heads/<name>, but is looked up by <name> (Go's first-occurrence replace).
      const name = repo.branch.replace('refs/heads/', '');
      let branch: unknown;
      try {
        ({ body: branch } = await getJson(`${url}?${new URLSearchParams({ name, 'api-version': API_VERSION })}`, this.auth, 'Azure DevOps', this.http));
      } catch (error) {
        if (isAzureError(error, 'GitRepositoryNotFoundException')) return [];
        throw new ScmError(`could not get default branch ${name} (${repo.branch}) from repository ${repo.repository}: ${(error as Error).message}`);
      }
      if (!textAt(branch, 'name') || !textAt(branch, 'commit', 'commitId')) {
        throw new ScmError(`invalid branch result after requesting branch ${repo.branch} from repository ${repo.repository}`);
      }
      return [toRepository(branch)];
    }
    try {
      return (await this.list(url, {}, 'Azure DevOps')).map(toRepository);
    } catch (error) {
      if (isAzureError(error, 'GitRepositoryNotFoundException')) return [];
      throw new ScmError(`failed getting branches from repository ${repo.repository}, project ${this.teamProject}: ${(error as Error).message}`);
    }
  }

  async repoHasPath(repo: ScmRepository, path: string): Promise<boolean> {
    const query = new URLSearchParams({ path, 'versionDescriptor.version': repo.branch, 'api-version': API_VERSION });
    try {
      await getJson(`${this.base}/${encodeURIComponent(String(repo.repositoryId))}/items?${query}`, this.auth, 'Azure DevOps', this.http);
      return true;
    } catch (error) {
      if (isAzureError(error, 'GitItemNotFoundException')) return false;
      throw new ScmError(`failed to check for path existence in Azure DevOps: ${(error as Error).message}`);
    }
  }
}
