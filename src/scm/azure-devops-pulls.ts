import type { PullRequestGeneratorAzureDevOps } from '../api/application-set.js';
import type { PullRequest } from '../generators/generator.js';
import { itemsOf, MAX_PAGES, numberedItems, textAt } from './provider-answer.js';
import { getJson, ScmError } from './rate-limit.js';
import type { ScmHttp } from './scm-gateway.js';

const AZURE_DEVOPS_API = 'https://dev.azure.com';
/** The REST version Azure DevOps Services and Azure DevOps Server 2022 both answer. */
const API_VERSION = '7.0';
const PAGE_SIZE = 100;

/** Argo CD's organization URL: `api` (https://dev.azure.com when blank), a `/` unless it ends in one, the organization. */
export function azureDevOpsOrganizationUrl(api: string | undefined, organization: string): string {
  const base = api || AZURE_DEVOPS_API;
  return `${base}${base.endsWith('/') ? '' : '/'}${organization}`;
}

/**
 * Active pull requests of an Azure DevOps project, `$top`/`$skip` paged, kept when they belong to
 * `repo` and carry every wanted label. As in Argo CD a project that does not exist is "not found"
 * and a repository that does not exist simply has no pull requests.
 */
export async function listAzureDevOpsPulls(spec: PullRequestGeneratorAzureDevOps, auth: Record<string, string>, http: ScmHttp): Promise<PullRequest[]> {
  const what = `Azure DevOps pull requests of ${spec.organization}/${spec.project}/${spec.repo}`;
  const base = `${azureDevOpsOrganizationUrl(spec.api, encodeURIComponent(spec.organization))}/${encodeURIComponent(spec.project)}/_apis/git/pullrequests`;
  const pulls: PullRequest[] = [];
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const query = new URLSearchParams({ 'api-version': API_VERSION, $top: String(PAGE_SIZE), $skip: String(pages * PAGE_SIZE) });
    const { body } = await getJson(`${base}?${query}`, auth, what, http);
    const count = itemsOf(body, 'value', what).length;
    for (const { pull, number } of numberedItems(body, 'value', 'pullRequestId', what)) {
      const found = fromAzureDevOps(pull, number);
      if (!found || textAt(pull, 'repository', 'name') !== spec.repo) continue;
      if ((spec.labels ?? []).every((label) => found.labels.includes(label))) pulls.push(found);
    }
    if (count < PAGE_SIZE) return pulls;
  }
  throw new ScmError(`${what}: more than ${MAX_PAGES} pages`);
}

/** Argo CD skips a pull request missing its repository, id, refs or last merge source commit. */
function fromAzureDevOps(pull: Record<string, unknown>, number: number): PullRequest | undefined {
  const sourceRef = textAt(pull, 'sourceRefName');
  const targetRef = textAt(pull, 'targetRefName');
  const headSha = textAt(pull, 'lastMergeSourceCommit', 'commitId');
  if (!textAt(pull, 'repository', 'name') || !sourceRef || !targetRef || !headSha) return undefined;
  const labels = Array.isArray(pull.labels) ? pull.labels.map((label) => textAt(label, 'name')) : [];
  return {
    number,
    title: textAt(pull, 'title'),
    // Go's strings.Replace(ref, "refs/heads/", "", 1): the first occurrence, wherever it is.
    branch: sourceRef.replace('refs/heads/', ''),
    targetBranch: targetRef.replace('refs/heads/', ''),
    headSha,
    labels,
    // The part of the creator's unique name (an e-mail address) before the @.
    author: textAt(pull, 'createdBy', 'uniqueName').split('@')[0],
  };
}
