import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RepositoryReader } from '../generators/generator.js';
import { git, GitError, redactUrlCredentials } from './git-cli.js';
import { pathspecMatcher } from './pathspec.js';
import type { RepositoryCredentials } from './repository-credentials.js';

export interface RepositoryCacheOptions {
  /** Where bare clones live. */
  directory: string;
  /** Credentials for a repository (from Argo CD repository Secrets), looked up on every remote call. */
  credentials?: (repoURL: string) => RepositoryCredentials | undefined;
  /** Repositories kept on disk; the least recently used beyond this are removed. */
  maxRepositories?: number;
}

export interface CacheCounters {
  lsRemotes: number;
  fetches: number;
}

const SHA = /^[0-9a-f]{40}$/;

/** Where repositories are cached: $REGATTA_GIT_CACHE_DIR, else a folder in the system's temporary directory. */
export function gitCacheDirectory(): string {
  return process.env.REGATTA_GIT_CACHE_DIR || join(tmpdir(), 'regatta-git-cache');
}

/**
 * Git repositories read through the git CLI, as Argo CD's repo-server does: `ls-remote` resolves
 * the revision on every read, the commit is fetched (shallow) only when the cache lacks it, and
 * trees and files are read from the object store without a checkout. Concurrent readers of one
 * repository share one fetch. Failures always throw: never an empty listing.
 */
export class GitRepositoryCache implements RepositoryReader {
  readonly counters: CacheCounters = { lsRemotes: 0, fetches: 0 };
  private readonly inFlight = new Map<string, Promise<void>>();
  /** The latest ls-remote per repository: in flight (no `at`) or answered at `at`. */
  private readonly listings = new Map<string, { at?: number; refs: Promise<Map<string, string>> }>();
  private readonly used = new Map<string, number>();
  private initialised = new Map<string, Promise<void>>();
  /** Commits present and trees listed, by commit: both are immutable, so they are read once. */
  private readonly known = new Set<string>();
  private readonly trees = new Map<string, Promise<string[]>>();

  constructor(private readonly options: RepositoryCacheOptions) {}

  async getDirectories(repoURL: string, revision: string): Promise<string[]> {
    const { dir, sha } = await this.checkout(repoURL, revision);
    const paths = await this.tree(dir, sha, true);
    // As the repo-server walks the tree: hidden directories (and what is below them) are skipped.
    return paths.filter((p) => !p.split('/').some((segment) => segment.startsWith('.'))).sort(walkOrder);
  }

  async getFiles(repoURL: string, revision: string, pattern: string): Promise<Map<string, Buffer>> {
    const { dir, sha } = await this.checkout(repoURL, revision);
    const files = (await this.tree(dir, sha, false)).filter(pathspecMatcher(pattern));
    const contents = new Map<string, Buffer>();
    if (files.length === 0) return contents;
    const batch = await git(['cat-file', '--batch'], { cwd: dir, input: files.map((f) => `${sha}:${f}\n`).join('') });
    let offset = 0;
    for (const file of files) {
      const headerEnd = batch.indexOf(10, offset);
      const header = batch.subarray(offset, headerEnd).toString('utf8');
      const size = Number(header.split(' ')[2]);
      if (header.endsWith('missing') || Number.isNaN(size)) throw new GitError(`cannot read ${file} at ${sha} of ${redactUrlCredentials(repoURL)}`);
      contents.set(file, batch.subarray(headerEnd + 1, headerEnd + 1 + size));
      offset = headerEnd + 1 + size + 1;
    }
    return contents;
  }

  /** The commit a revision (branch, tag, commit SHA or HEAD) names on the remote, fetched into the cache. */
  async checkout(repoURL: string, revision: string): Promise<{ dir: string; sha: string }> {
    const dir = join(this.options.directory, createHash('sha256').update(repoURL).digest('hex').slice(0, 24));
    await this.init(dir);
    const { sha, ref } = await this.resolve(repoURL, revision);
    if (!(await this.hasCommit(dir, sha))) {
      const key = `${dir}@${sha}`;
      let fetch = this.inFlight.get(key);
      if (!fetch) {
        fetch = this.fetch(dir, repoURL, sha, ref).finally(() => this.inFlight.delete(key));
        this.inFlight.set(key, fetch);
      }
      await fetch;
    }
    this.used.set(repoURL, Date.now());
    await this.evict(repoURL);
    return { dir, sha };
  }

