import { posix } from 'node:path';
import type { ScmRepository, ScmRepositoryProvider } from '../generators/generator.js';
import { AwsServiceError, type AwsClient } from './aws-json-client.js';
import { textAt } from './provider-answer.js';
import { MAX_LISTING_PAGES, ScmError } from './rate-limit.js';

const CODECOMMIT = 'CodeCommit_20150413';
const TAGGING = 'ResourceGroupsTaggingAPI_20170126';
const HTTPS_PREFIX = 'https://git-codecommit.';
const FIPS_PREFIX = 'https://git-codecommit-fips.';
/** GetFolder answers meaning "no such path here" rather than a failure, as Argo CD reads them. */
const NOT_FOUND = new Set(['RepositoryDoesNotExistException', 'CommitDoesNotExistException', 'FolderDoesNotExistException']);

export interface TagFilter {
  key: string;
  value?: string;
}

/** Argo CD's grouping: one filter per key, its non-empty values ORed (a key alone matches any value). */
export function groupTagFilters(filters: readonly TagFilter[]): { Key: string; Values?: string[] }[] {
  const byKey = new Map<string, { Key: string; Values?: string[] }>();
  for (const { key, value } of filters) {
    const filter = byKey.get(key) ?? { Key: key };
    if (value) filter.Values = [...(filter.Values ?? []), value];
    byKey.set(key, filter);
  }
  return [...byKey.values()];
}

/** The resource of `arn:partition:service:region:account:resource`, undefined when not an ARN. */
export function arnResource(arn: string): string | undefined {
  const parts = arn.split(':');
  return parts.length >= 6 && parts[0] === 'arn' ? parts.slice(5).join(':') : undefined;
}

export function fipsCloneUrl(httpsUrl: string): string {
  if (httpsUrl.startsWith(FIPS_PREFIX)) return httpsUrl;
  if (!httpsUrl.startsWith(HTTPS_PREFIX)) {
    throw new ScmError(`the provided https endpoint isn't recognized, cannot be transformed to FIPS endpoint: ${httpsUrl}`);
  }
  return FIPS_PREFIX + httpsUrl.slice(HTTPS_PREFIX.length);
}

const listOf = (body: Record<string, unknown>, key: string): unknown[] => (Array.isArray(body[key]) ? (body[key] as unknown[]) : []);

/**
 * A region's (or, with tagFilters, the matching) CodeCommit repositories, as Argo CD's AWS CodeCommit
 * SCM provider reads them: CodeCommit's or the Resource Groups Tagging API's listing, then
 * GetRepository for each. No SHA (Argo CD does not spend a GetBranch per branch) and no labels.
 */
export class AwsCodeCommitRepositories implements ScmRepositoryProvider {
  constructor(
    private readonly codecommit: AwsClient,
    private readonly tagging: AwsClient,
    private readonly options: { tagFilters: readonly TagFilter[]; allBranches: boolean },
  ) {}

  /** Every page of a listing, following `tokenKey` until it is empty. */
  private async pages(
    call: (token: string | undefined) => Promise<Record<string, unknown>>,
    tokenKey: string,
    what: string,
  ): Promise<Record<string, unknown>[]> {
    const pages: Record<string, unknown>[] = [];
    let token: string | undefined;
    for (let page = 1; page <= MAX_LISTING_PAGES; page++) {
      const body = await call(token);
      pages.push(body);
      token = textAt(body, tokenKey) || undefined;
      if (!token) return pages;
    }
    throw new ScmError(`${what}: more than ${MAX_LISTING_PAGES} pages`);
  }

  private async repoNames(): Promise<string[]> {
    const tagFilters = groupTagFilters(this.options.tagFilters);
    if (tagFilters.length === 0) {
      const pages = await this.pages(
        (nextToken) => this.codecommit.json(CODECOMMIT, 'ListRepositories', nextToken ? { nextToken } : {}),
        'nextToken',
        'ListRepositories',
      );
      return pages.flatMap((body) => listOf(body, 'repositories').map((repo) => textAt(repo, 'repositoryName')));
    }
    const pages = await this.pages(
      (PaginationToken) =>
        this.tagging.json(TAGGING, 'GetResources', {
          ResourceTypeFilters: ['codecommit:repository'],
          TagFilters: tagFilters,
          ...(PaginationToken ? { PaginationToken } : {}),
        }),
      'PaginationToken',
      'GetResources',
    );
    // An ARN that does not parse is skipped, as Argo CD skips it.
    return pages.flatMap((body) => listOf(body, 'ResourceTagMappingList').flatMap((mapping) => arnResource(textAt(mapping, 'ResourceARN')) ?? []));
  }

