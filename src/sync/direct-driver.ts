import { setTimeout as sleep } from 'node:timers/promises';
import type { Application, ApplicationSource, Health, ResourceKey, ResourceStatus, SyncPhase } from '../api/application.js';
import type { KubeObject } from '../api/meta.js';
import type { GitRepositoryCache } from '../git/repository-cache.js';
import type { ChartRepositories } from '../helm/index.js';
import { isConflict, isNotFound, transportFailure } from '../kube/api-errors.js';
import { withRequestTimeout } from '../kube/request-fence.js';
import { ownEntry } from '../lib/json-values.js';
import { destinationOf, unreachableClusterMessage } from '../api/cluster-reachability.js';
import { ObjectClient } from '../kube/object-client.js';
import type { TargetObject } from '../projects/application-validation.js';
import type { KubeConfig } from '../kube/kube-config.js';
import { createdFor, createdNamespaceManifest } from './created-namespace.js';
import { resourceHealth, worstHealth } from './health.js';
import {
  isHelmSource,
  isRenderedSource,
  renderRepositoryChart,
  renderSource,
  type HelmRelease,
  type Manifest,
  type ReferenceTargets,
  type RenderedSource,
} from './manifests.js';
import { hasMultipleSources, sourcesOf, type Revisions } from './application-sources.js';
import type { ProjectGuard, SyncStop } from './project-guard.js';
import { ComparisonFailure, DeletionAwaitingApproval, type Comparison, type SyncDriver, type SyncOutcome, type SyncRequest } from './sync-driver.js';
import { HOOK_FINALIZER, TRACKING_LABEL } from '../api/annotations.js';
import { withIgnoredDifferences } from './resource-ignore-differences.js';
import { withStringDataInData } from '../api/secret-string-data.js';
import { deletePolicies, hookName, isHook, syncPhasesOf, waveOf, withHookFinalizer } from './resource-hooks.js';
import { SyncExecution, type ExecutableTask, type SyncCluster } from './sync-execution.js';
import { SyncOptions } from './sync-options.js';
import { isDeletionConfirmed, requiresDeletionConfirmation, requiresPruneConfirmation } from './deletion-confirmation.js';
import type { WorkloadWatches } from './workload-watches.js';

const FIELD_MANAGER = 'regatta-sync';

export interface DirectDriverOptions {
  repositories: GitRepositoryCache;
  /** Helm repositories and OCI registries, for sources that name a `chart`. */
  charts?: ChartRepositories;
  /** A client for the cluster an Application's destination names, acting as `impersonate` when given; throws when no such cluster is registered. */
  clusterFor(application: Application, impersonate?: string): KubeConfig;
  /** The AppProject rules: checked before every batch of writes; live objects they do not permit are never compared or pruned. */
  projects: ProjectGuard;
  /** How long a sync waits for one wave to turn Healthy before the next (default 60 s). */
  waveTimeoutMs?: number;
  /** Pause between health polls of a wave (default 250 ms). */
  pollMs?: number;
  /** How long a refresh waits for the destination cluster to answer one request before it counts as unreachable (default 10 s). */
  clusterTimeoutMs?: number;
  /**
   * How long a sync waits for the destination cluster to answer one request (default 60 s): a
   * cluster that stops answering fails the sync, as one that refuses connections does, instead of
   * holding its worker for as long as the connection stays open.
   */
  syncRequestTimeoutMs?: number;
  /** Runs each write to an Application's destination cluster (sharding's fencing check); default: just runs it. */
  guard?: <T>(application: Application, write: () => Promise<T>) => Promise<T>;
  /** The live watch of the destination clusters: refreshes and waves read objects from its cache instead of the API server. */
  watches?: WorkloadWatches;
}

const RENDER_CACHE_SIZE = 1000;
/** Tries at removing a hook's finalizer that another write raced (409 Conflict). */
const RELEASE_ATTEMPTS = 5;
const CLUSTER_TIMEOUT_MS = 10_000;
const SYNC_REQUEST_TIMEOUT_MS = 60_000;
/** A cluster that answered this recently is not asked again for a refresh the watch serves. */
const CONTACT_REUSE_MS = 1000;