  private async init(dir: string): Promise<void> {
    let init = this.initialised.get(dir);
    if (!init) {
      init = (async () => {
        try {
          await stat(join(dir, 'HEAD'));
        } catch {
          await mkdir(dir, { recursive: true });
          await git(['init', '--bare', '--quiet', dir]);
        }
      })();
      this.initialised.set(dir, init);
    }
    await init;
  }

  /**
   * The commit a revision (branch, tag, commit SHA or HEAD) names on the remote now, or as the
   * remote answered at most `maxAgeMs` ago: a fleet's refreshes ask about the same few
   * repositories thousands of times a minute.
   */
  async resolveRevision(repoURL: string, revision: string, maxAgeMs = 0): Promise<string> {
    return (await this.resolve(repoURL, revision, maxAgeMs)).sha;
  }

  private async resolve(repoURL: string, revision: string, maxAgeMs = 0): Promise<{ sha: string; ref?: string }> {
    const wanted = revision || 'HEAD';
    if (SHA.test(wanted)) return { sha: wanted };
    const refs = await this.refs(repoURL, maxAgeMs);
    const candidates =
      wanted === 'HEAD'
        ? ['HEAD']
        : wanted.startsWith('refs/')
          ? [wanted]
          : [`refs/heads/${wanted}`, `refs/tags/${wanted}^{}`, `refs/tags/${wanted}`];
    for (const ref of candidates) {
      const sha = refs.get(ref);
      if (sha) return { sha, ref: ref.replace(/\^\{\}$/, '') };
    }
    if (/^[0-9a-f]{7,39}$/.test(wanted)) {
      const matches = [...new Set([...refs.values()].filter((sha) => sha.startsWith(wanted)))];
      if (matches.length === 1) return { sha: matches[0] };
    }
    throw new GitError(`unable to resolve '${wanted}' to a commit SHA in ${redactUrlCredentials(repoURL)}`);
  }

  /** The remote's refs by `ls-remote`; concurrent readers of one repository share one call. */
  private refs(repoURL: string, maxAgeMs: number): Promise<Map<string, string>> {
    const listing = this.listings.get(repoURL);
    if (listing && (listing.at === undefined || Date.now() - listing.at < maxAgeMs)) return listing.refs;
    const entry: { at?: number; refs: Promise<Map<string, string>> } = { refs: this.listRefs(repoURL) };
    this.listings.set(repoURL, entry);
    entry.refs.then(
      () => (entry.at = Date.now()),
      () => this.listings.get(repoURL) === entry && this.listings.delete(repoURL),
    );
    return entry.refs;
  }

  private async listRefs(repoURL: string): Promise<Map<string, string>> {
    this.counters.lsRemotes++;
    let output: string;
    try {
      output = (await this.remote(repoURL, (env) => git(['ls-remote', '--', repoURL], { env }))).toString('utf8');
    } catch (error) {
      throw new GitError(`failed to list refs of ${redactUrlCredentials(repoURL)}: ${(error as Error).message}`);
    }
    const refs = new Map<string, string>();
    for (const line of output.split('\n')) {
      const [sha, ref] = line.split('\t');
      if (sha && ref) refs.set(ref, sha);
    }
    return refs;
  }

  /** Every path (or, with `directories`, every directory) of a commit's tree. */
  private tree(dir: string, sha: string, directories: boolean): Promise<string[]> {
    const key = `${dir}@${sha}@${directories}`;
    let listing = this.trees.get(key);
    if (!listing) {
      listing = git(['ls-tree', '-r', ...(directories ? ['-d'] : []), '-z', '--name-only', sha], { cwd: dir }).then((out) => out.toString('utf8').split('\0').filter(Boolean));
      listing.catch(() => this.trees.delete(key));
      this.trees.set(key, listing);
      if (this.trees.size > 512) this.trees.delete(this.trees.keys().next().value!);
    }
    return listing;
  }

