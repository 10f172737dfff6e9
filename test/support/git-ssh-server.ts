import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/lib/free-port.js';

const SSHD = '/usr/sbin/sshd';

export interface SshKeyPair {
  privateKey: string;
  /** `ssh-ed25519 AAAA…` (no comment). */
  publicKey: string;
  /** `SHA256:…`, as sshd logs the keys clients offer. */
  fingerprint: string;
}

/** A throwaway ed25519 key pair made with ssh-keygen. */
export function sshKeyPair(): SshKeyPair {
  const dir = mkdtempSync(join(tmpdir(), 'regatta-ssh-key-'));
  try {
    const file = join(dir, 'key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', file], { stdio: 'pipe' });
    const publicKey = readFileSync(`${file}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1];
    return { privateKey: readFileSync(file, 'utf8'), publicKey, fingerprint };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * OpenSSH's sshd on an unprivileged 127.0.0.1 port, for git over SSH: a generated host key, one
 * authorized client key, the current user's shell running git-upload-pack. It logs (VERBOSE) the
 * fingerprint of every key a client offers, so a test can tell whether a key was ever shown to it.
 * Stopped by its pid.
 */
export class GitSshServer {
  private readonly log: Buffer[] = [];
  private stopped = false;

  private constructor(
    private readonly daemon: ChildProcess,
    private readonly dir: string,
    readonly port: number,
    readonly hostKey: SshKeyPair,
  ) {}

  static async start(authorizedKey: string, options: { port?: number } = {}): Promise<GitSshServer> {
    // Running as root, sshd insists on its privilege separation directory (Debian creates it at boot).
    if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755, recursive: true });
    const dir = mkdtempSync(join(tmpdir(), 'regatta-sshd-'));
    const hostKey = sshKeyPair();
    writeFileSync(join(dir, 'host_key'), hostKey.privateKey, { mode: 0o600 });
    writeFileSync(join(dir, 'authorized_keys'), `${authorizedKey}\n`, { mode: 0o600 });
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = options.port ?? (await freePort());
      writeFileSync(
        join(dir, 'sshd_config'),
        [
          `Port ${port}`,
          'ListenAddress 127.0.0.1',
          `HostKey ${join(dir, 'host_key')}`,
          `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
          `AllowUsers ${userInfo().username}`,
          `PidFile ${join(dir, 'sshd.pid')}`,
          'PubkeyAuthentication yes',
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          'PermitRootLogin prohibit-password',
          'StrictModes no',
          'UsePAM no',
          'UseDNS no',
          'LogLevel VERBOSE',
          '',
        ].join('\n'),
      );
      const child = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
      const server = new GitSshServer(child, dir, port, hostKey);
      child.stderr!.on('data', (chunk: Buffer) => server.log.push(chunk));
      if (await server.listening()) return server;
      await server.kill();
      if (options.port !== undefined) break;
    }
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`sshd did not start on 127.0.0.1${options.port ? `:${options.port}` : ''}`);
  }

  /** Waits (at most 5 s) for sshd to say it listens; false when it exited first. */
  private async listening(): Promise<boolean> {
    for (let i = 0; i < 100; i++) {
      if (this.text().includes('Server listening on')) return true;
      if (this.daemon.exitCode !== null || this.daemon.signalCode !== null) return false;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  }

  /** What sshd logged so far. */
  text(): string {
    return Buffer.concat(this.log).toString('utf8');
  }

  /** A position in the log to look from: what happened after it. */
  mark(): number {
    return this.text().length;
  }

  /** Whether a client offered this key (by fingerprint) to the server since `mark`. */
  sawKey(fingerprint: string, mark = 0): boolean {
    return this.text().slice(mark).includes(fingerprint);
  }

  /** The known_hosts line for this server, as argocd-ssh-known-hosts-cm holds it. */
  knownHostsLine(publicKey = this.hostKey.publicKey): string {
    return `[127.0.0.1]:${this.port} ${publicKey}`;
  }

  /** An ssh:// URL for an absolute path on this machine. */
  url(path: string): string {
    return `ssh://${userInfo().username}@127.0.0.1:${this.port}${path}`;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async kill(): Promise<void> {
    if (this.daemon.exitCode !== null || this.daemon.signalCode !== null || !this.daemon.pid) return;
    const exited = new Promise((r) => this.daemon.once('exit', r));
    process.kill(this.daemon.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
  }
}
