import type { Application, ApplicationSource, Health, ResourceKey, ResourceStatus } from '../api/application.js';
import type { KubeObject } from '../api/meta.js';
import type { GitRepositoryCache } from '../git/repository-cache.js';
import { describeKubeError } from '../kube/api-errors.js';
import { ObjectClient } from '../kube/object-client.js';
import type { TargetObject } from '../projects/application-validation.js';
import { FencedError } from '../sharding/cluster-fence.js';
import type { KubeConfig } from '../kube/kube-config.js';
import { createdFor, createdNamespaceManifest } from './created-namespace.js';
import { resourceHealth, worstHealth } from './health.js';
import { renderSource, type Manifest, type RenderedSource } from './manifests.js';
import type { ProjectGuard, SyncStop } from './project-guard.js';
import { ComparisonFailure, type Comparison, type SyncDriver, type SyncOutcome, type SyncRequest } from './sync-driver.js';
import { TRACKING_LABEL, SYNC_WAVE_ANNOTATION } from '../api/annotations.js';
import type { WorkloadWatches } from './workload-watches.js';

const FIELD_MANAGER = 'regatta-sync';

/** gitops-engine's apply order within a wave: dependencies (namespaces, config, RBAC) before workloads. */
const KIND_ORDER = [
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
];

export interface DirectDriverOptions {
  repositories: GitRepositoryCache;
  /** A client for the cluster an Application's destination names, acting as `impersonate` when given; throws when no such cluster is registered. */
  clusterFor(application: Application, impersonate?: string): KubeConfig;
  /** The AppProject rules: checked before every batch of writes; live objects they do not permit are never compared or pruned. */
  projects: ProjectGuard;
  /** How long a sync waits for one wave to turn Healthy before the next (default 60 s). */
  waveTimeoutMs?: number;
  /** Pause between health polls of a wave (default 250 ms). */
  pollMs?: number;
  /** Runs each write to an Application's destination cluster (sharding's fencing check); default: just runs it. */
  guard?: <T>(application: Application, write: () => Promise<T>) => Promise<T>;
  /** The live watch of the destination clusters: refreshes and waves read objects from its cache instead of the API server. */
  watches?: WorkloadWatches;
}

const RENDER_CACHE_SIZE = 1000;
/** Refreshes and syncs reuse a repository's refs for this long: thousands of Applications share a handful of sources. */
const REFS_MAX_AGE_MS = 1000;

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');
const keyOf = (o: Manifest): ResourceKey => ({
  group: groupOf(o.apiVersion),
  version: String(o.apiVersion).split('/').pop()!,
  kind: o.kind,
  namespace: o.metadata?.namespace ?? '',
  name: o.metadata?.name ?? '',
});
const apiVersionOf = (k: ResourceKey) => (k.group ? `${k.group}/${k.version}` : k.version);
const id = (k: ResourceKey) => `${k.group}/${k.kind}/${k.namespace}/${k.name}`;

/** A manifest ready to write: its namespace set as its kind's scope requires, and what project rules check of it. */
interface Target extends TargetObject {
  manifest: Manifest;
  key: ResourceKey;
}

