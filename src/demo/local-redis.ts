import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../lib/free-port.js';
import { endWithThisProcess } from './process-reaper.js';

export class RedisNotInstalledError extends Error {
  constructor() {
    super('redis-server is not installed: install it (Debian/Ubuntu: apt-get install redis-server) or set REDIS_URL to a running Redis');
  }
}

/**
 * A throwaway redis-server on 127.0.0.1 (demo and tests): no persistence unless `appendonly` is
 * asked for, so a restart on the same directory can bring the data back.
 */
export class LocalRedis {
  private constructor(
    private process: ChildProcess,
    readonly port: number,
    private readonly dir: string,
    private readonly persistent: boolean,
    private readonly password?: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** `password` makes clients authenticate (`requirepass`). */
  static async start(options: { persistent?: boolean; port?: number; dir?: string; password?: string } = {}): Promise<LocalRedis> {
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'regatta-redis-'));
    const port = options.port ?? (await freePort());
    const child = await LocalRedis.spawn(port, dir, options.persistent ?? false, options.password);
    return new LocalRedis(child, port, dir, options.persistent ?? false, options.password);
  }

  private static spawn(port: number, dir: string, persistent: boolean, password?: string): Promise<ChildProcess> {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--dir',
      dir,
      '--appendonly',
      persistent ? 'yes' : 'no',
      '--appendfsync',
      'always',
      ...(password ? ['--requirepass', password] : []),
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    endWithThisProcess(child);
    return new Promise((resolve, reject) => {
      let output = '';
      let ready = false;
      const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s: ${output.slice(-500)}`)), 10_000);
      child.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(error.code === 'ENOENT' ? new RedisNotInstalledError() : error);
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${output.slice(-500)}`));
      });
      child.stdout!.on('data', (chunk: Buffer) => {
        if (ready) return;
        output += chunk.toString('utf8');
        if (/ready to accept connections/i.test(output)) {
          ready = true;
          clearTimeout(timer);
          child.removeAllListeners('exit');
          resolve(child);
        }
      });
    });
  }

  /** Stop and start again on the same port and directory (with `persistent`, the data survives). */
  async restart(): Promise<void> {
    await this.kill();
    this.process = await LocalRedis.spawn(this.port, this.dir, this.persistent, this.password);
  }

  private async kill(): Promise<void> {
    if (this.process.exitCode !== null) return;
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.process.kill('SIGTERM');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
