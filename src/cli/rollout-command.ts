import { APP_PROJECT_KIND, DEFAULT_PROJECT_NAME, type AppProject } from '../api/app-project.js';
import type { Application } from '../api/application.js';
import { API_VERSION } from '../api/application.js';
import type { ApplicationSet } from '../api/application-set.js';
import { ConditionType, Reason } from '../api/application-set-conditions.js';
import type { KubeObject } from '../api/meta.js';
import { isOwnedBy } from '../appset/plan.js';
import { controlRollout, isRolloutAction, pastTense } from '../appset/rollout-control.js';
import type { ObjectClient } from '../kube/object-client.js';
import { rolloutWindowWaits } from '../projects/rollout-window-waits.js';
import { planRollout } from '../rollout/planner.js';
import { rolloutBudgets, type BudgetWorld } from '../rollout/budget-usage.js';
import { ROLLOUT_BUDGET_API_VERSION, type RolloutBudget } from '../api/rollout-budget.js';
import { SECRET_TYPE_LABEL } from '../api/cluster-secret.js';
import type { Secret } from '../api/meta.js';
import { ClusterRegistry } from '../clusters/cluster-registry.js';
import type { Manifest } from './manifest-files.js';
import { isRollingSync, rollingSyncSteps } from '../rollout/steps.js';
import { pinsRevisions, specRevisions } from '../rollout/revision-pins.js';
import { resolveReleaseRevisions, revisionResolver } from '../appset/release-revisions.js';
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
         its steps, the Applications it would sync now, those a sync window or a RolloutBudget
         holds, and the status it would write. The ApplicationSets, their status, the live
         Applications (with status), the AppProjects, RolloutBudgets and cluster Secrets come from
         the -f inputs, or with --kubeconfig from the cluster.
         Unlike Argo CD, an Application moved to Pending gets its sync operation in the same
         reconcile (Argo CD sets it one reconcile later); "releasedNow" lists those. With
         pinRevisions, "pins" lists the commit each Application would be pinned to.
pause    Stop promoting Applications (in-flight syncs finish); resume undoes it.
resume   Clear pause/abort and, after a halt, the failures, so the rollout goes on.
abort    Stop the rollout; Applications whose sync has not started go back to Waiting.
status   Print the rollout's phase, step, what sync windows and RolloutBudgets hold, budgets not
         applied, and each Application's entry (with pinRevisions, the commit it is pinned to and
         the one its step releases).

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
  // pinRevisions: each release is resolved while the generation's repositories (and credentials) are open.
  const releases = new Map<string, Map<string, string[]> | Error>();
  const generation = await generateLocally(manifests, appSetManifests, {
    namespace,
    kubeconfig: flags.kubeconfig as string | undefined,
    context: flags.context as string | undefined,
    report: (problem) => io.stderr.write(problemLine('regatta rollout plan', problem)),
    withContext: async (result, context) => {
      for (const output of result.outputs.filter((o) => pinsRevisions(o.appSet))) {
        const resolved = await resolveReleaseRevisions(
          output.result.generated.map((g) => g.application),
          revisionResolver(context.repositories, 0),
        ).catch((error: Error) => error);
        releases.set(output.appSet.metadata.name, resolved);
      }
    },
  });
  let exitCode = generation.exitCode;
  const fileApplications = manifests.filter((m) => m.object.kind === 'Application').map((m) => m.object as unknown as Application);
  const fileProjects = manifests.filter((m) => m.object.kind === APP_PROJECT_KIND).map((m) => m.object as unknown as AppProject);
  const world = await budgetWorld(manifests, appSetManifests, namespace, client, io);
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
    if (!isRollingSync(appSet)) {
      io.stderr.write(
        `regatta rollout plan: ApplicationSet ${appSet.metadata.name}: spec.strategy: not a RollingSync strategy; every Application is synced by its own policy\n`,
      );
      results.push({ applicationSet: appSet.metadata.name, steps: [], syncNow: [], releasedNow: [], applicationStatus: [], conditions: [] });
      continue;
    }
    if (rollingSyncSteps(appSet).length === 0) {
      // The reconcile stops here with Argo CD's ErrorOccurred (IsStepsEmpty) and writes no Application.
      const message = 'No steps defined for rollout';
      io.stderr.write(`regatta rollout plan: ApplicationSet ${appSet.metadata.name}: spec.strategy.rollingSync.steps: ${message}\n`);
      const conditions = [{ type: ConditionType.ErrorOccurred, status: 'True', reason: Reason.ApplicationSetRolloutError, message }];
      results.push({ applicationSet: appSet.metadata.name, steps: [], syncNow: [], releasedNow: [], applicationStatus: [], conditions });
      exitCode = 1;
      continue;
    }
    const releaseRevisions = releases.get(appSet.metadata.name);
    if (releaseRevisions instanceof Error) {
      io.stderr.write(`regatta rollout plan: ApplicationSet ${appSet.metadata.name}: ${releaseRevisions.message}\n`);
      exitCode = 1;
      continue;
    }
    const now = new Date();
    const projects = await projectsFor(desired, namespace, client, fileProjects);
    const outcome = planRollout({
      appSet,
      desired,
      current,
      now,
      windowWaits: rolloutWindowWaits(desired, (name) => projects.get(name), now),
      budgets: rolloutBudgets(world, desired),
      releaseRevisions,
    });
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
        ...(outcome.rollout.budgetWaiting ? { budgetWaiting: outcome.rollout.budgetWaiting } : {}),
        ...(outcome.rollout.invalidBudgets ? { invalidBudgets: outcome.rollout.invalidBudgets } : {}),
        ...(outcome.rollout.unreachable ? { unreachable: outcome.rollout.unreachable } : {}),
        ...(outcome.rollout.skipped ? { skipped: outcome.rollout.skipped } : {}),
      },
      ...(outcome.rollback.length ? { rollback: outcome.rollback } : {}),
      ...(releaseRevisions ? { pins: pinsOf(outcome.desired) } : {}),
    });
  }
  io.stdout.write(flags.output === 'yaml' ? toYaml(results) : `${JSON.stringify(results, null, 2)}\n`);
  return exitCode;
}

