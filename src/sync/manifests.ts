import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ApplicationSource } from '../api/application.js';
import { parseKubeYamlStream } from '../api/kube-yaml.js';
import { git } from '../git/git-cli.js';
import type { GitRepositoryCache } from '../git/repository-cache.js';
import { globMatch } from '../projects/glob.js';
import {
  filesOfReferencedSources,
  filesOutsideChart,
  HelmError,
  parseHelmSourceSpec,
  renderHelmSource,
  type ChartRepositories,
  type HelmSourceSpec,
} from '../helm/index.js';

export type Manifest = Record<string, any>;

export class ManifestError extends Error {}

/** Kubernetes `kind: List` documents hold their objects in items. */
function expandLists(objects: unknown[]): Manifest[] {
  return objects.flatMap((o) => {
    const object = o as Manifest;
    if (object && typeof object === 'object' && typeof object.kind === 'string' && object.kind.endsWith('List') && Array.isArray(object.items))
      return expandLists(object.items);
    return object && typeof object === 'object' && !Array.isArray(object) ? [object] : [];
  });
}

export interface RenderedSource {
  revision: string;
  sourceType: 'Directory' | 'Kustomize' | 'Helm';
  manifests: Manifest[];
}

/** Who a Helm chart is rendered for: what helm template's release name and namespace default to. */
export interface HelmRelease {
  applicationName: string;
  namespace: string;
  /** The destination's version and group versions; helm template's defaults otherwise. */
  kubeVersion?: string;
  apiVersions?: string[];
}

/** A source of a multi-source Application named by `ref`: its repository at the commit its targetRevision resolved to. */
export interface ReferencedSource {
  repoURL: string;
  revision: string;
  /** A chart source's chart: Argo CD reads no files from it. */
  chart?: string;
}

/** A multi-source Application's `$name` → source; undefined for a single-source Application. */
export type ReferenceTargets = ReadonlyMap<string, ReferencedSource> | undefined;

/** As Argo CD: a source with `ref` and neither path nor chart only provides files to the others. */
export const isRenderedSource = (source: ApplicationSource) => !(source.ref && !source.path && !source.chart);

function sourceBase(source: ApplicationSource): string {
  return (source.path ?? '')
    .replace(/^\.?\/+/, '')
    .replace(/\/+$/, '')
    .replace(/^\.$/, '');
}

/**
 * Whether Argo CD's repo-server would render the source with Helm: a `helm` block or a chart
 * name says so, otherwise a Chart.yaml (and no kustomization) at the source's path.
 */
export async function isHelmSource(repositories: GitRepositoryCache, source: ApplicationSource, sha: string, project = ''): Promise<boolean> {
  if (source.chart || (source.helm && !source.kustomize)) return true;
  const base = sourceBase(source);
  const prefix = base ? `${base}/` : '';
  const found = await repositories.getFiles(source.repoURL, sha, `${prefix}Chart.yaml`, project);
  if (!found.has(`${prefix}Chart.yaml`)) return false;
  for (const name of ['kustomization.yaml', 'kustomization.yml', 'Kustomization'])
    if ((await repositories.getFiles(source.repoURL, sha, `${prefix}${name}`, project)).size > 0) return false;
  return true;
}

/** Everything of one chart held in memory at once, at most. */
const MAX_CHART_BYTES = 32 * 1024 * 1024;

/**
 * An Application's source as Argo CD's repo-server renders it: a kustomization directory through
 * `kubectl kustomize`, otherwise plain YAML/JSON manifests (recurse, include, exclude), all at the
 * commit `revision` resolves to.
 */
