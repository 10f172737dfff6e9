import { createHash } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RepositoryReader } from '../generators/generator.js';
import { git, GitError, redactUrlCredentials } from './git-cli.js';
import { pathspecMatcher } from './pathspec.js';
import { isLocalRepository, type RepositoryAccess } from './repository-credentials.js';
import { remoteEnvironment } from './remote-environment.js';

export interface RepositoryCacheOptions {
  /** Where bare clones live. */
  directory: string;
  /**
   * How a project reaches a repository (credentials and `insecure`, from Argo CD's repository
   * Secrets), looked up on every remote call; it may throw for a Secret Argo CD would refuse.
   */
  access?: (repoURL: string, project: string) => RepositoryAccess;
  /** known_hosts lines (argocd-ssh-known-hosts-cm): the only host keys SSH accepts unless the repository is insecure. */
  sshKnownHosts?: () => string;
  /** The PEM bundle registered for a TLS server name (argocd-tls-certs-cm), if any. */
  tlsCertificates?: (serverName: string) => string | undefined;
  /** Repositories kept on disk; the least recently used beyond this are removed. */
  maxRepositories?: number;
  /**
   * Whether `file://` URLs and paths on this machine may be read: the demo's and tests' own
   * repositories, a user's own `regatta generate`. Off in the controller unless configured.
   */
  allowLocalRepositories?: boolean;
}

/**
 * One repository as one grant reaches it: a URL with the Secret (or none) and verification it is
 * read with. Copies are kept per slot, so a read never sees what only another grant could fetch.
 */
interface Slot {
  repoURL: string;
  access: RepositoryAccess;
  dir: string;
}

export interface CacheCounters {
  lsRemotes: number;
  fetches: number;
}

