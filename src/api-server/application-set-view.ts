import { API_VERSION, type Application } from '../api/application.js';
import type {
  ApplicationSet,
  ApplicationSetCondition,
  ApplicationSetRolloutStep,
  RolloutBudgetWait,
  RolloutStatus,
  RolloutUnreachable,
  RolloutWindowWait,
} from '../api/application-set.js';
import type { KubeObject } from '../api/meta.js';
import { isOwnedBy } from '../appset/plan.js';
import type { ObjectClient } from '../kube/object-client.js';
import { BUDGET_HOLD_PREFIX, WINDOW_HOLD_PREFIX } from '../rollout/planner.js';
import { ROLLOUT_CONTROL_ANNOTATION } from '../api/annotations.js';
import { groupIntoSteps, isRollingSync } from '../rollout/steps.js';
import { pinsRevisions, specRevisions } from '../rollout/revision-pins.js';

/** The states of Argo CD's applicationStatus, in the order a rollout moves through them. */
export const ROLLOUT_STATES = ['Waiting', 'Pending', 'Progressing', 'Healthy'] as const;

export interface ApplicationView {
  name: string;
  /** The destination cluster: its name, else its server URL. */
  cluster: string;
  labels: Record<string, string>;
  sync: string;
  health: string;
  revision?: string;
  /** The Application's entry in status.applicationStatus, when a rollout tracks it. */
  rollout?: { status: string; step: string; message: string };
}

export interface RolloutStepView {
  /** 1-based, as status.applicationStatus numbers steps. */
  step: number;
  /** The step's selector as people say it: `env In staging`. */
  selector: string;
  maxUpdate?: number | string;
  /**
   * `held`: a sync window of the Application's project holds its sync; `budgetHeld`: a RolloutBudget
   * of its cluster holds its release. `pinned` (pinRevisions): the commits its Git sources are
   * pinned to; `release`: the commits its step releases.
   */
  applications: {
    name: string;
    cluster: string;
    status: string;
    message: string;
    held: boolean;
    budgetHeld: boolean;
    pinned?: string[];
    release?: string[];
  }[];
  counts: Record<(typeof ROLLOUT_STATES)[number], number>;
  /** Why Applications of this step wait for sync windows: `1 Application waiting for sync window "freeze" (opens 02:00 UTC)`. */
  waiting: string[];
  /** Why Applications of this step wait for RolloutBudgets: `3 Applications waiting for RolloutBudget "eu" (2/2 syncs in flight)`. */
  budgetWaiting: string[];
}

export interface RolloutView {
  phase: RolloutStatus['phase'] | 'NotStarted';
  step: number;
  message: string;
  failed: NonNullable<RolloutStatus['failed']>;
  /** The Applications sync windows hold, by step and window (status.rollout.waiting). */
  waiting: RolloutWindowWait[];
  /** The Applications RolloutBudgets hold, by step and budget (status.rollout.budgetWaiting). */
  budgetWaiting: RolloutBudgetWait[];
  /** RolloutBudgets that may cover this ApplicationSet's clusters but are invalid, and so not applied. */
  invalidBudgets: string[];
  /** Applications whose cluster does not answer and that their step waits for (status.rollout.unreachable). */
  unreachable?: RolloutUnreachable[];
  /** Applications a step with `unreachable: skip` went on without, until caught up (status.rollout.skipped). */
  skipped?: RolloutUnreachable[];
  /** The control annotation (`pause`, `abort`) when set. */
  control?: string;
  /** Regatta: strategy.rollingSync.pinRevisions is on. */
  pinRevisions?: boolean;
  steps: RolloutStepView[];
}

export interface ApplicationSetSummary {
  name: string;
  namespace: string;
  conditions: ApplicationSetCondition[];
  applicationCount: number;
  /** RollingSync ApplicationSets only. */
  rollout?: { phase: RolloutView['phase']; step: number; message: string };
}

export interface ApplicationSetDetail extends ApplicationSetSummary {
  applications: ApplicationView[];
  /** status.applicationStatus, as the controller wrote it. */
  applicationStatus: NonNullable<NonNullable<ApplicationSet['status']>['applicationStatus']>;
  rollout?: RolloutView;
}

/** ApplicationSets as the API and the dashboard show them, read from the management cluster. */
export class ApplicationSetView {
  constructor(
    private readonly client: ObjectClient,
    /** Cluster names by server URL, for people to read; asked once per read. */
    private readonly clusterNames: () => ReadonlyMap<string, string>,
  ) {}

  async list(namespace: string): Promise<ApplicationSetSummary[]> {
    const [appSets, applications] = await Promise.all([this.appSets(namespace), this.applications(namespace)]);
    return appSets.map((appSet) => summary(appSet, applications.filter((a) => isOwnedBy(a, appSet)).length));
  }

  async get(namespace: string, name: string): Promise<ApplicationSetDetail | undefined> {
    const [appSet, applications] = await Promise.all([
      this.client.get<ApplicationSet & KubeObject>(API_VERSION, 'ApplicationSet', namespace, name),
      this.applications(namespace),
    ]);
    return appSet
      ? detail(
          appSet,
          applications.filter((a) => isOwnedBy(a, appSet)),
          this.clusterNames(),
        )
      : undefined;
  }