export async function renderSource(
  repositories: GitRepositoryCache,
  source: ApplicationSource,
  revision = source.targetRevision ?? 'HEAD',
  project = '',
  release: HelmRelease = { applicationName: '', namespace: '' },
  refs: ReferenceTargets = undefined,
): Promise<RenderedSource> {
  if (source.chart) throw new ManifestError(`chart ${source.chart}: a chart of a Helm repository is rendered with renderRepositoryChart, not from Git`);
  const { dir, sha } = await repositories.checkout(source.repoURL, revision, project);
  const base = sourceBase(source);
  const prefix = base ? `${base}/` : '';
  if (source.helm && !source.kustomize)
    return { revision: sha, sourceType: 'Helm', manifests: await renderHelm(repositories, source, sha, project, base, release, refs) };
  const listing = (await git(['ls-tree', '-r', '-z', '--name-only', sha, ...(prefix ? ['--', prefix] : [])], { cwd: dir }))
    .toString('utf8')
    .split('\0')
    .filter(Boolean);
  const relative = listing.map((p) => p.slice(prefix.length));
  if (relative.some((p) => /^kustomization\.ya?ml$|^Kustomization$/.test(p)))
    return { revision: sha, sourceType: 'Kustomize', manifests: await kustomize(dir, sha, prefix) };
  if (relative.includes('Chart.yaml'))
    return { revision: sha, sourceType: 'Helm', manifests: await renderHelm(repositories, source, sha, project, base, release, refs) };

  const directory = source.directory ?? {};
  const wanted = relative.filter((p) => {
    if (!/\.(ya?ml|json)$/.test(p)) return false;
    if (!directory.recurse && p.includes('/')) return false;
    // Argo CD's repo-server matches include and exclude with gobwas globs without separators: `*` crosses `/`.
    if (directory.exclude && globMatch(directory.exclude, p)) return false;
    return !directory.include || globMatch(directory.include, p);
  });
  const files = await repositories.getFiles(source.repoURL, sha, prefix ? `${prefix}*` : '*', project);
  const manifests: Manifest[] = [];
  for (const path of wanted.sort()) {
    const text = files.get(`${prefix}${path}`)?.toString('utf8') ?? '';
    try {
      manifests.push(...expandLists(path.endsWith('.json') ? [JSON.parse(text)] : parseKubeYamlStream(text)));
    } catch (error) {
      throw new ManifestError(`failed to unmarshal ${prefix}${path}: ${(error as Error).message}`, { cause: error });
    }
  }
  return { revision: sha, sourceType: 'Directory', manifests: requireKinds(manifests) };
}

function requireKinds(manifests: Manifest[]): Manifest[] {
  for (const manifest of manifests) {
    if (!manifest.apiVersion || !manifest.kind) throw new ManifestError(`${manifest.metadata?.name ?? 'an object'}: Object 'Kind' is missing`);
  }
  return manifests;
}

/** Argo CD's build environment for a Helm source: what `$ARGOCD_APP_*` in parameters and value file paths read. */
function helmEnvironment(source: ApplicationSource, release: HelmRelease, project: string, revision: string): Record<string, string> {
  return {
    ARGOCD_APP_NAME: release.applicationName,
    ARGOCD_APP_NAMESPACE: release.namespace,
    ARGOCD_APP_PROJECT_NAME: project,
    ARGOCD_APP_REVISION: revision,
    ARGOCD_APP_REVISION_SHORT: revision.slice(0, 7),
    ARGOCD_APP_REVISION_SHORT_8: revision.slice(0, 8),
    ARGOCD_APP_SOURCE_REPO_URL: source.repoURL,
    ARGOCD_APP_SOURCE_PATH: source.path ?? '',
    ARGOCD_APP_SOURCE_TARGET_REVISION: source.targetRevision ?? '',
  };
}