const SHA = /^[0-9a-f]{40}$/;
/** How many slot directories are remembered by identity before the memory starts afresh. */
const SLOT_DIRS_KEPT = 10_000;

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
  /** The latest ls-remote per slot directory: in flight (no `at`) or answered at `at`. */
  private readonly listings = new Map<string, { at?: number; refs: Promise<Map<string, string>> }>();
  /** Each slot's directory by what identifies it: hashing it for every read of a revision costs more than the read. */
  private readonly slotDirs = new Map<string, string>();
  /** When each slot directory was last read. */
  private readonly used = new Map<string, number>();
  private initialised = new Map<string, Promise<void>>();
  /** Commits present and trees listed, by commit: both are immutable, so they are read once. */
  private readonly known = new Set<string>();
  private readonly trees = new Map<string, Promise<string[]>>();

  constructor(private readonly options: RepositoryCacheOptions) {}

  /** Directories at a revision, read with what `project` ('' when unknown) may use. */
  async getDirectories(repoURL: string, revision: string, project = ''): Promise<string[]> {
    const { dir, sha } = await this.checkout(repoURL, revision, project);
    const paths = await this.tree(dir, sha, true);
    // As the repo-server walks the tree: hidden directories (and what is below them) are skipped.
    return paths.filter((p) => !p.split('/').some((segment) => segment.startsWith('.'))).sort(walkOrder);
  }

  async getFiles(repoURL: string, revision: string, pattern: string, project = ''): Promise<Map<string, Buffer>> {
    const { dir, sha } = await this.checkout(repoURL, revision, project);
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
  async checkout(repoURL: string, revision: string, project = ''): Promise<{ dir: string; sha: string }> {
    const slot = this.slot(repoURL, project);
    const { sha, ref } = await this.resolve(slot, revision);
    await this.ensureCommit(slot, sha, ref);
    return { dir: slot.dir, sha };
  }

  /**
   * The commit a revision (branch, tag, commit SHA or HEAD) names on the remote now, or as the
   * remote answered at most `maxAgeMs` ago: a fleet's refreshes ask about the same few
   * repositories thousands of times a minute. A commit SHA is fetched with `project`'s access
   * first: answering it unchecked would vouch for content that only another grant could read.
   */
  async resolveRevision(repoURL: string, revision: string, maxAgeMs = 0, project = ''): Promise<string> {
    const slot = this.slot(repoURL, project);
    const { sha, ref } = await this.resolve(slot, revision, maxAgeMs);
    if (SHA.test(revision)) await this.ensureCommit(slot, sha, ref);
    return sha;
  }

  private slot(repoURL: string, project: string): Slot {
    if (!this.options.allowLocalRepositories && isLocalRepository(repoURL)) {
      throw new GitError(
        `repository ${redactUrlCredentials(repoURL)} is on the controller's own disk: local repositories are not allowed (--allow-local-repositories)`,
      );
    }
    const access = this.options.access?.(repoURL, project) ?? { insecure: false };
    const identity = JSON.stringify([repoURL, access.secret ?? '', access.insecure]);
    let dir = this.slotDirs.get(identity);
    if (!dir) {
      // Rotated credentials leave identities behind: a bound, not an eviction policy, as a directory is a hash away.
      if (this.slotDirs.size >= SLOT_DIRS_KEPT) this.slotDirs.clear();
      dir = join(this.options.directory, createHash('sha256').update(identity).digest('hex').slice(0, 24));
      this.slotDirs.set(identity, dir);
    }
    return { repoURL, access, dir };
  }

  /** The commit is in the slot's copy: fetched (shallow) with the slot's access unless it already is. */
  private async ensureCommit(slot: Slot, sha: string, ref?: string): Promise<void> {
    await this.init(slot.dir);
    if (!(await this.hasCommit(slot.dir, sha))) {
      const key = `${slot.dir}@${sha}`;
      let fetch = this.inFlight.get(key);
      if (!fetch) {
        fetch = this.fetch(slot, sha, ref).finally(() => this.inFlight.delete(key));
        this.inFlight.set(key, fetch);
      }
      await fetch;
    }
    this.used.set(slot.dir, Date.now());
    await this.evict(slot.dir);
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

  private async resolve(slot: Slot, revision: string, maxAgeMs = 0): Promise<{ sha: string; ref?: string }> {
    const wanted = revision || 'HEAD';
    if (SHA.test(wanted)) return { sha: wanted };
    const refs = await this.refs(slot, maxAgeMs);
    const candidates =
      wanted === 'HEAD' ? ['HEAD'] : wanted.startsWith('refs/') ? [wanted] : [`refs/heads/${wanted}`, `refs/tags/${wanted}^{}`, `refs/tags/${wanted}`];
    for (const ref of candidates) {
      const sha = refs.get(ref);
      if (sha) return { sha, ref: ref.replace(/\^\{\}$/, '') };
    }
    if (/^[0-9a-f]{7,39}$/.test(wanted)) {
      const matches = [...new Set([...refs.values()].filter((sha) => sha.startsWith(wanted)))];
      if (matches.length === 1) return { sha: matches[0] };
    }
    throw new GitError(`unable to resolve '${wanted}' to a commit SHA in ${redactUrlCredentials(slot.repoURL)}`);
  }

  /** The remote's refs by `ls-remote`; concurrent readers of one slot share one call. */
  private refs(slot: Slot, maxAgeMs: number): Promise<Map<string, string>> {
    const listing = this.listings.get(slot.dir);
    if (listing && (listing.at === undefined || Date.now() - listing.at < maxAgeMs)) return listing.refs;
    const entry: { at?: number; refs: Promise<Map<string, string>> } = { refs: this.listRefs(slot) };
    this.listings.set(slot.dir, entry);
    entry.refs.then(
      () => (entry.at = Date.now()),
      () => this.listings.get(slot.dir) === entry && this.listings.delete(slot.dir),
    );
    return entry.refs;
  }

  private async listRefs(slot: Slot): Promise<Map<string, string>> {
    this.counters.lsRemotes++;
    let output: string;
    try {
      output = (await this.remote(slot, (env) => git(['ls-remote', '--', slot.repoURL], { env }))).toString('utf8');
    } catch (error) {
      throw new GitError(`failed to list refs of ${redactUrlCredentials(slot.repoURL)}: ${(error as Error).message}`);
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
      listing = git(['ls-tree', '-r', ...(directories ? ['-d'] : []), '-z', '--name-only', sha], { cwd: dir }).then((out) =>
        out.toString('utf8').split('\0').filter(Boolean),
      );
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

  private async fetch(slot: Slot, sha: string, ref?: string): Promise<void> {
    this.counters.fetches++;
    const refspec = ref && ref !== 'HEAD' ? `+${ref}:refs/regatta/${ref.replace(/^refs\//, '')}` : sha;
    const fetch = (what: string) =>
      this.remote(slot, (env) => git(['fetch', '--quiet', '--depth', '1', '--no-tags', '--', slot.repoURL, what], { cwd: slot.dir, env }));
    try {
      await fetch(refspec);
      // The ref moved between ls-remote and fetch; ask for the commit itself.
      if (!(await this.hasCommit(slot.dir, sha))) await fetch(sha);
    } catch (error) {
      throw new GitError(`failed to fetch ${sha} from ${redactUrlCredentials(slot.repoURL)}: ${(error as Error).message}`);
    }
  }

  /**
   * Runs a command that talks to the remote with the slot's access in git's environment (an HTTP
   * header, an SSH key file, known hosts, a CA bundle), never in argv, logs or errors.
   */
  private async remote<T>(slot: Slot, run: (env: NodeJS.ProcessEnv) => Promise<T>): Promise<T> {
    const remote = await remoteEnvironment(slot.repoURL, slot.access, {
      sshKnownHosts: this.options.sshKnownHosts?.() ?? '',
      tlsCertificates: this.options.tlsCertificates,
      allowLocal: this.options.allowLocalRepositories === true,
    });
    try {
      return await run(remote.env);
    } catch (error) {
      throw remote.explain(error as Error);
    } finally {
      await remote.dispose();
    }
  }

  private async evict(current: string): Promise<void> {
    const limit = this.options.maxRepositories ?? 200;
    if (this.used.size <= limit) return;
    const oldest = [...this.used.entries()].filter(([dir]) => dir !== current).sort((a, b) => a[1] - b[1]);
    for (const [dir] of oldest.slice(0, this.used.size - limit)) {
      this.used.delete(dir);
      this.initialised.delete(dir);
      this.listings.delete(dir);
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