  private async metadata(repositoryName: string): Promise<unknown> {
    return (await this.codecommit.json(CODECOMMIT, 'GetRepository', { repositoryName })).repositoryMetadata;
  }

  async listRepos(cloneProtocol: string): Promise<ScmRepository[]> {
    let names: string[];
    try {
      names = await this.repoNames();
    } catch (error) {
      throw new ScmError(`failed to list codecommit repository: ${(error as Error).message}`);
    }
    const repos: ScmRepository[] = [];
    for (const name of names) {
      let metadata: unknown;
      try {
        metadata = await this.metadata(name);
      } catch (error) {
        // An outage fails the generation rather than make its Applications flap.
        throw new ScmError(`failed to get codecommit repository: ${(error as Error).message}`);
      }
      // No metadata, or no default branch (an empty repository): skipped, as Argo CD does.
      if (metadata === null || typeof metadata !== 'object' || textAt(metadata, 'defaultBranch') === '') continue;
      let url: string;
      if (cloneProtocol === '' || cloneProtocol === 'ssh') url = textAt(metadata, 'cloneUrlSsh');
      else if (cloneProtocol === 'https') url = textAt(metadata, 'cloneUrlHttp');
      else if (cloneProtocol === 'https-fips') {
        try {
          url = fipsCloneUrl(textAt(metadata, 'cloneUrlHttp'));
        } catch (error) {
          throw new ScmError(`https-fips is provided but repoUrl can't be transformed to FIPS endpoint: ${(error as Error).message}`);
        }
      } else throw new ScmError(`unknown clone protocol for codecommit ${cloneProtocol}`);
      repos.push({
        // CodeCommit has no organizations: the AWS account stands for one, as in Argo CD.
        organization: textAt(metadata, 'accountId'),
        repository: textAt(metadata, 'repositoryName'),
        url,
        branch: textAt(metadata, 'defaultBranch'),
        sha: '',
        labels: [],
        repositoryId: textAt(metadata, 'repositoryId'),
      });
    }
    return repos;
  }

  async getBranches(repo: ScmRepository): Promise<ScmRepository[]> {
    if (!this.options.allBranches) {
      return [{ ...repo, branch: textAt(await this.metadata(repo.repository), 'defaultBranch') }];
    }
    const pages = await this.pages(
      (nextToken) => this.codecommit.json(CODECOMMIT, 'ListBranches', { repositoryName: repo.repository, ...(nextToken ? { nextToken } : {}) }),
      'nextToken',
      `ListBranches of ${repo.repository}`,
    );
    return pages.flatMap((body) => listOf(body, 'branches').flatMap((branch) => (typeof branch === 'string' ? [{ ...repo, branch }] : [])));
  }

  /** GetFolder of the parent folder, so files, folders, symbolic links and submodules all count. */
  async repoHasPath(repo: ScmRepository, path: string): Promise<boolean> {
    const absolute = posix.normalize(path.startsWith('/') ? path : `/${path}`).replace(/(.)\/+$/, '$1');
    if (absolute === '/') return true;
    const name = posix.basename(absolute);
    let folder: Record<string, unknown>;
    try {
      folder = await this.codecommit.json(CODECOMMIT, 'GetFolder', {
        repositoryName: repo.repository,
        commitSpecifier: repo.branch,
        folderPath: posix.dirname(absolute),
      });
    } catch (error) {
      if (error instanceof AwsServiceError && NOT_FOUND.has(error.code)) return false;
      throw error;
    }
    return ['subModules', 'subFolders', 'files', 'symbolicLinks'].some((key) => listOf(folder, key).some((entry) => textAt(entry, 'relativePath') === name));
  }
}
