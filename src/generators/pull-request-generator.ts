import type { ApplicationSet, PullRequestGenerator } from '../api/application-set.js';
import { GoRegExp } from '../templating/go-regexp.js';
import { GeneratorError, ProviderSelectionError, type Generator, type GeneratorContext, type ParamSet, type PullRequest } from './generator.js';
import { addTemplatedValues } from './generator-values.js';

/** Argo CD polls pull requests every 30 minutes unless told otherwise. */
export const PULL_REQUEST_REQUEUE_SECONDS = 30 * 60;

/**
 * gosimple/slug as Argo CD configures it for branch names: `_` becomes `-`, anything else that
 * is not a lowercase letter, digit or `-` becomes `-`, at most 50 characters cut at a word boundary.
 */
export function branchSlug(branch: string): string {
  let slug = branch
    .trim()
    .replace(/_/g, '-')
    .replace(/&/g, 'and')
    .replace(/@/g, 'at')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9-_]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '');
  if (slug.length > 50) {
    const cut = slug.lastIndexOf('-', 50);
    slug = cut > 0 ? slug.slice(0, cut) : slug.slice(0, 50);
  }
  return slug;
}

function compileFilters(spec: PullRequestGenerator): ((pull: PullRequest) => boolean)[] {
  return (spec.filters ?? []).map((filter, i) => {
    const compile = (pattern: string | undefined, name: string) => {
      if (pattern === undefined) return undefined;
      try {
        return GoRegExp.compile(pattern);
      } catch (error) {
        throw new GeneratorError(`error compiling ${name} regexp ${JSON.stringify(pattern)}: ${(error as Error).message}`, `filters[${i}].${name}`);
      }
    };
    const branch = compile(filter.branchMatch, 'branchMatch');
    const target = compile(filter.targetBranchMatch, 'targetBranchMatch');
    const title = compile(filter.titleMatch, 'titleMatch');
    return (pull) => (!branch || branch.test(pull.branch)) && (!target || target.test(pull.targetBranch)) && (!title || title.test(pull.title));
  });
}

/**
 * `pullRequest`: one parameter set per open pull request the provider lists (all pages), kept when
 * any filter matches. A provider error fails the generation: an outage never reads as "no PRs".
 */
export class PullRequestGeneratorImpl implements Generator<PullRequestGenerator> {
  readonly kind = 'pullRequest';

  async generateParams(spec: PullRequestGenerator, appSet: ApplicationSet, context: GeneratorContext): Promise<ParamSet[]> {
    const filters = compileFilters(spec);
    let pulls: PullRequest[];
    try {
      pulls = await context.pullRequests.list(spec, appSet);
    } catch (error) {
      if (error instanceof ProviderSelectionError) throw new GeneratorError(`failed to select pull request service provider: ${error.message}`);
      if ((error as { notFound?: boolean }).notFound && spec.continueOnRepoNotFoundError) return [];
      throw new GeneratorError(`error listing repos: ${(error as Error).message}`);
    }
    const goTemplate = appSet.spec.goTemplate === true;
    const result: ParamSet[] = [];
    for (const pull of pulls.filter((p) => filters.length === 0 || filters.some((matches) => matches(p)))) {
      const params: ParamSet = {
        number: String(pull.number),
        title: pull.title,
        branch: pull.branch,
        branch_slug: branchSlug(pull.branch),
        target_branch: pull.targetBranch,
        target_branch_slug: branchSlug(pull.targetBranch),
        head_sha: pull.headSha,
        head_short_sha: pull.headSha.slice(0, 8),
        head_short_sha_7: pull.headSha.slice(0, 7),
        author: pull.author,
      };
      if (goTemplate) params.labels = pull.labels;
      await addTemplatedValues(params, spec.values, appSet, context);
      result.push(params);
    }
    return result;
  }

  requeueAfterSeconds(spec: PullRequestGenerator): number | undefined {
    return spec.requeueAfterSeconds ?? PULL_REQUEST_REQUEUE_SECONDS;
  }
}
