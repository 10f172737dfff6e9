import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from '../../src/lib/free-port.js';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};

function git(args: string[], cwd: string): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' }).trim();
}

/** A real bare repository made in the test, with a work tree to commit from. */
export class TestRepository {
  readonly root: string;
  readonly bare: string;
  private readonly work: string;

  constructor(name = 'repo') {
    this.root = mkdtempSync(join(tmpdir(), 'regatta-git-'));
    this.bare = join(this.root, `${name}.git`);
    this.work = join(this.root, 'work');
    git(['init', '--bare', '--quiet', '--initial-branch=main', this.bare], this.root);
    git(['clone', '--quiet', this.bare, this.work], this.root);
    git(['checkout', '--quiet', '-B', 'main'], this.work);
  }

  get url(): string {
    return `file://${this.bare}`;
  }

  /** Writes (or, with null, deletes) files and pushes one commit to the branch; returns its SHA. */
  commit(files: Record<string, string | null>, branch = 'main', message = 'change'): string {
    git(['checkout', '--quiet', '-B', branch, ...(this.hasBranch(branch) ? [`origin/${branch}`] : [])], this.work);
    for (const [path, content] of Object.entries(files)) {
      const full = join(this.work, path);
      if (content === null) rmSync(full, { recursive: true, force: true });
      else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    }
    git(['add', '--all'], this.work);
    git(['commit', '--quiet', '--allow-empty', '-m', message], this.work);
    git(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], this.work);
    git(['fetch', '--quiet', 'origin'], this.work);
    return git(['rev-parse', 'HEAD'], this.work);
  }

  tag(name: string, ref = 'main'): void {
    git(['tag', '-f', name, `origin/${ref}`], this.work);
    git(['push', '--quiet', '-f', 'origin', `refs/tags/${name}`], this.work);
  }

  deleteBranch(branch: string): void {
    git(['push', '--quiet', 'origin', '--delete', branch], this.work);
  }

  private hasBranch(branch: string): boolean {
    try {
      git(['rev-parse', '--verify', '--quiet', `origin/${branch}`], this.work);
      return true;
    } catch {
      return false;
    }
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** `git daemon` serving a directory on an ephemeral 127.0.0.1 port, stopped by its pid. */
export class GitDaemon {
  private constructor(
    private readonly process: ChildProcess,
    readonly port: number,
  ) {}

  static async start(basePath: string): Promise<GitDaemon> {
    const port = await freePort();
    const child = spawn('git', ['daemon', '--reuseaddr', `--base-path=${basePath}`, '--export-all', '--listen=127.0.0.1', `--port=${port}`, basePath], {
      stdio: 'ignore',
    });
    const daemon = new GitDaemon(child, port);
    for (let attempt = 0; attempt < 100; attempt++) {
      if (await canConnect(port)) return daemon;
      await new Promise((r) => setTimeout(r, 50));
    }
    daemon.stop();
    throw new Error('git daemon did not start within 5 s');
  }

  url(repository: string): string {
    return `git://127.0.0.1:${this.port}/${repository}`;
  }

  stop(): void {
    if (this.stopped || !this.process.pid) return;
    this.stopped = true;
    process.kill(this.process.pid, 'SIGTERM');
  }

  private stopped = false;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