  private appSets(namespace: string): Promise<ApplicationSet[]> {
    return this.client.list<ApplicationSet & KubeObject>(API_VERSION, 'ApplicationSet', namespace);
  }

  private applications(namespace: string): Promise<Application[]> {
    return this.client.list<Application & KubeObject>(API_VERSION, 'Application', namespace);
  }
}

function summary(appSet: ApplicationSet, applicationCount: number): ApplicationSetSummary {
  const rollout = appSet.status?.rollout;
  return {
    name: appSet.metadata.name,
    namespace: appSet.metadata.namespace ?? '',
    conditions: appSet.status?.conditions ?? [],
    applicationCount,
    ...(isRollingSync(appSet) ? { rollout: { phase: rollout?.phase ?? 'NotStarted', step: rollout?.step ?? 0, message: rollout?.message ?? '' } } : {}),
  };
}

type Status = { sync?: { status?: string; revision?: string }; health?: { status?: string } };

function detail(appSet: ApplicationSet, owned: Application[], clusterNames: ReadonlyMap<string, string>): ApplicationSetDetail {
  const entries = new Map((appSet.status?.applicationStatus ?? []).map((e) => [e.application, e]));
  const applications = owned.map((application): ApplicationView => {
    const status = (application.status ?? {}) as Status;
    const entry = entries.get(application.metadata.name);
    return {
      name: application.metadata.name,
      cluster:
        application.spec.destination?.name || clusterNames.get(application.spec.destination?.server ?? '') || (application.spec.destination?.server ?? ''),
      labels: application.metadata.labels ?? {},
      sync: status.sync?.status ?? 'Unknown',
      health: status.health?.status ?? 'Unknown',
      ...(status.sync?.revision ? { revision: status.sync.revision } : {}),
      ...(entry ? { rollout: { status: entry.status, step: entry.step, message: entry.message } } : {}),
    };
  });
  const { rollout: _summaryRollout, ...base } = summary(appSet, owned.length);
  return {
    ...base,
    applications,
    applicationStatus: appSet.status?.applicationStatus ?? [],
    ...(isRollingSync(appSet) ? { rollout: rolloutView(appSet, owned, applications) } : {}),
  };
}

/** Each step with its Applications (grouped as the controller groups them) and how many are in each state. */
function rolloutView(appSet: ApplicationSet, owned: Application[], applications: ApplicationView[]): RolloutView {
  const byName = new Map(applications.map((a) => [a.name, a]));
  const pinning = pinsRevisions(appSet);
  const ownedByName = new Map(owned.map((a) => [a.metadata.name, a]));
  const entries = new Map((appSet.status?.applicationStatus ?? []).map((e) => [e.application, e]));
  const specs = appSet.spec.strategy?.rollingSync?.steps ?? [];
  const { steps } = groupIntoSteps(appSet, owned);
  const rollout = appSet.status?.rollout;
  const control = appSet.metadata.annotations?.[ROLLOUT_CONTROL_ANNOTATION];
  return {
    phase: rollout?.phase ?? 'NotStarted',
    step: rollout?.step ?? 0,
    message: rollout?.message ?? '',
    failed: rollout?.failed ?? [],
    waiting: rollout?.waiting ?? [],
    budgetWaiting: rollout?.budgetWaiting ?? [],
    invalidBudgets: rollout?.invalidBudgets ?? [],
    ...(rollout?.unreachable ? { unreachable: rollout.unreachable } : {}),
    ...(rollout?.skipped ? { skipped: rollout.skipped } : {}),
    ...(control ? { control } : {}),
    ...(pinning ? { pinRevisions: true } : {}),
    steps: steps.map((names, index) => {
      const members = names.map((name) => {
        const view = byName.get(name);
        const message = view?.rollout?.message ?? '';
        const member: RolloutStepView['applications'][number] = {
          name,
          cluster: view?.cluster ?? '',
          status: view?.rollout?.status ?? 'Waiting',
          message,
          held: message.startsWith(WINDOW_HOLD_PREFIX),
          budgetHeld: message.startsWith(BUDGET_HOLD_PREFIX),
        };
        const application = ownedByName.get(name);
        if (pinning && application) Object.assign(member, { pinned: specRevisions(application), release: entries.get(name)?.targetRevisions ?? [] });
        return member;
      });
      const counts = Object.fromEntries(ROLLOUT_STATES.map((state) => [state, members.filter((m) => m.status === state).length])) as RolloutStepView['counts'];
      const ofStep = (waits: { step: number; message: string }[]) =>
        waits.filter((w) => w.step === index + 1).map((w) => w.message.slice(`step ${w.step}: `.length));
      return {
        step: index + 1,
        selector: describeSelector(specs[index]),
        ...(specs[index]?.maxUpdate !== undefined ? { maxUpdate: specs[index].maxUpdate } : {}),
        applications: members,
        counts,
        waiting: ofStep(rollout?.waiting ?? []),
        budgetWaiting: ofStep(rollout?.budgetWaiting ?? []),
      };
    }),
  };
}

/** A step's expressions as people say them: `env In staging & region NotIn ap`. */
export function describeSelector(step: ApplicationSetRolloutStep | undefined): string {
  return (step?.matchExpressions ?? []).map((e) => `${e.key} ${e.operator} ${(e.values ?? []).join(',')}`).join(' & ');
}
