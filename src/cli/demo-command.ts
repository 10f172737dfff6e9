import { writeFile } from 'node:fs/promises';
import { MANAGEMENT_CLUSTER } from '../sim/sim-fleet.js';
import { startDemoDashboard, type DemoDashboard } from '../demo/demo-dashboard.js';
import type { ApplicationSetRolloutStep } from '../api/application-set.js';
import { DEMO_CLUSTERS, DEMO_STEPS, DemoEnvironment } from '../demo/demo-environment.js';
import { LiveView, renderRollout } from '../demo/rollout-view.js';
import { RedisNotInstalledError } from '../demo/local-redis.js';
import { parseFlags } from '../lib/argv.js';
import type { CliCommand, CliIO } from './command.js';

/** The production cluster `--unreachable` takes off the network during each rollout. */
const UNREACHABLE_CLUSTER = 'prod-eu-3';

const USAGE = `Usage: regatta demo [--once] [--unreachable] [--timeout SECONDS] [--port PORT] [--kubeconfig-out FILE]

Starts a simulated fleet (a management cluster and ${DEMO_CLUSTERS.length} workload clusters labelled by env and
region), Redis (a redis-server of its own unless REDIS_URL is set), a local Git repository with a
guestbook Helm chart (per-environment value files from a second source, a PreSync migration Job),
and Regatta; applies a Git × Cluster matrix ApplicationSet with a RollingSync strategy (staging,
then production 25% at a time) and shows each rollout live. After each rollout a new guestbook
version is committed and rolled out, until Ctrl-C.

  --once       run one complete rollout, print a summary and exit (0 when it completed)
  --unreachable
               ${UNREACHABLE_CLUSTER} does not answer while each rollout runs: production (unreachable: skip)
               completes without it; then it answers again and is caught up
  --timeout    give up after this many seconds per rollout (default 180)
  --port       serve the dashboard and REST API on this port of 127.0.0.1 (default: any free port)
  --kubeconfig-out
               serve the fleet over HTTPS and write a kubeconfig for its management cluster to FILE,
               for kubectl (KUBECONFIG=FILE kubectl get applications -n argocd)
`;