/** host:port of the destination's server for transport errors, else the cluster's name. */
function hostOf(application: Application): string {
  try {
    return new URL(application.spec.destination.server ?? '').host;
  } catch {
    return application.spec.destination.name ?? '';
  }
}

/**
 * Argo CD's unreachable-cluster message when `error` (or its cause: a source's render failure keeps
 * the cluster's own error there) is the connection failing rather than the cluster answering.
 */
function unreachableMessage(application: Application, error: unknown): string | undefined {
  const host = hostOf(application);
  const failure = transportFailure(error, host) ?? transportFailure((error as Error | undefined)?.cause, host);
  return failure && unreachableClusterMessage(destinationOf(application), failure);
}

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

/** What Git holds for an Application: its manifests (tracking label set) and the commits they were rendered at. */
interface Desired extends Revisions {
  sourceType: string;
  sourceTypes?: string[];
  manifests: Manifest[];
}

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
/** A hook with only generateName, named for this sync and phase. */
function namedHook(manifest: Manifest, revision: string, phase: SyncPhase, startedAt: Date): Manifest {
  if (manifest.metadata?.name) return manifest;
  const { generateName: _generateName, ...metadata } = manifest.metadata ?? {};
  return { ...manifest, metadata: { ...metadata, name: hookName(manifest, revision, phase, startedAt) } };
}

/** What a commit gives, computed once per key: the oldest is forgotten past RENDER_CACHE_SIZE, a failure at once (it may be passing). */
function remembered<T>(cache: Map<string, Promise<T>>, key: string, compute: () => Promise<T>): Promise<T> {
  let result = cache.get(key);
  if (!result) {
    result = compute();
    cache.set(key, result);
    result.catch(() => cache.delete(key));
    if (cache.size > RENDER_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  }
  return result;
}

/** Every field the manifest sets has the same value live (what the server adds is ignored). */
function contains(live: unknown, desired: unknown): boolean {
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return false;
    for (let i = 0; i < desired.length; i++) if (!contains(live[i], desired[i])) return false;
    return true;
  }
  if (desired && typeof desired === 'object') {
    if (!live || typeof live !== 'object') return false;
    // Key by key without listing the entries: every refresh compares each object it tracks.
    for (const key in desired) if (Object.hasOwn(desired, key) && !contains(ownEntry(live, key), (desired as Record<string, unknown>)[key])) return false;
    return true;
  }
  return live === desired || (desired === null && live === undefined);
}

/**
 * The live object matches the desired one under the Application's ignoreDifferences. A Secret's
 * stringData is compared as the data the API server turns it into, as gitops-engine normalizes it.
 */
function inSync(application: Application, desired: KubeObject, live: KubeObject): boolean {
  return contains(live, withIgnoredDifferences(application, withStringDataInData(desired), live));
}

/**
 * The `direct` driver: Regatta is the application controller. It renders the source itself, applies
 * it to the destination cluster with server-side apply and Argo CD's tracking label, syncs waves in
 * order, prunes what left Git, and assesses health as Argo CD's built-in checks do.
 */
export class DirectSyncDriver implements SyncDriver {
  private readonly rendered = new Map<string, Promise<RenderedSource>>();
  private readonly helmSources = new Map<string, Promise<boolean>>();
  private readonly clients = new WeakMap<KubeConfig, ObjectClient>();
  private readonly contacts = new Map<string, { at: number; answered: Promise<unknown> }>();

  constructor(private readonly options: DirectDriverOptions) {}

  async revision(source: ApplicationSource, project: string): Promise<string> {
    return this.resolve(source, source.targetRevision ?? 'HEAD', project);
  }

  /** What a revision names now: a Git source's commit, or a chart source's version (the highest a constraint allows). */
  private async resolve(source: ApplicationSource, revision: string, project: string): Promise<string> {
    if (source.chart) return this.chartsFor(source).resolveVersion(source.repoURL, source.chart, revision, project);
    return this.options.repositories.resolveRevision(source.repoURL, revision, REFS_MAX_AGE_MS, project);
  }

