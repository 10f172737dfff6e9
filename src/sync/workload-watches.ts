import type { Application, ResourceKey } from '../api/application.js';
import type { KubeObject } from '../api/meta.js';
import { TRACKING_LABEL } from '../api/annotations.js';
import { describeKubeError } from '../kube/api-errors.js';
import { KubeInformer } from '../kube/informer.js';
import type { KubeConfig } from '../kube/kube-config.js';
import { ObjectClient } from '../kube/object-client.js';
import { keyOf } from './application-client.js';

/** A destination cluster as the watches know it: its server (the sharding key) and the connection to watch it with. */
export interface WatchedCluster {
  key: string;
  config: KubeConfig;
  /**
   * The namespaces a cluster Secret limits the cluster to (Argo CD's namespaced mode), empty or
   * absent for the whole cluster: namespaced kinds are then watched in each of them, never cluster-wide.
   */
  namespaces?: string[];
}

export interface WorkloadWatchesOptions {
  /** The cluster an Application deploys to; undefined when its destination names no registered cluster. */
  clusterOf(application: Application): WatchedCluster | undefined;
  onError?: (message: string) => void;
  /** Backoff of a broken watch before it relists (client-node relists by itself after 410 Gone). */
  backoff?: { initialMs: number; maxMs: number };
}

/** The apiVersion and kind of a resource, as one watch per kind covers it. */
const kindOf = (key: Pick<ResourceKey, 'group' | 'version' | 'kind'>) => `${key.group ? `${key.group}/` : ''}${key.version}/${key.kind}`;

/** Fields neither health nor comparison reads, dropped from every cached object: a cache that holds what Regatta manages, not its history. */
const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
function trimmed(object: KubeObject): void {
  const metadata = object.metadata as { managedFields?: unknown; annotations?: Record<string, string> };
  delete metadata.managedFields;
  if (metadata.annotations?.[LAST_APPLIED_ANNOTATION] !== undefined) delete metadata.annotations[LAST_APPLIED_ANNOTATION];
}

/** How long after a watch broke its events are not relied on alone: client-node reports it connected before it has listed. */
const UNSTEADY_MS = 30_000;

/** The kinds an Application's resources are of: what must be watched on its cluster for its health and sync status. */
export function watchedKinds(application: Application): Set<string> {
  return new Set((application.status?.resources ?? []).map(kindOf));
}

interface KindWatch {
  /** Applications whose resources are of this kind. */
  refs: number;
  /** Namespace → its watch, or '' → the one watch of the whole cluster (cluster-scoped kinds, clusters in no namespaced mode). */
  informers: Map<string, KubeInformer<KubeObject>>;
  /** Listed and watching: the cache can answer for this kind. */
  ready: boolean;
  /** When the watch last broke: a watch that keeps breaking (credentials that may not list it) is not relied on for health. */
  failedAt?: number;
}

interface ClusterWatch {
  config: KubeConfig;
  /** The namespaces watched one by one; empty for the whole cluster. */
  namespaces: string[];
  kinds: Map<string, KindWatch>;
  /** Tracking label value (the Application's name) → the Applications of that name deploying here. */
  byName: Map<string, Set<string>>;
}

interface Tracked {
  cluster: string;
  name: string;
  kinds: Set<string>;
}

/**
 * A live watch of the workload clusters this replica owns: per cluster, one list+watch per kind
 * its Applications manage there, filtered by Argo CD's tracking label, so the cache holds what
 * Regatta manages and not the whole cluster. A change to an object tells the listeners which
 * Applications (by its tracking label) to look at again. A broken watch retries with backoff and
 * relists after 410 Gone; a cluster's watches stop when its last Application leaves this replica.
 */
export class WorkloadWatches {
  private readonly clusters = new Map<string, ClusterWatch>();
  private readonly tracked = new Map<string, Tracked>();
  private readonly listeners: ((applicationKey: string) => void)[] = [];
  /** Application → callbacks waiting for the next change to one of its objects. */
  private readonly waiters = new Map<string, Set<() => void>>();
  /**
   * Objects Regatta wrote that the watch has not shown yet → the resourceVersion written (Infinity
   * for a deletion): until it does, `live` leaves them to the API server, so a comparison right
   * after a sync never judges the object as it was before.
   */
  private readonly unseen = new Map<string, number>();
  private stopped = false;

