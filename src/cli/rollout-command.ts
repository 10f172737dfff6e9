import { APP_PROJECT_KIND, DEFAULT_PROJECT_NAME, type AppProject } from '../api/app-project.js';
import type { Application } from '../api/application.js';
import { API_VERSION } from '../api/application.js';
import type { ApplicationSet } from '../api/application-set.js';
import type { KubeObject } from '../api/meta.js';
import { isOwnedBy } from '../appset/plan.js';
import { controlRollout, isRolloutAction, pastTense } from '../appset/rollout-control.js';
import type { ObjectClient } from '../kube/object-client.js';
import { rolloutWindowWaits } from '../projects/rollout-window-waits.js';
import { planRollout } from '../rollout/planner.js';
import { isRollingSync, rollingSyncSteps } from '../rollout/steps.js';
import { parseFlags, type FlagSpec, type ParsedFlags } from '../lib/argv.js';
import { type CliCommand, type CliIO } from './command.js';
import { UsageError } from '../lib/argv.js';
import { clientFromFlags } from './kube-flags.js';
import { toYaml } from './generate-command.js';
import { generateLocally, problemLine, readApplicationSets } from './local-generation.js';

const USAGE = `Usage:
  regatta rollout plan -f FILE|DIR [-f ...] [-o json|yaml] [--kubeconfig PATH] [--context NAME] [-n NS]
  regatta rollout pause|resume|abort|status APPLICATIONSET [--kubeconfig PATH] [--context NAME] [-n NS]

plan     What the next reconcile of each RollingSync ApplicationSet would do, writing nothing:
         its steps, the Applications it would sync now, those a sync window holds, and the status
         it would write. The ApplicationSets, their status, the live Applications (with status) and
         the AppProjects come from the -f inputs, or with --kubeconfig from the cluster.
         Unlike Argo CD, an Application moved to Pending gets its sync operation in the same
         reconcile (Argo CD sets it one reconcile later); "releasedNow" lists those.
pause    Stop promoting Applications (in-flight syncs finish); resume undoes it.
resume   Clear pause/abort and, after a halt, the failures, so the rollout goes on.
abort    Stop the rollout; Applications whose sync has not started go back to Waiting.
status   Print the rollout's phase, step, what sync windows hold, and each Application's entry.

Exit status: 0 success, 1 invalid input or a failed request, 2 usage error.
`;

interface Parsed {
  flags: ParsedFlags;
  positional: string[];
}

const FLAGS: FlagSpec[] = [
  { name: 'filename', short: 'f', kind: 'strings' },
  { name: 'output', short: 'o', kind: 'string' },
  { name: 'kubeconfig', kind: 'string' },
  { name: 'context', kind: 'string' },
  { name: 'namespace', short: 'n', kind: 'string' },
  { name: 'help', short: 'h', kind: 'boolean' },
];