async function rollOut(
  env: DemoEnvironment,
  revision: string,
  view: LiveView,
  timeoutMs: number,
  done = () => env.rolledOut(revision),
): Promise<{ completed: boolean; ms: number }> {
  const started = Date.now();
  const clusterOf = (application: string) => application.replace(/^guestbook-/, '');
  for (;;) {
    const [appSet, applications] = await Promise.all([env.appSet(), env.applications()]);
    view.show(
      renderRollout({ appSet, applications, revision: `guestbook:v${env.version} (${revision.slice(0, 7)})`, elapsedMs: Date.now() - started }, clusterOf),
    );
    if (await done()) return { completed: true, ms: Date.now() - started };
    if (Date.now() - started > timeoutMs) return { completed: false, ms: Date.now() - started };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * `--unreachable`: the rollout completes without the cluster that does not answer (its step skips
 * it), then the cluster answers again and its Application is caught up: done once all are synced.
 */
async function rollOutWithoutAndCatchUp(
  env: DemoEnvironment,
  revision: string,
  view: LiveView,
  timeoutMs: number,
  io: CliIO,
): Promise<{ completed: boolean; ms: number }> {
  const skipped = await rollOut(env, revision, view, timeoutMs, async () => {
    const rollout = (await env.appSet())?.status?.rollout;
    return rollout?.phase === 'Completed' && (rollout.skipped ?? []).some((s) => s.application.endsWith(`-${UNREACHABLE_CLUSTER}`) && !s.catchingUpSince);
  });
  if (!skipped.completed) return skipped;
  io.stdout.write(`\n${UNREACHABLE_CLUSTER} did not answer: the rollout completed without it. It answers again now and is caught up.\n\n`);
  await env.fleet.clearFaults(UNREACHABLE_CLUSTER);
  const caughtUp = await rollOut(env, revision, view, timeoutMs);
  return { completed: caughtUp.completed, ms: skipped.ms + caughtUp.ms };
}

/** The way into the dashboard: a fresh one-time code, since codes expire and the demo runs on. */
const loginCodeLine = (dashboard: DemoDashboard) => `Login code (paste it into the login form; works once, for 10 minutes): ${dashboard.loginCode()}\n`;

/** Rolls out the embedded guestbook, then each new release, until one rollout fails or `once` ends after the first. */
async function showRollouts(
  env: DemoEnvironment,
  dashboard: DemoDashboard,
  options: { once: boolean; timeoutMs: number; kubeconfigOut?: string; unreachable: boolean },
  io: CliIO,
): Promise<number> {
  io.stdout.write(`Regatta demo: ${DEMO_CLUSTERS.length} clusters at ${env.fleet.url}, Redis at ${env.redisUrl}, Git at ${env.repository.url}\n`);
  io.stdout.write(`Dashboard: ${dashboard.loginUrl}\n${loginCodeLine(dashboard)}REST API: ${dashboard.url}/api/v1 (OpenAPI at ${dashboard.url}/api/docs)\n\n`);
  if (options.kubeconfigOut) {
    await writeFile(options.kubeconfigOut, env.fleet.kubeconfig(MANAGEMENT_CLUSTER), { mode: 0o600 });
    io.stdout.write(`kubectl: KUBECONFIG=${options.kubeconfigOut} kubectl get applications -n argocd\n\n`);
  }
  const view = new LiveView(io.stdout);
  let revision = env.revision;
  for (let round = 1; ; round++) {
    const result = options.unreachable
      ? await rollOutWithoutAndCatchUp(env, revision, view, options.timeoutMs, io)
      : await rollOut(env, revision, view, options.timeoutMs);
    // Counted from what the simulated clusters saw, not from what Regatta wrote in the Applications' status.
    const audit = env.auditSyncs();
    const summary = {
      rollout: round,
      revision: `guestbook:v${env.version}`,
      completed: result.completed,
      ms: result.ms,
      clusters: DEMO_CLUSTERS.length,
      syncs: audit.syncs,
      doubleSyncs: audit.repeatedSyncs,
      shards: env.shardOwnership(),
      ...(options.unreachable ? { skippedAndCaughtUp: UNREACHABLE_CLUSTER } : {}),
    };
    io.stdout.write(
      `\n${result.completed ? 'Rollout complete' : 'Rollout did not complete in time'}: ${JSON.stringify(summary)}\n${loginCodeLine(dashboard)}\n`,
    );
    if (options.once || !result.completed) return result.completed && summary.doubleSyncs === 0 ? 0 : 1;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    if (options.unreachable) await env.fleet.fault(UNREACHABLE_CLUSTER, { unreachable: true });
    revision = await env.release();
  }
}

/** The demo's steps, production going on without a cluster that does not answer. */
const skippingProduction = (): ApplicationSetRolloutStep[] =>
  DEMO_STEPS.map((step, index) => (index === DEMO_STEPS.length - 1 ? { ...step, unreachable: 'skip' } : step));

export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'a simulated fleet, Redis, Git and Regatta rolling out a change, live',
  async run(args: string[], io: CliIO): Promise<number> {
    let flags;
    try {
      ({ flags } = parseFlags(args, [
        { name: 'once', kind: 'boolean' },
        { name: 'unreachable', kind: 'boolean' },
        { name: 'timeout', kind: 'string' },
        { name: 'port', kind: 'string' },
        { name: 'kubeconfig-out', kind: 'string' },
        { name: 'help', short: 'h', kind: 'boolean' },
      ]));
    } catch (error) {
      io.stderr.write(`regatta demo: ${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (flags.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    const timeoutMs = Number(flags.timeout ?? 180) * 1000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      io.stderr.write(`regatta demo: --timeout must be a positive number of seconds\n`);
      return 2;
    }
    const port = Number(flags.port ?? 0);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      io.stderr.write(`regatta demo: --port must be a TCP port (0-65535)\n`);
      return 2;
    }

    const kubeconfigOut = flags['kubeconfig-out'] as string | undefined;
    let env: DemoEnvironment;
    let dashboard: DemoDashboard;
    try {
      env = await DemoEnvironment.start({
        redisUrl: process.env.REDIS_URL || undefined,
        https: kubeconfigOut !== undefined,
        ...(flags.unreachable === true ? { steps: skippingProduction(), unreachable: [UNREACHABLE_CLUSTER] } : {}),
      });
    } catch (error) {
      io.stderr.write(`regatta demo: ${error instanceof RedisNotInstalledError ? error.message : `cannot start: ${(error as Error).message}`}\n`);
      return 1;
    }
    try {
      dashboard = await startDemoDashboard(env, port);
    } catch (error) {
      await env.stop();
      io.stderr.write(`regatta demo: cannot serve the dashboard on 127.0.0.1:${port}: ${(error as Error).message}\n`);
      return 1;
    }
    let stopped: Promise<void> | undefined;
    const stop = () =>
      (stopped ??= (async () => {
        await dashboard.close();
        await env.stop();
      })());
    let interrupted = false;
    const onSignal = () => {
      interrupted = true;
      void stop().then(() => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    try {
      const code = await showRollouts(env, dashboard, { once: flags.once === true, timeoutMs, kubeconfigOut, unreachable: flags.unreachable === true }, io);
      return interrupted ? 130 : code;
    } catch (error) {
      // Ctrl-C stops the fleet under the rollout being watched, which then fails: that is the signal, not an error.
      if (interrupted) return 130;
      throw error;
    } finally {
      process.removeListener('SIGINT', onSignal);
      await stop();
    }
  },
};