  constructor(private readonly options: WorkloadWatchesOptions) {}

  /** An object an Application tracks changed on its cluster (the key is `namespace/name` of the Application). */
  onChange(listener: (applicationKey: string) => void): void {
    this.listeners.push(listener);
  }

  /** An owned Application as it is now: the watches its resources need are started, the ones no Application needs any more stopped. */
  track(application: Application): void {
    if (this.stopped) return;
    const key = keyOf(application);
    const cluster = this.options.clusterOf(application);
    if (!cluster) return this.untrack(key);
    const previous = this.tracked.get(key);
    const kinds = watchedKinds(application);
    const unchanged = previous?.cluster === cluster.key && previous.name === application.metadata.name && sameSet(previous.kinds, kinds);
    if (unchanged && this.sameConnection(this.clusters.get(cluster.key), cluster)) return;
    if (previous) this.release(key, previous);
    const watch = this.clusterWatch(cluster);
    const entry = { cluster: cluster.key, name: application.metadata.name, kinds };
    this.tracked.set(key, entry);
    let names = watch.byName.get(entry.name);
    if (!names) watch.byName.set(entry.name, (names = new Set()));
    names.add(key);
    for (const kind of kinds) {
      let kindWatch = watch.kinds.get(kind);
      if (!kindWatch) {
        kindWatch = { refs: 0, informers: new Map(), ready: false };
        watch.kinds.set(kind, kindWatch);
        void this.startWatch(cluster.key, watch, kind, kindWatch);
      }
      kindWatch.refs++;
    }
  }

  /** The Application is gone, or no longer this replica's. */
  untrack(applicationKey: string): void {
    const previous = this.tracked.get(applicationKey);
    if (previous) this.release(applicationKey, previous);
  }

  /** Ownership moved: every Application `keep` refuses is untracked, so the watches of clusters handed away stop. */
  retain(keep: (applicationKey: string) => boolean): void {
    for (const key of [...this.tracked.keys()]) if (!keep(key)) this.untrack(key);
  }

  /**
   * The object as the watch last saw it, or undefined when the cache cannot tell (its kind not
   * watched or its watch broken, or no object with Regatta's label there): then the cluster is asked.
   */
  live(application: Application, key: ResourceKey): KubeObject | undefined {
    const cluster = this.options.clusterOf(application);
    const kindWatch = cluster && this.clusters.get(cluster.key)?.kinds.get(kindOf(key));
    // Namespaced mode: an object outside the watched namespaces has no watch (and Argo CD would not sync it).
    const informer = kindWatch?.informers.get(kindWatch.informers.has('') ? '' : (key.namespace ?? ''));
    if (!cluster || !kindWatch?.ready || !informer?.hasSynced()) return undefined;
    const cached = informer.get(key.name, key.namespace || undefined);
    const id = objectId(cluster.key, kindOf(key), key.namespace, key.name);
    const written = this.unseen.get(id);
    if (written === undefined) return cached;
    const caughtUp = written === Infinity ? !cached : Number(cached?.metadata?.resourceVersion) >= written;
    if (!caughtUp) return undefined;
    this.unseen.delete(id);
    return cached;
  }

  /** Regatta wrote (or deleted) an object of the Application: the cache is not asked for it until the watch has shown that write. */
  wrote(application: Application, object: KubeObject, deleted = false): void {
    const cluster = this.options.clusterOf(application);
    const kind = `${object.apiVersion}/${object.kind}`;
    if (!cluster || !this.clusters.get(cluster.key)?.kinds.has(kind)) return;
    const written = deleted ? Infinity : Number(object.metadata?.resourceVersion);
    if (!Number.isNaN(written)) this.unseen.set(objectId(cluster.key, kind, object.metadata?.namespace, object.metadata?.name), written);
  }

