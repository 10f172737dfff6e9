import type { Application, ApplicationSource } from '../api/application.js';
import type { KubeObject } from '../api/meta.js';
import type { GitRepositoryCache } from '../git/repository-cache.js';
import { ObjectClient } from '../kube/object-client.js';
import { FencedError } from '../sharding/cluster-fence.js';
import type { KubeConfig } from '../kube/kube-config.js';
import { resourceHealth, worstHealth, type Health } from './health.js';
import { renderSource, type Manifest, type RenderedSource } from './manifests.js';
import type { Comparison, ResourceKey, ResourceStatus, SyncDriver, SyncOutcome, SyncRequest } from './sync-driver.js';

/** Argo CD's default resource tracking: this label carries the Application's name. */
export const TRACKING_LABEL = 'app.kubernetes.io/instance';
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';
const FIELD_MANAGER = 'regatta-sync';

const CLUSTER_SCOPED = new Set([
  'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PersistentVolume', 'StorageClass', 'PriorityClass',
  'APIService', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'IngressClass',
]);

/** gitops-engine's apply order within a wave: dependencies (namespaces, config, RBAC) before workloads. */
const KIND_ORDER = [
  'Namespace', 'NetworkPolicy', 'ResourceQuota', 'LimitRange', 'PodSecurityPolicy', 'PodDisruptionBudget', 'ServiceAccount', 'Secret',
  'SecretList', 'ConfigMap', 'StorageClass', 'PersistentVolume', 'PersistentVolumeClaim', 'CustomResourceDefinition', 'ClusterRole',
  'ClusterRoleList', 'ClusterRoleBinding', 'ClusterRoleBindingList', 'Role', 'RoleList', 'RoleBinding', 'RoleBindingList', 'Service',
  'DaemonSet', 'Pod', 'ReplicationController', 'ReplicaSet', 'Deployment', 'HorizontalPodAutoscaler', 'StatefulSet', 'Job', 'CronJob',
  'IngressClass', 'Ingress', 'APIService',
];

export interface DirectDriverOptions {
  repositories: GitRepositoryCache;
  /** A client for the cluster an Application's destination names; throws when no such cluster is registered. */
  clusterFor(application: Application): KubeConfig;
  /** How long a sync waits for one wave to turn Healthy before the next (default 60 s). */
  waveTimeoutMs?: number;
  /** Pause between health polls of a wave (default 250 ms). */
  pollMs?: number;
  /** Runs each write to an Application's destination cluster (sharding's fencing check); default: just runs it. */
  guard?: (application: Application, write: () => Promise<unknown>) => Promise<unknown>;
}

const RENDER_CACHE_SIZE = 1000;
/** Refreshes and syncs reuse a repository's refs for this long: thousands of Applications share a handful of sources. */
const REFS_MAX_AGE_MS = 1000;

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');
const keyOf = (o: Manifest): ResourceKey => ({ group: groupOf(o.apiVersion), version: String(o.apiVersion).split('/').pop()!, kind: o.kind, namespace: o.metadata?.namespace ?? '', name: o.metadata?.name ?? '' });
const id = (k: ResourceKey) => `${k.group}/${k.kind}/${k.namespace}/${k.name}`;
const waveOf = (o: Manifest) => Number.parseInt(o.metadata?.annotations?.[SYNC_WAVE_ANNOTATION] ?? '0', 10) || 0;
const kindRank = (kind: string) => (KIND_ORDER.includes(kind) ? KIND_ORDER.indexOf(kind) : KIND_ORDER.length);

/** Every field the manifest sets has the same value live (what the server adds is ignored). */
function contains(live: unknown, desired: unknown): boolean {
  if (Array.isArray(desired)) return Array.isArray(live) && live.length === desired.length && desired.every((d, i) => contains(live[i], d));
  if (desired && typeof desired === 'object') {
    if (!live || typeof live !== 'object') return false;
    return Object.entries(desired).every(([k, v]) => contains((live as Record<string, unknown>)[k], v));
  }
  return live === desired || (desired === null && live === undefined);
}

