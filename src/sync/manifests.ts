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
  sourceType: 'Directory' | 'Kustomize';
  manifests: Manifest[];
}

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
): Promise<RenderedSource> {
  const { dir, sha } = await repositories.checkout(source.repoURL, revision, project);
  const base = (source.path ?? '').replace(/^\.?\/+/, '').replace(/\/+$/, '');
  const prefix = base && base !== '.' ? `${base}/` : '';
  const listing = (await git(['ls-tree', '-r', '-z', '--name-only', sha, ...(prefix ? ['--', prefix] : [])], { cwd: dir }))
    .toString('utf8')
    .split('\0')
    .filter(Boolean);
  const relative = listing.map((p) => p.slice(prefix.length));
  if (relative.some((p) => /^kustomization\.ya?ml$|^Kustomization$/.test(p)))
    return { revision: sha, sourceType: 'Kustomize', manifests: await kustomize(dir, sha, prefix) };

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
  for (const manifest of manifests) {
    if (!manifest.apiVersion || !manifest.kind) throw new ManifestError(`${manifest.metadata?.name ?? 'an object'}: Object 'Kind' is missing`);
  }
  return { revision: sha, sourceType: 'Directory', manifests };
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
