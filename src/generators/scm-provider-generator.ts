import type { ApplicationSet, ScmProviderGenerator, ScmProviderGeneratorFilter } from '../api/application-set.js';
import { sanitizeName } from '../templating/gotemplate/index.js';
import { GoRegExp } from '../templating/go-regexp.js';
import {
  GeneratorError,
  ProviderSelectionError,
  type Generator,
  type GeneratorContext,
  type ParamSet,
  type ScmRepository,
  type ScmRepositoryProvider,
} from './generator.js';
import { addTemplatedValues } from './generator-values.js';

/** Argo CD polls SCM providers every 30 minutes unless told otherwise. */
export const SCM_PROVIDER_REQUEUE_SECONDS = 30 * 60;

interface CompiledFilter {
  repositoryMatch?: GoRegExp;
  labelMatch?: GoRegExp;
  branchMatch?: GoRegExp;
  pathsExist: string[];
  pathsDoNotExist: string[];
  /**
   * When Argo CD applies it: `repo` filters (only repositoryMatch/labelMatch) before branches are
   * listed, `branch` filters (any branch or path condition) after. Each stage ORs only its own
   * filters, so a repository must pass some repo filter, when there is one, and one of its branches
   * some branch filter, when there is one.
   */
  stage?: 'repo' | 'branch';
}

function compileFilters(filters: ScmProviderGeneratorFilter[]): CompiledFilter[] {
  return filters.map((filter, i) => {
    const compile = (pattern: string | undefined, name: string, goName: string) => {
      if (pattern === undefined) return undefined;
      try {
        return GoRegExp.compile(pattern);
      } catch (error) {
        throw new GeneratorError(
          `error listing repos: error compiling ${goName} regexp ${JSON.stringify(pattern)}: ${(error as Error).message}`,
          `filters[${i}].${name}`,
        );
      }
    };
    const compiled: CompiledFilter = {
      repositoryMatch: compile(filter.repositoryMatch, 'repositoryMatch', 'RepositoryMatch'),
      labelMatch: compile(filter.labelMatch, 'labelMatch', 'LabelMatch'),
      branchMatch: compile(filter.branchMatch, 'branchMatch', 'BranchMatch'),
      pathsExist: filter.pathsExist ?? [],
      pathsDoNotExist: filter.pathsDoNotExist ?? [],
    };
    if (compiled.repositoryMatch || compiled.labelMatch) compiled.stage = 'repo';
    // A set but empty path list still makes it a branch filter, as in Argo CD.
    if (filter.pathsExist || filter.pathsDoNotExist || compiled.branchMatch) compiled.stage = 'branch';
    return compiled;
  });
}

/** Every condition of one filter (ANDed), path checks asked of the provider only when the cheap ones pass. */
async function matches(provider: ScmRepositoryProvider, repo: ScmRepository, filter: CompiledFilter): Promise<boolean> {
  if (filter.repositoryMatch && !filter.repositoryMatch.test(repo.repository)) return false;
  if (filter.branchMatch && !filter.branchMatch.test(repo.branch)) return false;
  if (filter.labelMatch && !repo.labels.some((label) => filter.labelMatch!.test(label))) return false;
  for (const path of filter.pathsExist) if (!(await provider.repoHasPath(repo, path.replace(/\/+$/, '')))) return false;
  for (const path of filter.pathsDoNotExist) if (await provider.repoHasPath(repo, path.replace(/\/+$/, ''))) return false;
  return true;
}

async function keepMatching(provider: ScmRepositoryProvider, repos: ScmRepository[], filters: CompiledFilter[]): Promise<ScmRepository[]> {
  if (filters.length === 0) return repos;
  const kept: ScmRepository[] = [];
  for (const repo of repos) {
    for (const filter of filters) {
      if (await matches(provider, repo, filter)) {
        kept.push(repo);
        break;
      }
    }
  }
  return kept;
}

/** Argo CD's ListRepos: repositories, repo filters, branches, branch filters. */
async function listRepos(provider: ScmRepositoryProvider, filters: CompiledFilter[], cloneProtocol: string): Promise<ScmRepository[]> {
  const repos = await keepMatching(
    provider,
    await provider.listRepos(cloneProtocol),
    filters.filter((f) => f.stage === 'repo'),
  );
  const branches: ScmRepository[] = [];
  for (const repo of repos) branches.push(...(await provider.getBranches(repo)));
  return keepMatching(
    provider,
    branches,
    filters.filter((f) => f.stage === 'branch'),
  );
}

/**
 * `scmProvider`: one parameter set per repository (or, with allBranches, per branch) an SCM
 * organization holds and the filters keep. A provider error fails the generation: an outage
 * never reads as "no repositories".
 */
export class ScmProviderGeneratorImpl implements Generator<ScmProviderGenerator> {
  readonly kind = 'scmProvider';

  async generateParams(spec: ScmProviderGenerator, appSet: ApplicationSet, context: GeneratorContext): Promise<ParamSet[]> {
    let provider: ScmRepositoryProvider;
    try {
      provider = await context.scmProviders.provider(spec, appSet);
    } catch (error) {
      if (error instanceof ProviderSelectionError) throw new GeneratorError(error.message);
      throw error;
    }
    const filters = compileFilters(spec.filters ?? []);
    let repos: ScmRepository[];
    try {
      repos = await listRepos(provider, filters, spec.cloneProtocol ?? '');
    } catch (error) {
      throw new GeneratorError(`error listing repos: ${(error as Error).message}`);
    }
    const result: ParamSet[] = [];
    for (const repo of repos) {
      const params: ParamSet = {
        organization: repo.organization,
        repository: repo.repository,
        repository_id: repo.repositoryId,
        url: repo.url,
        branch: repo.branch,
        sha: repo.sha,
        short_sha: repo.sha.slice(0, 8),
        short_sha_7: repo.sha.slice(0, 7),
        labels: repo.labels.join(','),
        branchNormalized: sanitizeName(repo.branch),
      };
      await addTemplatedValues(params, spec.values, appSet, context);
      result.push(params);
    }
    return result;
  }

  requeueAfterSeconds(spec: ScmProviderGenerator): number | undefined {
    return spec.requeueAfterSeconds ?? SCM_PROVIDER_REQUEUE_SECONDS;
  }
}
