import { execFile, spawn } from 'node:child_process';

export class GitError extends Error {
  constructor(
    message: string,
    readonly stderr = '',
  ) {
    super(message);
  }
}

export interface GitRunOptions {
  cwd?: string;
  input?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  maxBuffer?: number;
}

/**
 * Runs the git CLI (no shell), so the user's git configuration applies: credential helpers,
 * `url.<base>.insteadOf`, proxies (how remotes are trusted is set per call, see remote-environment.ts).
 * Prompts are disabled and no askpass program answers them: a missing credential is an error, never
 * a made-up one sent to the server.
 */
export function git(args: string[], options: GitRunOptions = {}): Promise<Buffer> {
  const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', ...options.env };
  if (options.input === undefined) {
    return new Promise((resolve, reject) => {
      execFile(
        'git',
        args,
        { cwd: options.cwd, env, encoding: 'buffer', timeout: options.timeoutMs ?? 120_000, maxBuffer: options.maxBuffer ?? 512 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error) reject(new GitError(`git ${args[0]} failed: ${firstLine(stderr.toString('utf8')) || error.message}`, stderr.toString('utf8')));
          else resolve(stdout);
        },
      );
    });
  }
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: options.cwd, env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => reject(new GitError(`git ${args[0]} failed: ${error.message}`)));
    child.on('close', (code) => {
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new GitError(`git ${args[0]} failed: ${firstLine(stderr) || `exit ${code}`}`, stderr));
    });
    child.stdin.end(options.input);
  });
}

/** git's complaint, without credentials a URL may carry. */
function firstLine(text: string): string {
  return redactUrlCredentials(
    text
      .split('\n')
      .map((l) => l.replace(/^(fatal|error): /, '').trim())
      .filter(Boolean)
      .join('; '),
  );
}

export function redactUrlCredentials(text: string): string {
  return text.replace(/(\w+:\/\/)[^/@\s]+@/g, '$1***@');
}