/** Another source's files a chart reads (`$name/path` value files), from its repository at its own commit, added to `files` as `$name/path`. */
async function addReferencedFiles(
  repositories: GitRepositoryCache,
  files: Map<string, Buffer>,
  chartPath: string,
  helm: HelmSourceSpec,
  env: Record<string, string>,
  refs: ReferenceTargets,
  project: string,
): Promise<void> {
  const references = refs && new Set(refs.keys());
  for (const [ref, paths] of filesOfReferencedSources(chartPath, helm, env, references)) {
    const target = refs!.get(ref)!;
    if (target.chart) throw new HelmError("source has a 'chart' field defined, but Helm charts are not yet not supported for 'ref' sources");
    for (const path of paths)
      for (const [name, data] of await repositories.getFiles(target.repoURL, target.revision, path, project)) files.set(`${ref}/${name}`, data);
  }
  let total = 0;
  for (const data of files.values()) total += data.length;
  if (total > MAX_CHART_BYTES) throw new HelmError(`the chart's files hold ${total} bytes, more than the ${MAX_CHART_BYTES} a chart may`);
}

async function renderHelm(
  repositories: GitRepositoryCache,
  source: ApplicationSource,
  sha: string,
  project: string,
  base: string,
  release: HelmRelease,
  refs: ReferenceTargets,
): Promise<Manifest[]> {
  try {
    const helm = parseHelmSourceSpec(source.helm);
    const env = helmEnvironment(source, release, project, sha);
    const files = await repositories.getFiles(source.repoURL, sha, base ? `${base}/*` : '*', project);
    const references = refs && new Set(refs.keys());
    for (const path of filesOutsideChart(base, helm, env, references))
      for (const [name, data] of await repositories.getFiles(source.repoURL, sha, path, project)) files.set(name, data);
    await addReferencedFiles(repositories, files, base, helm, env, refs, project);
    return requireKinds(expandLists(await renderHelmSource(base, files, helm, { ...release, env, refs: references })));
  } catch (error) {
    if (error instanceof HelmError) throw new ManifestError(`helm template ${base || '.'}: ${error.message}`, { cause: error });
    throw error;
  }
}

/**
 * A source naming a `chart` of a Helm repository or OCI registry, as Argo CD's repo-server renders
 * it: the chart `version` (the targetRevision resolved) pulled, its value files read from the chart
 * (or, `$name/…`, from another source), rendered as `helm template` renders it.
 */
export async function renderRepositoryChart(
  charts: ChartRepositories,
  repositories: GitRepositoryCache,
  source: ApplicationSource & { chart: string },
  version: string,
  project = '',
  release: HelmRelease = { applicationName: '', namespace: '' },
  refs: ReferenceTargets = undefined,
): Promise<RenderedSource> {
  let files: Map<string, Buffer>;
  try {
    files = await charts.chartFiles(source.repoURL, source.chart, version, project);
  } catch (error) {
    if (error instanceof HelmError) throw new ManifestError(error.message, { cause: error });
    throw error;
  }
  try {
    const helm = parseHelmSourceSpec(source.helm);
    const env = helmEnvironment(source, release, project, version);
    await addReferencedFiles(repositories, files, '', helm, env, refs, project);
    const references = refs && new Set(refs.keys());
    const manifests = requireKinds(expandLists(await renderHelmSource('', files, helm, { ...release, env, refs: references })));
    return { revision: version, sourceType: 'Helm', manifests };
  } catch (error) {
    if (error instanceof HelmError) throw new ManifestError(`helm template ${source.chart}-${version}: ${error.message}`, { cause: error });
    throw error;
  }
}

async function kustomize(repository: string, sha: string, prefix: string): Promise<Manifest[]> {
  const work = await mkdtemp(join(tmpdir(), 'regatta-kustomize-'));
  try {
    await git(['worktree', 'add', '--detach', '--quiet', work, sha], { cwd: repository });
    const { stdout } = await promisify(execFile)('kubectl', ['kustomize', join(work, prefix)], { maxBuffer: 64 * 1024 * 1024 });
    return expandLists(parseKubeYamlStream(stdout));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ManifestError(
      code === 'ENOENT'
        ? 'kustomize source: kubectl is not installed, so kustomization directories cannot be rendered'
        : `kustomize build failed: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await git(['worktree', 'remove', '--force', work], { cwd: repository }).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}