/**
 * The `direct` driver: Regatta is the application controller. It renders the source itself, applies
 * it to the destination cluster with server-side apply and Argo CD's tracking label, syncs waves in
 * order, prunes what left Git, and assesses health as Argo CD's built-in checks do.
 */
export class DirectSyncDriver implements SyncDriver {
  private readonly rendered = new Map<string, Promise<RenderedSource>>();
  private readonly clients = new WeakMap<KubeConfig, ObjectClient>();

  constructor(private readonly options: DirectDriverOptions) {}

  async revision(source: ApplicationSource, project: string): Promise<string> {
    return this.options.repositories.resolveRevision(source.repoURL, source.targetRevision ?? 'HEAD', REFS_MAX_AGE_MS, project);
  }

  /**
   * A commit's manifests never change: rendered once per (source, commit), shared by every
   * Application of the fleet whose project could resolve that commit with its own credentials.
   */
  private async render(source: ApplicationSource, revision: string, project: string): Promise<RenderedSource> {
    const sha = await this.options.repositories.resolveRevision(source.repoURL, revision, REFS_MAX_AGE_MS, project);
    const key = JSON.stringify([source.repoURL, sha, source.path, source.directory]);
    let result = this.rendered.get(key);
    if (!result) {
      result = renderSource(this.options.repositories, source, sha, project);
      this.rendered.set(key, result);
      result.catch(() => this.rendered.delete(key));
      if (this.rendered.size > RENDER_CACHE_SIZE) this.rendered.delete(this.rendered.keys().next().value!);
    }
    return result;
  }

  /** One client per cluster connection: connections and discovery are reused across its Applications. */
  private clientFor(application: Application): ObjectClient {
    const config = this.options.clusterFor(application);
    let client = this.clients.get(config);
    if (!client) {
      client = new ObjectClient(config);
      this.clients.set(config, client);
    }
    return client;
  }

  private async desired(application: Application, revision?: string): Promise<{ revision: string; sourceType: string; manifests: Manifest[] }> {
    const source = application.spec.source;
    if (!source) throw new Error('spec.source: only single-source Applications are synced by the direct driver');
    const rendered = await this.render(source, revision ?? source.targetRevision ?? 'HEAD', application.spec.project ?? '');
    const namespace = application.spec.destination.namespace;
    const manifests = rendered.manifests.map((m) => {
      const object = structuredClone(m);
      object.metadata = { ...object.metadata, labels: { ...object.metadata?.labels, [TRACKING_LABEL]: application.metadata.name } };
      if (!CLUSTER_SCOPED.has(object.kind) && !object.metadata.namespace && namespace) object.metadata.namespace = namespace;
      return object;
    });
    return { revision: rendered.revision, sourceType: rendered.sourceType, manifests };
  }

  private async live(client: ObjectClient, key: ResourceKey): Promise<Manifest | undefined> {
    return client.get<KubeObject>(key.group ? `${key.group}/${key.version}` : key.version, key.kind, key.namespace || undefined, key.name) as Promise<Manifest | undefined>;
  }

  async refresh(application: Application): Promise<Comparison> {
    const { revision, sourceType, manifests } = await this.desired(application);
    const client = this.clientFor(application);
    const resources: ResourceStatus[] = [];
    const healths: Health[] = [];
    const wanted = new Set<string>();
    for (const manifest of manifests) {
      const key = keyOf(manifest);
      wanted.add(id(key));
      const live = await this.live(client, key);
      // As Argo CD: a missing object is Missing whatever its kind; live kinds without a check have no health.
      const health: Health | undefined = live ? resourceHealth(live) : { status: 'Missing' };
      if (health) healths.push(health);
      resources.push({ ...key, status: live && contains(live, manifest) ? 'Synced' : 'OutOfSync', ...(health ? { health } : {}) });
    }
    // What the last refresh tracked and Git no longer has must be pruned: the Application is OutOfSync until it is.
    const previous = ((application.status as { resources?: ResourceKey[] } | undefined)?.resources ?? []).filter((r) => !wanted.has(id(r)));
    for (const key of previous) {
      const live = await this.live(client, key);
      if (live?.metadata?.labels?.[TRACKING_LABEL] === application.metadata.name) resources.push({ ...key, status: 'OutOfSync', requiresPruning: true });
    }
    resources.sort((a, b) => id(a).localeCompare(id(b)));
    return { revision, sourceType, sync: resources.every((r) => r.status === 'Synced') ? 'Synced' : 'OutOfSync', health: worstHealth(healths), resources };
  }

