import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const MAIN = resolve('dist/main.js');

export interface ReplicaProcessOptions {
  /** Kubeconfig (YAML) of the management cluster. */
  kubeconfig: string;
  redisUrl: string;
  /** The replica's name (its pod name; default regatta-0): shard membership and its sync queue go by it. */
  replica?: string;
  /** Command-line flags for `dist/main.js`. */
  args?: string[];
  /** Flags for node itself (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** Where the replica's stderr goes (default: this process's; `pipe` to read it). */
  stderr?: 'inherit' | 'ignore' | 'pipe';
}

/**
 * A Regatta replica as it runs in production: `node dist/main.js` in a process of its own, pointed
 * at the (simulated) management cluster. Stopped with `kill` by whoever started it, and by itself
 * when its starter is gone.
 */
export function startReplicaProcess(options: ReplicaProcessOptions): ChildProcess {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`nest build\` first`);
  const dir = mkdtempSync(join(tmpdir(), 'regatta-replica-'));
  writeFileSync(join(dir, 'kubeconfig'), options.kubeconfig);
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), MAIN, ...(options.args ?? [])], {
    env: {
      ...process.env,
      KUBECONFIG: join(dir, 'kubeconfig'),
      REDIS_URL: options.redisUrl,
      PORT: '0',
      REGATTA_BIND_ADDRESS: '127.0.0.1',
      REGATTA_GIT_CACHE_DIR: join(dir, 'git'),
      LOG_LEVEL: 'error',
      POD_NAME: options.replica ?? 'regatta-0',
      // The demo fleet's repository is a local one.
      REGATTA_ALLOW_LOCAL_REPOSITORIES: 'true',
      ...options.env,
    },
    // The IPC channel closes when this process dies, however it dies: the replica then stops itself.
    stdio: ['ignore', 'ignore', options.stderr ?? 'inherit', 'ipc'],
  });
  // The channel is the replica's lifeline, not a reason for this process to stay up.
  child.channel?.unref();
  return child;
}