/** Kinds the sync itself defines (CustomResourceDefinitions in the manifests), scoped as their definitions say. */
function definedKinds(manifests: Manifest[]): Map<string, boolean> {
  const kinds = new Map<string, boolean>();
  for (const m of manifests) {
    if (m.kind === 'CustomResourceDefinition' && m.spec?.group && m.spec?.names?.kind)
      kinds.set(`${m.spec.group}/${m.spec.names.kind}`, m.spec.scope !== 'Cluster');
  }
  return kinds;
}
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
  private clientFor(application: Application, impersonate?: string): ObjectClient {
    const config = this.options.clusterFor(application, impersonate);
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
    // The rendered manifests are shared by every Application of the commit and never written to: only the metadata each
    // Application changes is copied, not the whole object for every refresh and sync.
    const manifests = rendered.manifests.map((m) => ({
      ...m,
      metadata: { ...m.metadata, labels: { ...m.metadata?.labels, [TRACKING_LABEL]: application.metadata.name } },
    }));
    return { revision: rendered.revision, sourceType: rendered.sourceType, manifests };
  }

  /**
   * Each manifest scoped as the destination cluster's discovery says (or, for kinds a
   * CustomResourceDefinition of the same sync defines, as that definition says): namespaced
   * objects without a namespace go to the destination namespace, cluster-scoped ones have none.
   */
  private async targets(client: ObjectClient, application: Application, manifests: Manifest[]): Promise<Target[]> {
    const defined = definedKinds(manifests);
    const destination = application.spec.destination.namespace ?? '';
    const targets: Target[] = [];
    // Each kind asked once, one at a time: the first lookup of an API version fills the client's discovery cache for the
    // rest, and a kind the cluster does not serve (which client-node looks up again every time) costs one request, not one per object.
    const scopes = new Map<string, boolean | undefined>();
    for (const original of manifests) {
      const group = groupOf(original.apiVersion);
      const kind = `${original.apiVersion}/${original.kind}`;
      if (!scopes.has(kind)) scopes.set(kind, (await client.namespaced(original.apiVersion, original.kind)) ?? defined.get(`${group}/${original.kind}`));
      const namespaced = scopes.get(kind);
      const manifest = { ...original, metadata: { ...original.metadata } };
      if (namespaced === false) delete manifest.metadata.namespace;
      else if (namespaced && !manifest.metadata.namespace && destination) manifest.metadata.namespace = destination;
      const key = keyOf(manifest);
      targets.push({ group, kind: key.kind, name: key.name, namespace: namespaced === false ? '' : key.namespace, namespaced, manifest, key });
    }
    return targets;
  }

  /** A tracked resource as project rules see it: `undefined` scope when the cluster no longer serves its kind. */
  private async trackedObject(client: ObjectClient, key: ResourceKey): Promise<TargetObject> {
    const namespaced = await client.namespaced(apiVersionOf(key), key.kind);
    return { group: key.group, kind: key.kind, name: key.name, namespace: namespaced ? key.namespace : '', namespaced };
  }

  /** Which objects the project lets the Application compare and prune; a kind the cluster does not serve has no objects to touch. */
  private permitted(application: Application): (object: TargetObject) => boolean {
    const permits = this.options.projects.permitted(application);
    return (object) => object.namespaced !== undefined && permits(object);
  }

  private async live(client: ObjectClient, key: ResourceKey): Promise<Manifest | undefined> {
    return client.get<KubeObject>(apiVersionOf(key), key.kind, key.namespace || undefined, key.name) as Promise<Manifest | undefined>;
  }

  /** The object as the watch's cache holds it, unless the cache has not seen `written` yet (the generation it was applied as): then as the API server has it. */
  private async observedSince(application: Application, client: ObjectClient, written: Manifest): Promise<Manifest | undefined> {
    const cached = this.options.watches?.live(application, keyOf(written)) as Manifest | undefined;
    const behind = cached && Number(cached.metadata?.generation ?? 0) < Number(written.metadata?.generation ?? 0);
    return cached && !behind ? cached : this.live(client, keyOf(written));
  }

  /** The object as the watch's cache holds it; the API server is asked only when the cache cannot tell. */
  private async observed(application: Application, client: ObjectClient, key: ResourceKey): Promise<Manifest | undefined> {
    return (this.options.watches?.live(application, key) as Manifest | undefined) ?? this.live(client, key);
  }

  async refresh(application: Application): Promise<Comparison> {
    const { revision, sourceType, manifests } = await this.desired(application);
    const client = this.clientFor(application);
    const targets = await this.targets(client, application, manifests);
    const notLoaded = this.options.projects.loadProblem(application, targets);
    if (notLoaded) throw new ComparisonFailure(notLoaded, revision);
    const resources: ResourceStatus[] = [];
    const healths: Health[] = [];
    const wanted = new Set<string>();
    const permits = this.permitted(application);
    for (const { manifest, key, ...object } of targets) {
      wanted.add(id(key));
      // As Argo CD: a live object the project does not permit is not the Application's; it counts as missing.
      const live = permits(object) ? await this.observed(application, client, key) : undefined;
      // As Argo CD: a missing object is Missing whatever its kind; live kinds without a check have no health.
      const health: Health | undefined = live ? resourceHealth(live) : { status: 'Missing' };
      if (health) healths.push(health);
      resources.push({ ...key, status: live && contains(live, manifest) ? 'Synced' : 'OutOfSync', ...(health ? { health } : {}) });
    }
    // What the last refresh tracked and Git no longer has must be pruned: the Application is OutOfSync until it is.
    const hidden: ResourceStatus[] = [];
    for (const entry of this.tracked(application, wanted)) {
      const object = await this.trackedObject(client, entry);
      // A kind the cluster no longer serves has no objects left to prune.
      if (object.namespaced === undefined) continue;
      // As Argo CD, an object the project does not permit is not the Application's: not compared, not pruned. Regatta
      // still keeps it as last seen, so that it is pruned once the project permits it again.
      if (!permits(object)) hidden.push(entry);
      else if ((await this.observed(application, client, entry))?.metadata?.labels?.[TRACKING_LABEL] === application.metadata.name) {
        resources.push({
          group: entry.group,
          version: entry.version,
          kind: entry.kind,
          namespace: entry.namespace,
          name: entry.name,
          status: 'OutOfSync',
          requiresPruning: true,
        });
      }
    }
    const sync = resources.every((r) => r.status === 'Synced') ? 'Synced' : 'OutOfSync';
    resources.push(...hidden);
    resources.sort((a, b) => id(a).localeCompare(id(b)));
    return { revision, sourceType, sync, health: worstHealth(healths), resources };
  }

  /** Resources the Application's status tracks that Git no longer has. */
  private tracked(application: Application, wanted: Set<string>): ResourceStatus[] {
    return (application.status?.resources ?? []).filter((r) => !wanted.has(id(r)));
  }

  /** The live object, when it carries this Application's tracking label and the project lets the Application delete it. */
  private async prunable(
    client: ObjectClient,
    application: Application,
    key: ResourceKey,
    permits: (object: TargetObject) => boolean,
  ): Promise<Manifest | undefined> {
    if (!permits(await this.trackedObject(client, key))) return undefined;
    const live = await this.live(client, key);
    return live?.metadata?.labels?.[TRACKING_LABEL] === application.metadata.name ? live : undefined;
  }

  /** The Namespace CreateNamespace=true adds to a sync when the destination namespace does not exist (and the manifests do not hold it). */
  private async namespaceToCreate(client: ObjectClient, application: Application, targets: Target[]): Promise<Target | undefined> {
    const namespace = application.spec.destination.namespace;
    if (!application.spec.syncPolicy?.syncOptions?.includes('CreateNamespace=true') || !namespace) return undefined;
    if (targets.some((t) => t.group === '' && t.kind === 'Namespace' && t.name === namespace)) return undefined;
    const manifest = createdNamespaceManifest(application, namespace) as Manifest;
    const key = keyOf(manifest);
    if (await this.live(client, key)) return undefined;
    return { group: '', kind: 'Namespace', name: namespace, namespace: '', namespaced: false, manifest, key };
  }

  async sync(application: Application, request: SyncRequest): Promise<SyncOutcome> {
    const { revision, manifests } = await this.desired(application, request.revision);
    const client = this.clientFor(application, request.impersonate);
    const results: SyncOutcome['resources'] = [];
    const targets = await this.targets(client, application, manifests);
    const createNamespace = await this.namespaceToCreate(client, application, targets);
    // As gitops-engine before each step: the project as it is now must permit every object of the sync, or nothing more is written.
    const refusal = (): SyncOutcome | undefined => {
      const stop = this.options.projects.stop(application, createNamespace ? [createNamespace, ...targets] : targets);
      return stop && this.stoppedOutcome(revision, stop, results);
    };
    const before = refusal();
    if (before) return before;
    if (createNamespace) await this.write(application, () => client.apply(createNamespace.manifest as KubeObject, FIELD_MANAGER));
    const waves = [...new Set(targets.map((t) => waveOf(t.manifest)))].sort((a, b) => a - b);
    for (const [index, wave] of waves.entries()) {
      const stop = index > 0 ? refusal() : undefined;
      if (stop) return stop;
      const batch = targets
        .map((t) => t.manifest)
        .filter((m) => waveOf(m) === wave)
        .sort((a, b) => kindRank(a.kind) - kindRank(b.kind) || String(a.metadata.name).localeCompare(b.metadata.name));
      // What the API server answered for each object of the wave: its health is judged from that first.
      const applied: (Manifest | undefined)[] = [];
      for (const manifest of batch) {
        try {
          if (request.applyOutOfSyncOnly) {
            const live = await this.live(client, keyOf(manifest));
            if (contains(live, manifest)) {
              applied.push(live);
              results.push({ ...keyOf(manifest), status: 'Synced', message: `${manifest.kind.toLowerCase()}/${manifest.metadata.name} already in sync` });
              continue;
            }
          }
          applied.push((await this.write(application, () => client.apply(manifest as KubeObject, FIELD_MANAGER))) as Manifest);
          results.push({ ...keyOf(manifest), status: 'Synced', message: `${manifest.kind.toLowerCase()}/${manifest.metadata.name} serverside-applied` });
        } catch (error) {
          // Not this replica's cluster any more: the sync did not fail, it belongs to the new owner.
          if (error instanceof FencedError) throw error;
          // The API server's own words (its Status message), never the raw response with its headers.
          const reason = describeKubeError(error);
          results.push({ ...keyOf(manifest), status: 'SyncFailed', message: reason });
          return { revision, phase: 'Failed', message: `one or more objects failed to apply, reason: ${reason}`, resources: results };
        }
      }
      if (index < waves.length - 1) {
        const problem = await this.waitHealthy(application, client, batch, applied);
        if (problem) return { revision, phase: 'Failed', message: problem, resources: results };
      }
    }
    if (request.prune) {
      const stop = refusal();
      if (stop) return stop;
      const permits = this.permitted(application);
      for (const key of this.tracked(application, new Set(targets.map((t) => id(t.key))))) {
        const live = await this.prunable(client, application, key, permits);
        if (!live) continue;
        await this.write(application, () => client.delete(live as KubeObject), live as KubeObject);
        results.push({ ...key, status: 'Pruned', message: 'pruned' });
      }
    }
    return { revision, phase: 'Succeeded', message: 'successfully synced (all tasks run)', resources: results };
  }

  /**
   * The cascade of an Application's deletion: every resource it tracks that still carries its
   * tracking label (and that its project lets it delete), then the destination Namespace when
   * Regatta created it for this Application. Returns what was deleted.
   */
  async deleteResources(application: Application, impersonate?: string): Promise<ResourceKey[]> {
    const client = this.clientFor(application, impersonate);
    const permits = this.permitted(application);
    const deleted: ResourceKey[] = [];
    for (const key of this.tracked(application, new Set())) {
      const live = await this.prunable(client, application, key, permits);
      if (!live) continue;
      await this.write(application, () => client.delete(live as KubeObject), live as KubeObject);
      deleted.push(key);
    }
    const namespace = application.spec.destination.namespace;
    const live = namespace ? await client.get<KubeObject>('v1', 'Namespace', undefined, namespace) : undefined;
    if (live && createdFor(live, application)) {
      await this.write(application, () => client.delete(live), live);
      deleted.push(keyOf(live as Manifest));
    }
    return deleted;
  }

  private stoppedOutcome(revision: string, stop: SyncStop<Target>, results: SyncOutcome['resources']): SyncOutcome {
    const refused = stop.refusals.map(({ object, message }) => ({ ...object.key, status: 'SyncFailed' as const, message }));
    return { revision, phase: stop.phase, message: stop.message, resources: [...results, ...refused] };
  }

  /** A write to the Application's cluster; the watch is told what was written (`deleting`: the object a deletion removes). */
  private async write<T>(application: Application, write: () => Promise<T>, deleting?: KubeObject): Promise<T> {
    const result = await (this.options.guard ? this.options.guard(application, write) : write());
    const written = deleting ?? (result as KubeObject | undefined);
    if (written?.metadata) this.options.watches?.wrote(application, written, deleting !== undefined);
    return result;
  }

  /**
   * Argo CD moves to the next wave only when the previous one is Healthy. The objects as the
   * applies returned them are judged first: a wave of objects healthy on creation (config,
   * Services) goes on without reading them back. Then, where the cluster is watched, each look
   * reads the cache and waits for the watch's next event for the Application (the poll interval
   * at most); elsewhere the cluster is polled.
   */
  private async waitHealthy(application: Application, client: ObjectClient, batch: Manifest[], applied: (Manifest | undefined)[]): Promise<string | undefined> {
    const deadline = Date.now() + (this.options.waveTimeoutMs ?? 60_000);
    const watches = this.options.watches;
    for (let first = true; ; first = false) {
      const healths = await Promise.all(
        batch.map(
          async (m, i) =>
            [m, resourceHealth((first ? applied[i] : undefined) ?? (await this.observedSince(application, client, applied[i] ?? m)) ?? {})] as const,
        ),
      );
      const degraded = healths.find(([, h]) => h?.status === 'Degraded');
      if (degraded) return `${degraded[0].kind}/${degraded[0].metadata.name} is Degraded: ${degraded[1]?.message ?? ''}`.trim();
      const waiting = healths.find(([, h]) => h && h.status !== 'Healthy');
      if (!waiting) return undefined;
      if (Date.now() > deadline) return `timed out waiting for ${waiting[0].kind}/${waiting[0].metadata.name} to become Healthy`;
      // What the applies answered is as old as the writes: the cluster is read at once before polling starts.
      if (first) continue;
      const pollMs = this.options.pollMs ?? 250;
      if (watches?.covers(application)) await watches.nextChange(application, pollMs);
      else await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}