  async sync(application: Application, request: SyncRequest): Promise<SyncOutcome> {
    const { revision, manifests } = await this.desired(application, request.revision);
    const client = this.clientFor(application);
    const results: SyncOutcome['resources'] = [];
    if (application.spec.syncPolicy?.syncOptions?.includes('CreateNamespace=true') && application.spec.destination.namespace) {
      const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: application.spec.destination.namespace } } as KubeObject;
      await this.write(application, () => client.apply(namespace, FIELD_MANAGER));
    }
    const waves = [...new Set(manifests.map(waveOf))].sort((a, b) => a - b);
    for (const [index, wave] of waves.entries()) {
      const batch = manifests.filter((m) => waveOf(m) === wave).sort((a, b) => kindRank(a.kind) - kindRank(b.kind) || String(a.metadata.name).localeCompare(b.metadata.name));
      for (const manifest of batch) {
        try {
          await this.write(application, () => client.apply(manifest as KubeObject, FIELD_MANAGER));
          results.push({ ...keyOf(manifest), status: 'Synced', message: `${manifest.kind.toLowerCase()}/${manifest.metadata.name} serverside-applied` });
        } catch (error) {
          // Not this replica's cluster any more: the sync did not fail, it belongs to the new owner.
          if (error instanceof FencedError) throw error;
          results.push({ ...keyOf(manifest), status: 'SyncFailed', message: (error as Error).message });
          return { revision, phase: 'Failed', message: `one or more objects failed to apply, reason: ${(error as Error).message}`, resources: results };
        }
      }
      if (index < waves.length - 1) {
        const problem = await this.waitHealthy(client, batch);
        if (problem) return { revision, phase: 'Failed', message: problem, resources: results };
      }
    }
    if (request.prune) {
      const wanted = new Set(manifests.map((m) => id(keyOf(m))));
      for (const key of ((application.status as { resources?: ResourceKey[] } | undefined)?.resources ?? []).filter((r) => !wanted.has(id(r)))) {
        const live = await this.live(client, key);
        if (live?.metadata?.labels?.[TRACKING_LABEL] !== application.metadata.name) continue;
        await this.write(application, () => client.delete(live as KubeObject));
        results.push({ ...key, status: 'Pruned', message: 'pruned' });
      }
    }
    return { revision, phase: 'Succeeded', message: 'successfully synced (all tasks run)', resources: results };
  }

  private async write(application: Application, write: () => Promise<unknown>): Promise<void> {
    await (this.options.guard ? this.options.guard(application, write) : write());
  }

  /** Argo CD moves to the next wave only when the previous one is Healthy. */
  private async waitHealthy(client: ObjectClient, batch: Manifest[]): Promise<string | undefined> {
    const deadline = Date.now() + (this.options.waveTimeoutMs ?? 60_000);
    for (;;) {
      const healths = await Promise.all(batch.map(async (m) => [m, resourceHealth((await this.live(client, keyOf(m))) ?? {})] as const));
      const degraded = healths.find(([, h]) => h?.status === 'Degraded');
      if (degraded) return `${degraded[0].kind}/${degraded[0].metadata.name} is Degraded: ${degraded[1]?.message ?? ''}`.trim();
      const waiting = healths.find(([, h]) => h && h.status !== 'Healthy');
      if (!waiting) return undefined;
      if (Date.now() > deadline) return `timed out waiting for ${waiting[0].kind}/${waiting[0].metadata.name} to become Healthy`;
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 250));
    }
  }
}