  private chartsFor(source: ApplicationSource): ChartRepositories {
    if (!this.options.charts) throw new Error(`chart ${source.chart}: this controller reads no Helm repositories`);
    return this.options.charts;
  }

  /**
   * A commit's manifests never change: rendered once per (source, commit), shared by every
   * Application of the fleet whose project could resolve that commit with its own credentials.
   */
  private async render(
    source: ApplicationSource,
    revision: string,
    project: string,
    application: Application,
    refs?: ReferenceTargets,
  ): Promise<RenderedSource> {
    const sha = await this.resolve(source, revision, project);
    // A chart renders differently per release (name, namespace); anything else is the same for every Application.
    const perRelease = source.chart ? true : await this.rendersPerRelease(source, sha, project);
    // helm template sees the destination as Argo CD's controller passes it: its version and group versions.
    const release: HelmRelease = { applicationName: application.metadata.name, namespace: application.spec.destination.namespace ?? '' };
    if (perRelease) Object.assign(release, await this.clientFor(application).capabilities());
    // A chart's `$ref` value files are read at the referenced sources' commits: those are part of what it renders from.
    const references = perRelease && refs ? [...refs] : null;
    // A chart version is pulled with the project's own access, so its render is not shared across projects.
    const chart = source.chart;
    const reader = chart ? project : null;
    const key = JSON.stringify([source.repoURL, sha, source.path, source.directory, source.helm, chart, perRelease ? release : null, references, reader]);
    if (chart)
      return remembered(this.rendered, key, () =>
        renderRepositoryChart(this.chartsFor(source), this.options.repositories, { ...source, chart }, sha, project, release, refs),
      );
    return remembered(this.rendered, key, () => renderSource(this.options.repositories, source, sha, project, release, refs));
  }

