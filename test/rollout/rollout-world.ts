import type { Application } from '../../src/api/application.js';
import type { ApplicationSet, ApplicationSetRolloutStep } from '../../src/api/application-set.js';
import type { WindowWait } from '../../src/projects/sync-windows.js';
import type { RolloutBudgets } from '../../src/rollout/budget-usage.js';
import { planRollout, type RolloutPlan } from '../../src/rollout/planner.js';
import { SYNC_WINDOW_BLOCKED_MESSAGE } from '../../src/sync/sync-window-gate.js';

/** The commit (or, for a multi-source Application, the commits) a sync or comparison was at. */
type SyncedAt = { revision?: string; revisions?: string[] };
const same = (a: SyncedAt | undefined, b: SyncedAt) => JSON.stringify(a?.revisions ?? a?.revision) === JSON.stringify(b.revisions ?? b.revision);

/**
 * A small fleet for planner tests: generated Applications, their live copies, and an application
 * controller that runs sync operations and turns synced Applications Healthy a tick later (or
 * Degraded, for the ones told to fail). Each `reconcile` writes what the plan says, as the
 * reconciler does.
 */
export class RolloutWorld {
  appSet: ApplicationSet;
  live = new Map<string, Application>();
  /** Target revision Git would resolve now. */
  revision = 'r1';
  /** Set for Applications with a second source (a values repository): the commit it resolves to, and they carry `revisions`. */
  valuesRevision?: string;
  clock = Date.parse('2026-01-01T00:00:00Z');
  failing = new Set<string>();
  /** Applications whose controller never picks up a sync (e.g. stuck). */
  stuck = new Set<string>();
  syncLog: { application: string; revision: string; at: number }[] = [];
  plans: RolloutPlan[] = [];
  /** The Applications a sync window holds at a moment: the planner is told, and the application controller does not sync them. */
  windowWaits: (now: Date) => Map<string, WindowWait> = () => new Map();
  /** The RolloutBudgets the planner is told of, computed from the world as it stands. */
  budgets: (world: RolloutWorld) => RolloutBudgets | undefined = () => undefined;

  constructor(
    private readonly generated: Application[],
    steps: ApplicationSetRolloutStep[],
    extra: Partial<ApplicationSet['spec']> = {},
  ) {
    this.appSet = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'ApplicationSet',
      metadata: { name: 'guestbook', namespace: 'argocd', annotations: {} },
      spec: { generators: [], template: { metadata: {}, spec: {} } as never, strategy: { type: 'RollingSync', rollingSync: { steps } }, ...extra },
      status: {},
    };
  }

  static app(name: string, labels: Record<string, string>, automated = true): Application {
    return {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name, namespace: 'argocd', labels },
      spec: {
        project: 'default',
        source: { repoURL: 'https://git.example/repo.git', path: 'guestbook', targetRevision: 'HEAD' },
        destination: { server: `https://${name}.example`, namespace: 'guestbook' },
        ...(automated ? { syncPolicy: { automated: { prune: true } } } : {}),
      },
    };
  }

  /** What Git resolves the Application's sources to now, as Argo CD records it: `revisions` with a second source. */
  private target(): SyncedAt {
    return this.valuesRevision ? { revisions: [this.revision, this.valuesRevision] } : { revision: this.revision };
  }

  get now(): Date {
    return new Date(this.clock);
  }

  tick(seconds = 1): void {
    this.clock += seconds * 1000;
  }

  reconcile(): RolloutPlan {
    const plan = planRollout({
      // Frozen, as the informer's copy is shared: a plan that edits the status it read in place fails here.
      appSet: { ...this.appSet, status: deepFrozen(structuredClone(this.appSet.status)) },
      desired: this.generated,
      current: [...this.live.values()],
      now: this.now,
      windowWaits: this.windowWaits(this.now),
      budgets: this.budgets(this),
    });
    this.appSet.status = { ...this.appSet.status, applicationStatus: plan.applicationStatus, rollout: plan.rollout };
    for (const desired of plan.desired) {
      const current = this.live.get(desired.metadata.name);
      const status = current?.status ?? { sync: { status: 'OutOfSync', ...this.target() }, health: { status: 'Healthy' } };
      this.live.set(desired.metadata.name, {
        ...structuredClone(desired),
        status,
        ...(desired.operation ? { operation: desired.operation } : current?.operation ? { operation: current.operation } : {}),
      });
    }
    this.plans.push(plan);
    return plan;
  }

  /** Argo CD's application controller, one pass: refresh against Git, run pending operations, settle health. */
  appController(): void {
    for (const [name, app] of this.live) {
      const status = structuredClone(app.status ?? {}) as Record<string, any>;
      const wanted = this.target();
      status.sync = { status: same(status.operationState?.syncResult, wanted) ? 'Synced' : 'OutOfSync', ...wanted };
      if (status.health?.status === 'Progressing' && !app.operation) status.health = { status: this.failing.has(name) ? 'Degraded' : 'Healthy' };
      if (app.operation && this.windowWaits(this.now).has(name)) {
        // As Argo CD: the operation starts, Running, and says a sync window blocks it.
        if (status.operationState?.message !== SYNC_WINDOW_BLOCKED_MESSAGE)
          status.operationState = { phase: 'Running', message: SYNC_WINDOW_BLOCKED_MESSAGE, startedAt: this.now.toISOString() };
      } else if (app.operation && !this.stuck.has(name)) {
        const sync = (app.operation as { sync?: SyncedAt }).sync;
        const synced: SyncedAt = sync?.revisions ? { revisions: sync.revisions } : sync?.revision ? { revision: sync.revision } : wanted;
        status.operationState = { phase: 'Succeeded', startedAt: this.now.toISOString(), finishedAt: this.now.toISOString(), syncResult: synced };
        status.sync = { status: same(synced, wanted) ? 'Synced' : 'OutOfSync', ...wanted };
        status.health = { status: 'Progressing' };
        this.syncLog.push({ application: name, revision: String(synced.revisions ?? synced.revision), at: this.clock });
        delete app.operation;
      }
      status.reconciledAt = this.now.toISOString();
      app.status = status;
    }
  }

  statusOf(name: string): string | undefined {
    return this.appSet.status?.applicationStatus?.find((e) => e.application === name)?.status;
  }

  /** Reconcile, tick, run the app controller, tick: until the plan stops changing or `limit` rounds pass. */
  run(limit = 50, until?: () => boolean): void {
    for (let i = 0; i < limit; i++) {
      this.reconcile();
      this.tick();
      this.appController();
      this.tick();
      if (until?.()) return;
    }
  }
}

/** Live copies of the generated Applications, deployed and Healthy at revision r1 (as before RollingSync was turned on). */
export function deployed(world: RolloutWorld, apps: Application[]): void {
  for (const app of apps) {
    world.live.set(app.metadata.name, {
      ...structuredClone(app),
      status: {
        sync: { status: 'Synced', revision: 'r1' },
        health: { status: 'Healthy' },
        operationState: { phase: 'Succeeded', startedAt: '2025-12-31T00:00:00Z', syncResult: { revision: 'r1' } },
        reconciledAt: '2025-12-31T00:00:00Z',
      },
    });
  }
}

function deepFrozen<T>(value: T): T {
  if (value && typeof value === 'object') for (const child of Object.values(value)) deepFrozen(child);
  return Object.freeze(value);
}