  /** Whether every kind the Application tracks is watched now: its health follows the watch and needs no polling. */
  covers(application: Application): boolean {
    const entry = this.tracked.get(keyOf(application));
    const watch = entry && this.clusters.get(entry.cluster);
    if (!entry || !watch || entry.kinds.size === 0) return false;
    return [...entry.kinds].every((kind) => {
      const kindWatch = watch.kinds.get(kind);
      const steady = kindWatch?.failedAt === undefined || Date.now() - kindWatch.failedAt > UNSTEADY_MS;
      return kindWatch?.ready && kindWatch.informers.size > 0 && [...kindWatch.informers.values()].every((i) => i.hasSynced()) && steady;
    });
  }

  /** Resolves at the next change to one of the Application's objects, or after `timeoutMs`. */
  nextChange(application: Application, timeoutMs: number): Promise<void> {
    const key = keyOf(application);
    return new Promise((resolve) => {
      let waiting = this.waiters.get(key);
      if (!waiting) this.waiters.set(key, (waiting = new Set()));
      const done = () => {
        clearTimeout(timer);
        waiting.delete(done);
        if (!waiting.size && this.waiters.get(key) === waiting) this.waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref?.();
      waiting.add(done);
    });
  }

  /** Objects held in every cache (the bench's watch memory per managed resource). */
  cachedObjects(): number {
    let count = 0;
    for (const watch of this.clusters.values())
      for (const kindWatch of watch.kinds.values()) for (const informer of kindWatch.informers.values()) count += informer.list().length;
    return count;
  }

  /** Clusters watched now. */
  watchedClusters(): string[] {
    return [...this.clusters.keys()];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const watches = [...this.clusters.values()];
    this.clusters.clear();
    this.tracked.clear();
    for (const waiting of this.waiters.values()) for (const done of [...waiting]) done();
    await Promise.all(watches.flatMap((w) => [...w.kinds.values()].map(stopInformers)));
  }

  /** The cluster's watches, started over when its connection changed (the cluster Secret's credentials or address). */
  private clusterWatch(cluster: WatchedCluster): ClusterWatch {
    const current = this.clusters.get(cluster.key);
    if (current && this.sameConnection(current, cluster)) return current;
    const namespaces = [...new Set(cluster.namespaces ?? [])].sort();
    if (current) {
      this.stopCluster(cluster.key, current);
      const kinds = new Map<string, KindWatch>();
      const restarted: ClusterWatch = { config: cluster.config, namespaces, kinds, byName: current.byName };
      this.clusters.set(cluster.key, restarted);
      for (const [kind, { refs }] of current.kinds) {
        const kindWatch: KindWatch = { refs, informers: new Map(), ready: false };
        kinds.set(kind, kindWatch);
        void this.startWatch(cluster.key, restarted, kind, kindWatch);
      }
      return restarted;
    }
    const watch: ClusterWatch = { config: cluster.config, namespaces, kinds: new Map(), byName: new Map() };
    this.clusters.set(cluster.key, watch);
    return watch;
  }

  private release(applicationKey: string, entry: Tracked): void {
    this.tracked.delete(applicationKey);
    const watch = this.clusters.get(entry.cluster);
    if (!watch) return;
    const names = watch.byName.get(entry.name);
    names?.delete(applicationKey);
    if (names && !names.size) watch.byName.delete(entry.name);
    for (const kind of entry.kinds) {
      const kindWatch = watch.kinds.get(kind);
      if (!kindWatch || --kindWatch.refs > 0) continue;
      watch.kinds.delete(kind);
      void stopInformers(kindWatch);
    }
    if (!watch.byName.size && !watch.kinds.size) {
      this.clusters.delete(entry.cluster);
      this.forgetWrites(entry.cluster);
    }
  }

  private forgetWrites(clusterKey: string): void {
    for (const id of this.unseen.keys()) if (id.startsWith(`${clusterKey}\n`)) this.unseen.delete(id);
  }

  private stopCluster(clusterKey: string, watch: ClusterWatch): void {
    if (this.clusters.get(clusterKey) === watch) this.clusters.delete(clusterKey);
    this.forgetWrites(clusterKey);
    for (const kindWatch of watch.kinds.values()) {
      kindWatch.refs = 0;
      void stopInformers(kindWatch);
    }
  }

  /** The cluster's watches were made with this connection and these namespaces. */
  private sameConnection(watch: ClusterWatch | undefined, cluster: WatchedCluster): boolean {
    const namespaces = [...new Set(cluster.namespaces ?? [])].sort();
    return watch?.config === cluster.config && watch.namespaces.join('\n') === namespaces.join('\n');
  }

  /** Still the watch this cluster and kind need (not released, nor replaced by a new connection)? */
  private wanted(clusterKey: string, watch: ClusterWatch, kind: string, kindWatch: KindWatch): boolean {
    return !this.stopped && this.clusters.get(clusterKey) === watch && watch.kinds.get(kind) === kindWatch;
  }

  private async startWatch(clusterKey: string, watch: ClusterWatch, kind: string, kindWatch: KindWatch): Promise<void> {
    const slash = kind.lastIndexOf('/');
    const [apiVersion, kindName] = [kind.slice(0, slash), kind.slice(slash + 1)];
    const onError = this.options.onError ?? (() => undefined);
    let served: { plural: string; namespaced: boolean } | undefined;
    try {
      served = await new ObjectClient(watch.config).servedAs(apiVersion, kindName);
    } catch (error) {
      onError(`cannot watch ${kindName} on ${clusterKey}: ${describeKubeError(error)}`);
    }
    // A kind the cluster does not serve (or discovery failed): its objects are read from the cluster, as without a watch.
    if (!served || !this.wanted(clusterKey, watch, kind, kindWatch)) return;
    const failed = (message: string) => {
      kindWatch.failedAt = Date.now();
      onError(message);
    };
    // Namespaced mode: one watch per namespace, as credentials limited to those namespaces may not list the whole cluster.
    const scopes = served.namespaced && watch.namespaces.length ? watch.namespaces : [''];
    for (const namespace of scopes) {
      const informer = new KubeInformer<KubeObject>(
        watch.config,
        { apiVersion, kind: kindName, labelSelector: TRACKING_LABEL, ...(namespace ? { namespace } : {}) },
        served.plural,
        failed,
        this.options.backoff,
      );
      // Registered first, so the object is trimmed before any other handler (or the cache) keeps it.
      informer.on('add', trimmed);
      informer.on('update', trimmed);
      for (const event of ['add', 'update', 'delete'] as const)
        informer.on(event, (object) => this.changed(clusterKey, kind, watch, object, event === 'delete'));
      kindWatch.informers.set(namespace, informer);
    }
    await Promise.all(
      [...kindWatch.informers.values()].map((informer) =>
        informer.start().catch((error: unknown) => failed(`watch of ${kindName} on ${clusterKey} failed: ${describeKubeError(error)}`)),
      ),
    );
    if (!this.wanted(clusterKey, watch, kind, kindWatch)) {
      await stopInformers(kindWatch);
      return;
    }
    kindWatch.ready = true;
  }

  private changed(clusterKey: string, kind: string, watch: ClusterWatch, object: KubeObject, deleted: boolean): void {
    const id = objectId(clusterKey, kind, object.metadata?.namespace, object.metadata?.name);
    const written = this.unseen.get(id);
    if (written !== undefined && (deleted || Number(object.metadata?.resourceVersion) >= written)) this.unseen.delete(id);
    const name = object.metadata?.labels?.[TRACKING_LABEL];
    const applications = name === undefined ? undefined : watch.byName.get(name);
    for (const key of applications ?? []) {
      for (const done of [...(this.waiters.get(key) ?? [])]) done();
      for (const listener of this.listeners) listener(key);
    }
  }
}

const objectId = (cluster: string, kind: string, namespace: string | undefined, name: string | undefined) => `${cluster}\n${kind}\n${namespace ?? ''}\n${name}`;
const stopInformers = (kindWatch: KindWatch) => Promise.all([...kindWatch.informers.values()].map((informer) => informer.stop()));
const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));
