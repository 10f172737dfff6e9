import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm run demo -- --kubeconfig-out FILE --unreachable`, then the real kubectl against the fleet the demo is rolling out to,
 * while one production cluster does not answer.
 */
let demo: ChildProcess | undefined;
let dir: string | undefined;

afterAll(async () => {
  if (demo && demo.exitCode === null && demo.signalCode === null) demo.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

function kubectl(kubeconfig: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      'kubectl',
      ['--request-timeout=10s', ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: dir!, KUBECONFIG: kubeconfig }, timeout: 20_000 },
      (error, stdout, stderr) => done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('the demo with --kubeconfig-out', () => {
  it(
    'serves its fleet over HTTPS to kubectl while it rolls out without an unreachable cluster, catches it up, and stops everything on Ctrl-C',
    { timeout: 120_000 },
    async () => {
      dir = await mkdtemp(join(tmpdir(), 'regatta-demo-kubectl-'));
      const kubeconfig = join(dir, 'demo.kubeconfig');
      const env = { ...process.env };
      delete env.REDIS_URL;
      demo = spawn(process.execPath, [resolve('bin/regatta.js'), 'demo', '--kubeconfig-out', kubeconfig, '--unreachable'], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      demo.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      const running = demo;
      const exited = new Promise<number | null>((done) => running.once('exit', (code) => done(code)));

      // Bounded: the demo prints the kubectl hint once its kubeconfig is written.
      for (let waited = 0; !stdout.includes(`KUBECONFIG=${kubeconfig} kubectl`); waited += 100) {
        if (waited > 60_000 || running.exitCode !== null) throw new Error(`the demo did not write its kubeconfig:\n${stdout}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const appSets = await kubectl(kubeconfig, 'get', 'applicationsets', '-n', 'argocd', '-o', 'name');
      expect(appSets.stderr).toBe('');
      expect(appSets.stdout).toContain('applicationset.argoproj.io/');
      // The Applications the rollout generates: one per workload cluster.
      let applications: string[] = [];
      for (let tries = 0; tries < 100 && applications.length < 12; tries++) {
        applications = (await kubectl(kubeconfig, 'get', 'applications.argoproj.io', '-n', 'argocd', '-o', 'name')).stdout.split('\n').filter(Boolean);
        if (applications.length < 12) await new Promise((r) => setTimeout(r, 300));
      }
      expect(applications).toHaveLength(12);
      const secrets = await kubectl(kubeconfig, 'get', 'secrets', '-n', 'argocd', '-l', 'argocd.argoproj.io/secret-type=cluster', '-o', 'name');
      expect(secrets.stdout.split('\n').filter(Boolean)).toHaveLength(12);

      // Production went on without prod-eu-3, which was then caught up: every cluster synced once, as the clusters counted.
      for (let waited = 0; !stdout.includes('Rollout complete'); waited += 200) {
        if (waited > 90_000 || running.exitCode !== null) throw new Error(`the first rollout did not complete:\n${stdout}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(stdout).toContain('prod-eu-3 did not answer: the rollout completed without it. It answers again now and is caught up.');
      expect(JSON.parse(/Rollout complete: (\{.*\})/.exec(stdout)![1])).toMatchObject({
        completed: true,
        syncs: 12,
        doubleSyncs: 0,
        skippedAndCaughtUp: 'prod-eu-3',
      });

      // Ctrl-C while the next rollout runs.
      running.kill('SIGINT');
      expect(await exited).toBe(130);
      // The fleet went with it.
      expect((await kubectl(kubeconfig, 'get', 'applicationsets', '-n', 'argocd')).code).not.toBe(0);
    },
  );
});