  private rendersPerRelease(source: ApplicationSource, sha: string, project: string): Promise<boolean> {
    const key = JSON.stringify([source.repoURL, sha, source.path, Boolean(source.helm), Boolean(source.chart), Boolean(source.kustomize)]);
    return remembered(this.helmSources, key, () => isHelmSource(this.options.repositories, source, sha, project));
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

  private async desired(application: Application, revision?: string, revisions?: string[]): Promise<Desired> {
    if (hasMultipleSources(application)) return this.desiredOfSources(application, revisions);
    const source = application.spec.source;
    if (!source) throw new Error('spec.source: the Application has neither spec.source nor spec.sources');
    let rendered: RenderedSource;
    try {
      rendered = await this.render(source, revision ?? source.targetRevision ?? 'HEAD', application.spec.project ?? '', application);
    } catch (error) {
      // A chart's errors come from the repository or registry, named only by the source: say which field.
      if (source.chart) throw new Error(`spec.source: ${(error as Error).message}`, { cause: error });
      throw error;
    }
    return { revision: rendered.revision, sourceType: rendered.sourceType, manifests: this.tracking(application, rendered.manifests) };
  }

  /**
   * As Argo CD for spec.sources: every source resolved to its commit (`revisions`, a rollback's
   * when given), each one with a path or chart rendered there, its `$ref` value files read from
   * the sources it names at theirs, and the manifests concatenated in the sources' order.
   */
  private async desiredOfSources(application: Application, revisions?: string[]): Promise<Desired> {
    const sources = sourcesOf(application);
    const project = application.spec.project ?? '';
    const shas = await Promise.all(
      sources.map((source, i) =>
        this.resolve(source, revisions?.[i] ?? source.targetRevision ?? 'HEAD', project).catch((error: Error) => {
          throw source.chart ? new Error(`spec.sources[${i}]: ${error.message}`, { cause: error }) : error;
        }),
      ),
    );
    const refs = new Map(
      sources.flatMap((source, i) => (source.ref ? [[`$${source.ref}`, { repoURL: source.repoURL, revision: shas[i], chart: source.chart }] as const] : [])),
    );
    const manifests: Manifest[] = [];
    const sourceTypes: string[] = [];
    for (const [i, source] of sources.entries()) {
      if (!isRenderedSource(source)) {
        sourceTypes.push('');
        continue;
      }
      let rendered: RenderedSource;
      try {
        rendered = await this.render(source, shas[i], project, application, refs);
      } catch (error) {
        throw new Error(`spec.sources[${i}]: ${(error as Error).message}`, { cause: error });
      }
      sourceTypes.push(rendered.sourceType);
      manifests.push(...rendered.manifests);
    }
    return { revision: '', revisions: shas, sourceType: sourceTypes.find(Boolean) ?? '', sourceTypes, manifests: this.tracking(application, manifests) };
  }

  private tracking(application: Application, rendered: Manifest[]): Manifest[] {
    // The rendered manifests are shared by every Application of the commit and never written to: only the metadata each
    // Application changes is copied, not the whole object for every refresh and sync.
    return rendered.map((m) => ({
      ...m,
      metadata: { ...m.metadata, labels: { ...m.metadata?.labels, [TRACKING_LABEL]: application.metadata.name } },
    }));
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

  /** The object as the watch's cache holds it; the API server is asked only when the cache cannot tell. */
  private async observed(application: Application, client: ObjectClient, key: ResourceKey): Promise<Manifest | undefined> {
    return (this.options.watches?.live(application, key) as Manifest | undefined) ?? this.live(client, key);
  }

  /**
   * Compares Git with the cluster. A cluster that does not answer (refused, reset, or silent past
   * `clusterTimeoutMs`) fails the comparison with Argo CD's live-state error saying so, and the
   * revision Git is at: the Application shows what it would run once its cluster answers again.
   */
  /** One request to the destination cluster, shared by the refreshes of its Applications for CONTACT_REUSE_MS. */
  private contact(application: Application, client: ObjectClient): Promise<unknown> {
    const key = destinationOf(application);
    const recent = this.contacts.get(key);
    if (recent && Date.now() - recent.at < CONTACT_REUSE_MS) return recent.answered;
    const answered = client.version();
    this.contacts.set(key, { at: Date.now(), answered });
    answered.catch(() => this.contacts.delete(key));
    return answered;
  }

  async refresh(application: Application): Promise<Comparison> {
    const timeoutMs = this.options.clusterTimeoutMs ?? CLUSTER_TIMEOUT_MS;
    let desired: Desired | undefined;
    try {
      // A chart renders with the destination's version and API groups: reading them is a request to the cluster as well.
      const rendered = (desired = await withRequestTimeout(timeoutMs, () => this.desired(application)));
      return await withRequestTimeout(timeoutMs, () => this.compareLive(application, rendered));
    } catch (error) {
      const unreachable = unreachableMessage(application, error);
      if (!unreachable) throw error;
      const at = desired ?? (await this.sourceRevisions(application));
      throw new ComparisonFailure(unreachable, at.revision, at.revisions);
    }
  }

  /** The commits the Application's sources are at, without rendering them (for a comparison the cluster cut short). */
  private async sourceRevisions(application: Application): Promise<Revisions> {
    const project = application.spec.project ?? '';
    const shas = await Promise.all(sourcesOf(application).map((source) => this.revision(source, project)));
    return hasMultipleSources(application) ? { revision: '', revisions: shas } : { revision: shas[0] ?? '' };
  }

  private async compareLive(application: Application, { manifests, ...desired }: Desired): Promise<Comparison> {
    const revision = desired.revision;
    const client = this.clientFor(application);
    // A watch whose cluster went silent keeps serving its last state: the cluster must still answer.
    if (this.options.watches?.covers(application)) await this.contact(application, client);
    const targets = await this.targets(client, application, manifests);
    const notLoaded = this.options.projects.loadProblem(application, targets);
    if (notLoaded) throw new ComparisonFailure(notLoaded, revision, desired.revisions);
    const resources: ResourceStatus[] = [];
    const healths: Health[] = [];
    const wanted = new Set<string>();
    const permits = this.permitted(application);
    for (const { manifest, key, ...object } of targets) {
      // Hooks run with syncs: they are neither compared nor pruned.
      if (isHook(manifest)) continue;
      wanted.add(id(key));
      // As Argo CD: a live object the project does not permit is not the Application's; it counts as missing.
      const live = permits(object) ? await this.observed(application, client, key) : undefined;
      // As Argo CD: a missing object is Missing whatever its kind; live kinds without a check have no health.
      const health: Health | undefined = live ? resourceHealth(live) : { status: 'Missing' };
      if (health) healths.push(health);
      const synced = live !== undefined && inSync(application, manifest, live);
      resources.push({ ...key, status: synced ? 'Synced' : 'OutOfSync', ...(health ? { health } : {}) });
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
    return { ...desired, sync, health: worstHealth(healths), resources };
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
    try {
      return await withRequestTimeout(this.options.syncRequestTimeoutMs ?? SYNC_REQUEST_TIMEOUT_MS, () => this.syncNow(application, request));
    } catch (error) {
      // A read the sync could not do without (its writes record their own failures): worded as a refresh's, without the request.
      const unreachable = unreachableMessage(application, error);
      if (!unreachable) throw error;
      throw new Error(unreachable, { cause: error });
    }
  }

  private async syncNow(application: Application, request: SyncRequest): Promise<SyncOutcome> {
    const desired = await this.desired(application, request.revision, request.revisions);
    const { manifests } = desired;
    const at: Revisions = { revision: desired.revision, ...(desired.revisions ? { revisions: desired.revisions } : {}) };
    // A generateName hook is named for the commit synced: a multi-source Application's first source's.
    const revision = desired.revisions?.[0] ?? desired.revision;
    const client = this.clientFor(application, request.impersonate);
    const optionList = [...(application.spec.syncPolicy?.syncOptions ?? []), ...(request.syncOptions ?? [])];
    const options = new SyncOptions(optionList);
    const startedAt = request.startedAt ?? new Date();
    // Each object once per phase it runs in (none when skipped), a hook with only generateName named for this sync, and with the hook finalizer.
    const planned = manifests.flatMap((m) => {
      const phases = syncPhasesOf(m);
      if (!isHook(m)) return [{ manifest: m, phase: phases[0], hook: false }];
      return phases.map((phase) => ({ manifest: withHookFinalizer(namedHook(m, revision, phase, startedAt)), phase, hook: true }));
    });
    const targets = await this.targets(
      client,
      application,
      planned.map((p) => p.manifest),
    );
    const createNamespace = await this.namespaceToCreate(client, application, targets);
    // As gitops-engine before each step: the project as it is now must permit every object of the sync, or nothing more is written.
    const refused = () => {
      const stop = this.options.projects.stop(application, createNamespace ? [createNamespace, ...targets] : targets);
      return stop && this.stoppedOutcome(at, stop, []);
    };
    const before = refused();
    if (before) return before;
    const permits = this.permitted(application);
    if (options.has('FailOnSharedResource=true')) {
      const shared = await this.sharedResource(
        client,
        application,
        targets.filter((t, i) => !planned[i].hook && permits(t)),
      );
      if (shared) return { ...at, phase: 'Failed', message: `Shared resource found: ${shared}`, resources: [] };
    }
    if (createNamespace) await this.write(application, () => client.apply(createNamespace.manifest as KubeObject, FIELD_MANAGER));

    const tasks: ExecutableTask[] = [];
    for (const [i, target] of targets.entries()) {
      const { phase, hook } = planned[i];
      if (!phase) continue;
      const manifest = target.manifest;
      // A hook left by an earlier sync is deleted before it is created again (BeforeHookCreation).
      const live = hook && permits(target) ? await this.live(client, target.key) : undefined;
      tasks.push({
        phase,
        wave: waveOf(manifest),
        kind: target.kind,
        name: target.name,
        prune: false,
        key: target.key,
        hook,
        target: manifest,
        live,
        deletePolicies: hook ? deletePolicies(manifest) : [],
      });
    }
    // As Argo CD, a sync not asked to prune still reports what it leaves: PruneSkipped, "ignored (requires pruning)".
    for (const key of this.tracked(application, new Set(targets.map((t) => id(t.key))))) {
      const live = await this.prunable(client, application, key, permits);
      if (!live) continue;
      const pruneLast = options.enabledFor(live, 'PruneLast');
      tasks.push({
        phase: 'Sync',
        wave: waveOf(live),
        kind: key.kind,
        name: key.name,
        prune: true,
        pruneLast,
        pruneDisabled: !request.prune,
        pruneNeedsApproval: requiresPruneConfirmation(live, optionList),
        key,
        live,
        hook: false,
        deletePolicies: [],
      });
    }
    const watches = this.options.watches;
    const cluster: SyncCluster = {
      apply: (task) => this.applyTask(client, application, options, task),
      unchanged: async (task) => {
        if (!request.applyOutOfSyncOnly) return undefined;
        const live = await this.live(client, task.key);
        return live && inSync(application, task.target!, live) ? live : undefined;
      },
      prune: (live) => this.write(application, () => client.delete(live as KubeObject, options.propagationPolicy()), live as KubeObject),
      deleteHook: (live) => this.write(application, () => client.delete(live as KubeObject, options.propagationPolicy()), live as KubeObject),
      releaseHook: (live) => this.releaseHook(client, application, live),
      pruneApproved: request.pruneApproved ?? (async () => isDeletionConfirmed(application, startedAt)),
      waiting: request.waiting ?? (async () => undefined),
      read: (key) => this.observed(application, client, key),
      waitForChange: (ms) => (watches?.covers(application) ? watches.nextChange(application, ms) : sleep(ms)),
      refused: () => refused(),
    };
    const execution = new SyncExecution(cluster, { stepTimeoutMs: this.options.waveTimeoutMs ?? 60_000, pollMs: this.options.pollMs ?? 250 });
    return { ...at, ...(await execution.run(tasks)) };
  }

  /**
   * Writes one object as its sync options say: Replace=true replaces (creates when missing; a
   * Namespace or CustomResourceDefinition is updated instead, never recreated), otherwise a
   * server-side apply, forced unless ServerSideApply=true asks for Kubernetes' own conflict
   * checks (then forced only with Force=true). RespectIgnoreDifferences=true keeps the live
   * values of the fields spec.ignoreDifferences names. The API server validates each write
   * strictly, as kubectl's --validate does for Argo CD, unless Validate=false says not to.
   */
  private async applyTask(client: ObjectClient, application: Application, options: SyncOptions, task: ExecutableTask) {
    let manifest = task.target!;
    const respect = !task.hook && options.has('RespectIgnoreDifferences=true');
    const replace = options.enabledFor(manifest, 'Replace');
    const live = respect || replace ? await this.live(client, task.key) : undefined;
    if (respect) manifest = withIgnoredDifferences(application, manifest, live);
    const name = `${manifest.kind.toLowerCase()}/${manifest.metadata.name}`;
    const validation = options.fieldValidation(manifest);
    if (replace && !live)
      return { object: (await this.write(application, () => client.create(manifest as KubeObject, validation))) as Manifest, message: `${name} created` };
    if (replace && (manifest.kind === 'Namespace' || manifest.kind === 'CustomResourceDefinition')) {
      const update = { ...manifest, metadata: { ...manifest.metadata, resourceVersion: live!.metadata.resourceVersion } };
      return {
        object: (await this.write(application, () => client.replace(update as KubeObject, validation))) as Manifest,
        message: `${manifest.kind}/${manifest.metadata.name} updated`,
      };
    }
    if (replace)
      return { object: (await this.write(application, () => client.replace(manifest as KubeObject, validation))) as Manifest, message: `${name} replaced` };
    const force = !options.enabledFor(manifest, 'ServerSideApply') || options.enabledFor(manifest, 'Force');
    const object = (await this.write(application, () => client.apply(manifest as KubeObject, FIELD_MANAGER, force, validation))) as Manifest;
    return { object, message: `${name} serverside-applied` };
  }

  /**
   * Removes the hook finalizer from a live hook, guarded by its resourceVersion: on a conflict (the
   * watch's copy was stale, or the hook changed) it is read again and tried again, as gitops-engine does.
   */
  private async releaseHook(client: ObjectClient, application: Application, live: Manifest): Promise<Manifest | undefined> {
    let current: Manifest | undefined = live;
    for (let tries = 1; current?.metadata?.finalizers?.includes(HOOK_FINALIZER); tries++) {
      const { name, namespace, resourceVersion, finalizers } = current.metadata;
      const released = {
        apiVersion: current.apiVersion,
        kind: current.kind,
        metadata: { name, namespace, resourceVersion, finalizers: (finalizers as string[]).filter((f) => f !== HOOK_FINALIZER) },
      };
      try {
        const after = (await this.write(application, () => client.mergePatch(released as KubeObject))) as Manifest;
        // A hook being deleted goes once its last finalizer does.
        if (after.metadata?.deletionTimestamp && !after.metadata.finalizers?.length) {
          this.options.watches?.wrote(application, after as KubeObject, true);
          return undefined;
        }
        return after;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        if (!isConflict(error) || tries >= RELEASE_ATTEMPTS) throw error;
        current = await this.live(client, keyOf(current));
      }
    }
    return current;
  }

  /** FailOnSharedResource=true: the first live object another Application's tracking label claims, as Argo CD words it. */
  private async sharedResource(client: ObjectClient, application: Application, targets: Target[]): Promise<string | undefined> {
    for (const target of targets) {
      const owner = (await this.live(client, target.key))?.metadata?.labels?.[TRACKING_LABEL];
      if (owner && owner !== application.metadata.name) {
        const qualified = application.metadata.namespace ? `${application.metadata.namespace}/${application.metadata.name}` : application.metadata.name;
        return `${target.kind}/${target.name} is part of applications ${qualified} and ${owner}`;
      }
    }
    return undefined;
  }

  /**
   * The cascade of an Application's deletion: every resource it tracks that still carries its
   * tracking label (and that its project lets it delete), then the destination Namespace when
   * Regatta created it for this Application. Returns what was deleted. As Argo CD, nothing is
   * deleted while one of them needs approval (Delete=confirm or Prune=confirm) that the
   * Application has not given since it was deleted.
   */
  async deleteResources(application: Application, impersonate?: string): Promise<ResourceKey[]> {
    const client = this.clientFor(application, impersonate);
    const permits = this.permitted(application);
    const deletedAt = application.metadata.deletionTimestamp;
    const approved = deletedAt !== undefined && isDeletionConfirmed(application, new Date(deletedAt));
    const doomed: { key: ResourceKey; live: Manifest }[] = [];
    for (const key of this.tracked(application, new Set())) {
      const live = await this.prunable(client, application, key, permits);
      // As Argo CD, Delete=false on the object keeps it when its Application goes.
      if (!live || SyncOptions.onObject(live, 'Delete=false')) continue;
      if (!approved && requiresDeletionConfirmation(live, application)) throw new DeletionAwaitingApproval(key);
      doomed.push({ key, live });
    }
    const deleted: ResourceKey[] = [];
    for (const { key, live } of doomed) {
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

  private stoppedOutcome(at: Revisions, stop: SyncStop<Target>, results: SyncOutcome['resources']): SyncOutcome {
    const refused = stop.refusals.map(({ object, message }) => ({ ...object.key, status: 'SyncFailed' as const, message }));
    return { ...at, phase: stop.phase, message: stop.message, resources: [...results, ...refused] };
  }

  /** A write to the Application's cluster; the watch is told what was written (`deleting`: the object a deletion removes). */
  private async write<T>(application: Application, write: () => Promise<T>, deleting?: KubeObject): Promise<T> {
    const result = await (this.options.guard ? this.options.guard(application, write) : write());
    const written = deleting ?? (result as KubeObject | undefined);
    if (written?.metadata) this.options.watches?.wrote(application, written, deleting !== undefined);
    return result;
  }
}