export const rolloutCommand: CliCommand = {
  name: 'rollout',
  summary: 'plan, pause, resume, abort or inspect RollingSync rollouts',
  async run(args: string[], io: CliIO): Promise<number> {
    const [action, ...rest] = args;
    let parsed: Parsed;
    try {
      parsed = parseFlags(rest, FLAGS);
      if (parsed.flags.help || action === '--help' || action === '-h') {
        io.stdout.write(USAGE);
        return 0;
      }
      if (!['plan', 'pause', 'resume', 'abort', 'status'].includes(action ?? ''))
        throw new UsageError(action ? `unknown action "${action}"` : 'an action is required');
      if (parsed.flags.output !== undefined && parsed.flags.output !== 'yaml' && parsed.flags.output !== 'json') {
        throw new UsageError(`--output must be json or yaml, not ${JSON.stringify(parsed.flags.output)}`);
      }
      if (action === 'plan' && !parsed.flags.filename) throw new UsageError('at least one -f FILE|DIR is required');
      if (action !== 'plan' && parsed.positional.length !== 1) throw new UsageError(`${action} takes one ApplicationSet name`);
    } catch (error) {
      io.stderr.write(`regatta rollout: ${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    try {
      return action === 'plan' ? await plan(parsed, io) : await control(action, parsed, io);
    } catch (error) {
      io.stderr.write(`regatta rollout ${action}: ${(error as Error).message}\n`);
      return 1;
    }
  },
};

async function plan({ flags }: Parsed, io: CliIO): Promise<number> {
  const namespace = (flags.namespace as string | undefined) ?? 'argocd';
  const inputs = await readApplicationSets(flags.filename as string[], 'regatta rollout plan', io.stderr);
  if (typeof inputs === 'number') return inputs;
  const { manifests, appSets: appSetManifests } = inputs;
  const client = flags.kubeconfig ? clientFromFlags(flags) : undefined;
  const generation = await generateLocally(manifests, appSetManifests, {
    namespace,
    kubeconfig: flags.kubeconfig as string | undefined,
    context: flags.context as string | undefined,
    report: (problem) => io.stderr.write(problemLine('regatta rollout plan', problem)),
  });
  const fileApplications = manifests.filter((m) => m.object.kind === 'Application').map((m) => m.object as unknown as Application);
  const fileProjects = manifests.filter((m) => m.object.kind === APP_PROJECT_KIND).map((m) => m.object as unknown as AppProject);
  const results = [];
  for (const { appSet: given, result } of generation.outputs) {
    const ns = given.metadata.namespace ?? namespace;
    const live = client ? await client.get<ApplicationSet & KubeObject>(given.apiVersion, 'ApplicationSet', ns, given.metadata.name) : undefined;
    const appSet: ApplicationSet = {
      ...given,
      metadata: { ...given.metadata, uid: live?.metadata.uid ?? given.metadata.uid },
      status: live?.status ?? given.status,
    };
    const applications = client ? await client.list<Application & KubeObject>(API_VERSION, 'Application', ns) : fileApplications;
    const desired = result.generated.map((g) => g.application);
    const desiredNames = new Set(desired.map((a) => a.metadata.name));
    // Hand-written snapshots often lack ownerReferences: an Application without any counts by name.
    const current = applications.filter(
      (a) => (a.metadata.namespace ?? ns) === ns && (isOwnedBy(a, appSet) || (!a.metadata.ownerReferences?.length && desiredNames.has(a.metadata.name))),
    );
    if (!isRollingSync(appSet) || rollingSyncSteps(appSet).length === 0) {
      io.stderr.write(
        `regatta rollout plan: ApplicationSet ${appSet.metadata.name}: spec.strategy: ${isRollingSync(appSet) ? 'No steps defined for rollout' : 'not a RollingSync strategy; every Application is synced by its own policy'}\n`,
      );
      results.push({ applicationSet: appSet.metadata.name, steps: [], syncNow: [], releasedNow: [], applicationStatus: [], conditions: [] });
      continue;
    }
    const now = new Date();
    const projects = await projectsFor(desired, namespace, client, fileProjects);
    const outcome = planRollout({ appSet, desired, current, now, windowWaits: rolloutWindowWaits(desired, (name) => projects.get(name), now) });
    results.push({
      applicationSet: appSet.metadata.name,
      steps: outcome.steps,
      syncNow: outcome.syncNow,
      releasedNow: outcome.releasedNow,
      ...(outcome.releasedNow.length ? { notes: [releasedNote(outcome.releasedNow)] } : {}),
      applicationStatus: outcome.applicationStatus.map(({ application, status, step, message, targetRevisions }) => ({
        application,
        status,
        step,
        message,
        targetRevisions: targetRevisions ?? [],
      })),
      conditions: outcome.conditions,
      rollout: {
        phase: outcome.rollout.phase,
        step: outcome.rollout.step,
        message: outcome.rollout.message,
        ...(outcome.rollout.failed ? { failed: outcome.rollout.failed } : {}),
        ...(outcome.rollout.waiting ? { waiting: outcome.rollout.waiting } : {}),
        ...(outcome.rollout.unreachable ? { unreachable: outcome.rollout.unreachable } : {}),
        ...(outcome.rollout.skipped ? { skipped: outcome.rollout.skipped } : {}),
      },
      ...(outcome.rollback.length ? { rollback: outcome.rollback } : {}),
    });
  }
  io.stdout.write(flags.output === 'yaml' ? toYaml(results) : `${JSON.stringify(results, null, 2)}\n`);
  return generation.exitCode;
}

/** Regatta's deliberate difference from Argo CD, said where a user compares the two. */
function releasedNote(names: string[]): string {
  return `${names.join(', ')} ${names.length === 1 ? 'moves' : 'move'} to Pending and ${names.length === 1 ? 'gets its' : 'get their'} sync operation in this reconcile; Argo CD would set the operation one reconcile later`;
}

async function control(action: string, { flags, positional }: Parsed, io: CliIO): Promise<number> {
  const namespace = (flags.namespace as string | undefined) ?? 'argocd';
  const client = clientFromFlags(flags);
  const name = positional[0];
  if (isRolloutAction(action)) {
    if (!(await controlRollout(client, namespace, name, action))) return notFound(action, namespace, name, io);
    io.stdout.write(`ApplicationSet ${namespace}/${name}: rollout ${pastTense(action)}\n`);
    return 0;
  }
  const appSet = await client.get<ApplicationSet & KubeObject>(API_VERSION, 'ApplicationSet', namespace, name);
  if (!appSet) return notFound(action, namespace, name, io);
  const rollout = appSet.status?.rollout;
  io.stdout.write(
    `ApplicationSet ${namespace}/${name}: ${rollout ? `${rollout.phase}${rollout.step ? `, step ${rollout.step}` : ''}: ${rollout.message}` : 'no rollout'}\n`,
  );
  for (const wait of rollout?.waiting ?? []) io.stdout.write(`  held: ${wait.message}\n`);
  for (const u of rollout?.unreachable ?? [])
    io.stdout.write(`  waiting for unreachable cluster ${u.destination} (${u.application}, step ${u.step}) since ${u.since}\n`);
  for (const u of rollout?.skipped ?? [])
    io.stdout.write(
      `  skipped: ${u.application} on ${u.destination} (step ${u.step}) since ${u.since}${u.catchingUpSince ? `, answering again since ${u.catchingUpSince}: catching up` : ': cluster unreachable'}\n`,
    );
  for (const entry of appSet.status?.applicationStatus ?? [])
    io.stdout.write(`  ${entry.application.padEnd(40)} step ${entry.step.padEnd(3)} ${entry.status.padEnd(12)} ${entry.message}\n`);
  return 0;
}

/**
 * The AppProjects the Applications name (Argo CD's namespace is `namespace`): from the cluster with
 * --kubeconfig, else from the -f inputs. One the inputs lack has no sync windows.
 */
async function projectsFor(
  applications: Application[],
  namespace: string,
  client: ObjectClient | undefined,
  fromFiles: AppProject[],
): Promise<Map<string, AppProject>> {
  const names = new Set(applications.map((a) => a.spec.project || DEFAULT_PROJECT_NAME));
  const projects = new Map<string, AppProject>();
  for (const name of names) {
    const project = client
      ? await client.get<AppProject & KubeObject>(API_VERSION, APP_PROJECT_KIND, namespace, name)
      : fromFiles.find((p) => p.metadata.name === name && (p.metadata.namespace ?? namespace) === namespace);
    if (project) projects.set(name, project);
  }
  return projects;
}

function notFound(action: string, namespace: string, name: string, io: CliIO): number {
  io.stderr.write(`regatta rollout ${action}: ApplicationSet ${namespace}/${name} not found\n`);
  return 1;
}