/** pinRevisions: what each Application would be written pinned to, and whether its automated sync is held until its step opens. */
function pinsOf(desired: Application[]): { application: string; targetRevisions: string[]; automatedHeld: boolean }[] {
  return desired.map((a) => ({
    application: a.metadata.name,
    targetRevisions: specRevisions(a),
    automatedHeld: a.spec.syncPolicy?.automated?.enabled === false,
  }));
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
  for (const wait of [...(rollout?.waiting ?? []), ...(rollout?.budgetWaiting ?? [])]) io.stdout.write(`  held: ${wait.message}\n`);
  for (const problem of rollout?.invalidBudgets ?? []) io.stdout.write(`  ${problem}\n`);
  for (const u of rollout?.unreachable ?? [])
    io.stdout.write(`  waiting for unreachable cluster ${u.destination} (${u.application}, step ${u.step}) since ${u.since}\n`);
  for (const u of rollout?.skipped ?? [])
    io.stdout.write(
      `  skipped: ${u.application} on ${u.destination} (step ${u.step}) since ${u.since}${u.catchingUpSince ? `, answering again since ${u.catchingUpSince}: catching up` : ': cluster unreachable'}\n`,
    );
  const pins = pinsRevisions(appSet) ? await pinnedRevisions(client, namespace, appSet) : undefined;
  for (const entry of appSet.status?.applicationStatus ?? []) {
    const pin = pins?.get(entry.application);
    const pinned = pin ? ` [pinned ${pin.map(short).join(',')}, release ${(entry.targetRevisions ?? []).map(short).join(',')}]` : '';
    io.stdout.write(`  ${entry.application.padEnd(40)} step ${entry.step.padEnd(3)} ${entry.status.padEnd(12)} ${entry.message}${pinned}\n`);
  }
  return 0;
}

const short = (revision: string) => revision.slice(0, 7);

/** The revisions the ApplicationSet's Applications are pinned to now, by name. */
async function pinnedRevisions(client: ObjectClient, namespace: string, appSet: ApplicationSet): Promise<Map<string, string[]>> {
  const applications = await client.list<Application & KubeObject>(API_VERSION, 'Application', namespace);
  return new Map(applications.filter((a) => isOwnedBy(a, appSet)).map((a) => [a.metadata.name, specRevisions(a)]));
}

/**
 * What RolloutBudgets count across the fleet: from the cluster with --kubeconfig (budgets, cluster
 * Secrets, the namespace's Applications and ApplicationSets), else from the -f inputs.
 */
async function budgetWorld(manifests: Manifest[], appSets: Manifest[], namespace: string, client: ObjectClient | undefined, io: CliIO): Promise<BudgetWorld> {
  const of = <T>(kind: string) => manifests.filter((m) => m.object.kind === kind).map((m) => m.object as unknown as T);
  if (!client) {
    // As for generation: a cluster Secret outside Argo CD's namespace registers no cluster, so no budget selects it.
    const secrets = of<Secret>('Secret').filter((secret) => (secret.metadata?.namespace ?? namespace) === namespace);
    return {
      budgets: of<RolloutBudget>('RolloutBudget'),
      clusters: await new ClusterRegistry(() => secrets).list(),
      applications: of<Application>('Application'),
      appSets: appSets.map((m) => m.object as unknown as ApplicationSet),
    };
  }
  const budgets = await client.list<RolloutBudget & KubeObject>(ROLLOUT_BUDGET_API_VERSION, 'RolloutBudget').catch((error: Error) => {
    io.stderr.write(`regatta rollout plan: RolloutBudgets not read: ${error.message}\n`);
    return [];
  });
  const secrets = await client.list<Secret>('v1', 'Secret', namespace, `${SECRET_TYPE_LABEL}=cluster`);
  return {
    budgets,
    clusters: await new ClusterRegistry(() => secrets).list(),
    applications: await client.list<Application & KubeObject>(API_VERSION, 'Application', namespace),
    appSets: await client.list<ApplicationSet & KubeObject>(API_VERSION, 'ApplicationSet', namespace),
  };
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
