import { API_VERSION, type Application } from '../../src/api/application.js';
import type { ApplicationSet } from '../../src/api/application-set.js';
import type { AppProject } from '../../src/api/app-project.js';
import type { KubeObject } from '../../src/api/meta.js';
import { ROLLOUT_BUDGET_API_VERSION, type RolloutBudget } from '../../src/api/rollout-budget.js';
import type { BudgetReservationStore } from '../../src/appset/budget-reservations.js';
import { ApplicationSetReconciler, type ReconcileOutcome, type ReconcilerStore } from '../../src/appset/reconciler.js';
import { createDefaultRegistry } from '../../src/generators/default-registry.js';
import type { RegisteredCluster } from '../../src/generators/generator.js';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import type { SimFleet } from '../../src/sim/sim-fleet.js';
import { offlineContext } from './generation.js';

export interface CachedViewReplicaOptions {
  /** The clusters its Cluster generators and destinations see. */
  clusters: RegisteredCluster[];
  budgetReservations?: BudgetReservationStore;
  /** Its own clock (replicas' clocks differ, and a rollout stamps its promotions with it). */
  clock?: () => Date;
}

/**
 * A replica reconciling one ApplicationSet in argocd: its caches are what it read at `observe()`,
 * and stay so until it observes again (an informer that has not yet seen another replica's
 * writes); it writes to the management cluster with its own identity.
 */
export class CachedViewReplica {
  private readonly client: ObjectClient;
  private cache = {
    appSets: [] as ApplicationSet[],
    applications: [] as Application[],
    budgets: [] as RolloutBudget[],
    project: undefined as AppProject | undefined,
  };
  readonly reconciler: ApplicationSetReconciler;

  constructor(
    fleet: SimFleet,
    readonly identity: string,
    private readonly appSet: string,
    options: CachedViewReplicaOptions,
  ) {
    this.client = new ObjectClient(kubeConfigFromString(fleet.kubeconfig(undefined, { identity })));
    const patchStatus = async (set: ApplicationSet, status: Record<string, unknown>, resourceVersion?: string) => {
      await this.client.patchStatus(API_VERSION, 'applicationsets', set.metadata.namespace ?? '', set.metadata.name, status, resourceVersion);
    };
    const store: ReconcilerStore = {
      getApplicationSet: (namespace, name) => this.cache.appSets.find((a) => a.metadata.namespace === namespace && a.metadata.name === name),
      listApplications: (namespace, owner) =>
        this.cache.applications.filter((a) => a.metadata.namespace === namespace && a.metadata.ownerReferences?.some((r) => r.name === owner)),
      apply: (application) => this.client.apply(application),
      patchApplication: async (namespace, name, patch) => {
        await this.client.mergePatch({ apiVersion: API_VERSION, kind: 'Application', ...patch, metadata: { ...(patch.metadata as object), name, namespace } });
      },
      deleteApplication: (application) => this.client.delete(application),
      patchApplicationSetStatus: (set, status) => patchStatus(set, status),
      patchApplicationSetStatusAt: (set, status) => patchStatus(set, status, set.metadata.resourceVersion),
      patchApplicationSetStatusEntries: async (set, operations) => {
        await this.client.jsonPatchStatus(API_VERSION, 'applicationsets', set.metadata.namespace ?? '', set.metadata.name, operations);
      },
      patchApplicationSet: async (set, patch) => {
        await this.client.mergePatch({
          apiVersion: API_VERSION,
          kind: 'ApplicationSet',
          ...patch,
          metadata: { ...(patch.metadata as object), name: set.metadata.name, namespace: set.metadata.namespace },
        });
      },
      getAppProject: (name) => (name === 'default' ? this.cache.project : undefined),
      argocdConfigMap: async () => undefined,
      listRolloutBudgets: () => this.cache.budgets,
      listAllApplications: () => this.cache.applications,
      listApplicationSets: () => this.cache.appSets,
    };
    const context = offlineContext({ clusters: { list: async () => options.clusters } });
    const reconcilerOptions = {
      argocdNamespace: 'argocd',
      policy: 'sync' as const,
      allowPolicyOverride: true,
      errorRequeueSeconds: 180,
      enableProgressiveSyncs: true,
      budgetReservations: options.budgetReservations,
    };
    this.reconciler = new ApplicationSetReconciler(store, { record: () => undefined }, createDefaultRegistry(), context, reconcilerOptions, options.clock);
  }

  async observe(): Promise<void> {
    const [appSets, applications, budgets, project] = await Promise.all([
      this.client.list<ApplicationSet & KubeObject>(API_VERSION, 'ApplicationSet', 'argocd'),
      this.client.list<Application & KubeObject>(API_VERSION, 'Application', 'argocd'),
      this.client.list<RolloutBudget & KubeObject>(ROLLOUT_BUDGET_API_VERSION, 'RolloutBudget'),
      this.client.get<AppProject & KubeObject>(API_VERSION, 'AppProject', 'argocd', 'default'),
    ]);
    this.cache = { appSets, applications, budgets, project };
  }

  reconcile(): Promise<ReconcileOutcome> {
    return this.reconciler.reconcile('argocd', this.appSet);
  }
}