  private async hasCommit(dir: string, sha: string): Promise<boolean> {
    if (this.known.has(`${dir}@${sha}`)) return true;
    try {
      await git(['cat-file', '-e', `${sha}^{commit}`], { cwd: dir });
      this.known.add(`${dir}@${sha}`);
      return true;
    } catch {
      return false;
    }
  }

  private async fetch(dir: string, repoURL: string, sha: string, ref?: string): Promise<void> {
    this.counters.fetches++;
    const refspec = ref && ref !== 'HEAD' ? `+${ref}:refs/regatta/${ref.replace(/^refs\//, '')}` : sha;
    try {
      await this.remote(repoURL, (env) => git(['fetch', '--quiet', '--depth', '1', '--no-tags', '--', repoURL, refspec], { cwd: dir, env }));
    } catch (error) {
      throw new GitError(`failed to fetch ${sha} from ${redactUrlCredentials(repoURL)}: ${(error as Error).message}`);
    }
    if (!(await this.hasCommit(dir, sha))) {
      // The ref moved between ls-remote and fetch; ask for the commit itself.
      await this.remote(repoURL, (env) => git(['fetch', '--quiet', '--depth', '1', '--no-tags', '--', repoURL, sha], { cwd: dir, env }));
    }
  }

  /**
   * Runs a command that talks to the remote with the repository's credentials in git's
   * environment (an HTTP header or an SSH key file), never in argv, logs or errors.
   */
  private async remote<T>(repoURL: string, run: (env: NodeJS.ProcessEnv) => Promise<T>): Promise<T> {
    const credentials = this.options.credentials?.(repoURL);
    if (!credentials) return run({});
    const env: NodeJS.ProcessEnv = {};
    let keyDir: string | undefined;
    if (credentials.sshPrivateKey) {
      keyDir = await mkdtemp(join(tmpdir(), 'regatta-ssh-'));
      const keyFile = join(keyDir, 'key');
      await writeFile(keyFile, credentials.sshPrivateKey.endsWith('\n') ? credentials.sshPrivateKey : `${credentials.sshPrivateKey}\n`, { mode: 0o600 });
      env.GIT_SSH_COMMAND = `ssh -i ${keyFile} -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new`;
    }
    if (credentials.username !== undefined || credentials.password !== undefined) {
      // Appended to whatever git configuration the environment already carries (GIT_CONFIG_COUNT).
      const count = Number(process.env.GIT_CONFIG_COUNT ?? '0') || 0;
      const basic = Buffer.from(`${credentials.username ?? ''}:${credentials.password ?? ''}`).toString('base64');
      env.GIT_CONFIG_COUNT = String(count + 1);
      env[`GIT_CONFIG_KEY_${count}`] = `http.${repoURL}.extraHeader`;
      env[`GIT_CONFIG_VALUE_${count}`] = `Authorization: Basic ${basic}`;
    }
    try {
      return await run(env);
    } finally {
      if (keyDir) await rm(keyDir, { recursive: true, force: true });
    }
  }

  private async evict(current: string): Promise<void> {
    const limit = this.options.maxRepositories ?? 200;
    if (this.used.size <= limit) return;
    const oldest = [...this.used.entries()].filter(([url]) => url !== current).sort((a, b) => a[1] - b[1]);
    for (const [url] of oldest.slice(0, this.used.size - limit)) {
      this.used.delete(url);
      const dir = join(this.options.directory, createHash('sha256').update(url).digest('hex').slice(0, 24));
      this.initialised.delete(dir);
      for (const key of [...this.known].filter((k) => k.startsWith(`${dir}@`))) this.known.delete(key);
      for (const key of [...this.trees.keys()].filter((k) => k.startsWith(`${dir}@`))) this.trees.delete(key);
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** The order a directory walk visits paths in: segment by segment, each level sorted by name. */
function walkOrder(a: string, b: string): number {
  const sa = a.split('/');
  const sb = b.split('/');
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    if (sa[i] !== sb[i]) return sa[i] < sb[i] ? -1 : 1;
  }
  return sa.length - sb.length;
}
