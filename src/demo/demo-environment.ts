import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_VERSION, type Application } from '../api/application.js';
import { DEFAULT_PROJECT_NAME, type SyncWindow } from '../api/app-project.js';
import { DEPENDS_ON_ANNOTATION } from '../api/annotations.js';
import type { ApplicationSet, ApplicationSetRolloutStep } from '../api/application-set.js';
import type { KubeObject } from '../api/meta.js';
import type { INestApplication } from '@nestjs/common';
import { createControllerApp } from '../app/app.module.js';
import type { ReconcilerOptions } from '../appset/reconciler.js';
import { loadAppConfig } from '../config/app-config.js';
import { KubeInformer } from '../kube/informer.js';
import { kubeConfigFromString } from '../kube/kube-config.js';
import { ObjectClient } from '../kube/object-client.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import { Redis } from 'ioredis';
import { redisOptions } from '../redis/redis-options.js';
import { readLease } from '../sharding/cluster-fence.js';
import { SimFleet } from '../sim/sim-fleet.js';
import { auditSyncs, type SyncAudit } from '../sim/write-audit.js';
import { ShardingRuntime } from '../sharding/sharding-runtime.js';
import type { Ownership } from '../sharding/shard-assignment.js';
import { LocalRedis } from './local-redis.js';
import { DemoRepository, environmentValueFiles, guestbookChart, guestbookManifests } from './demo-repository.js';

export const DEMO_APPSET = 'guestbook-fleet';
/** The name of the replica the demo runs in-process. */
export const DEMO_REPLICA = 'demo';

/** Twelve workload clusters: three staging, nine production, over three regions. */
export const DEMO_CLUSTERS = [
  ...['eu', 'us', 'ap'].map((region) => ({ name: `staging-${region}-1`, labels: { env: 'staging', region } })),
  ...['eu', 'us', 'ap'].flatMap((region) => [1, 2, 3].map((n) => ({ name: `prod-${region}-${n}`, labels: { env: 'production', region } }))),
];

/** staging first, all at once; then production a quarter at a time. */
export const DEMO_STEPS: ApplicationSetRolloutStep[] = [
  { matchExpressions: [{ key: 'env', operator: 'In', values: ['staging'] }] },
  { matchExpressions: [{ key: 'env', operator: 'In', values: ['production'] }], maxUpdate: '25%' },
];

/** The template's `regatta.dev/depends-on` for each app directory (by basename): its label `component` is that basename. */
function dependencyMetadata(dependsOn: Record<string, string> | undefined) {
  if (!dependsOn) return { labels: {} };
  const selector = Object.entries(dependsOn)
    .map(([app, needs]) => `{{ if eq .path.basename ${JSON.stringify(app)} }}${needs}{{ end }}`)
    .join('');
  return { labels: { component: '{{.path.basename}}' }, annotations: { [DEPENDS_ON_ANNOTATION]: selector } };
}

/** How the demo's apps are kept in Git: Helm charts with per-environment value files, or plain manifests. */
export type DemoAppLayout = 'chart' | 'manifests';

/**
 * What each Application renders: for charts, two sources, the chart and the same repository again
 * as `ref: values`, whose environments/ENV/values.yaml (ENV: the cluster's `env` label) the chart
 * reads as a value file.
 */
function applicationSources(repoURL: string, layout: DemoAppLayout) {
  if (layout === 'manifests') return { source: { repoURL, targetRevision: 'main', path: '{{.path.path}}' } };
  const valueFile = '$values/environments/{{index .metadata.labels "env"}}/values.yaml';
  return {
    sources: [
      { repoURL, targetRevision: 'main', path: '{{.path.path}}', helm: { valueFiles: [valueFile], ignoreMissingValueFiles: true } },
      { repoURL, targetRevision: 'main', ref: 'values' },
    ],
  };
}

/** A Git directories × Cluster matrix with a RollingSync strategy. */
export function fleetApplicationSet(
  repoURL: string,
  steps: ApplicationSetRolloutStep[],
  dependsOn?: Record<string, string>,
  layout: DemoAppLayout = 'chart',
): ApplicationSet {
  const dependencies = dependencyMetadata(dependsOn);
  return {
    apiVersion: API_VERSION,
    kind: 'ApplicationSet',
    metadata: { name: DEMO_APPSET, namespace: 'argocd' },
    spec: {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [
        {
          matrix: {
            generators: [
              { git: { repoURL, revision: 'main', directories: [{ path: 'apps/*' }] } },
              { clusters: { selector: { matchExpressions: [{ key: 'env', operator: 'Exists' }] } } },
            ],
          },
        },
      ],
      strategy: { type: 'RollingSync', rollingSync: { steps } },
      template: {
        metadata: {
          name: '{{.path.basename}}-{{.name}}',
          labels: { env: '{{index .metadata.labels "env"}}', region: '{{index .metadata.labels "region"}}', ...dependencies.labels },
          ...(dependencies.annotations ? { annotations: dependencies.annotations } : {}),
        },
        spec: {
          project: 'default',
          ...applicationSources(repoURL, layout),
          destination: { server: '{{.server}}', namespace: '{{.path.basename}}' },
          syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
        },
      },
    },
  } as ApplicationSet;
}

export interface DemoEnvironmentOptions {
  /** Directories under apps/ in the Git repository: each becomes one Application per cluster (default: guestbook). */
  apps?: string[];
  clusters?: { name: string; labels: Record<string, string> }[];
  steps?: ApplicationSetRolloutStep[];
  /** Watch events the simulated API servers keep for watchers that resume (default 100,000). */
  watchHistory?: number;
  /** How long a workload takes to turn ready in the simulator. */
  readyDelayMs?: number;
  /** Every simulated cluster on a port of its own, so that the `refuseConnections` fault can be set on it. */
  separatePorts?: boolean;
  /** Serve the simulated clusters over HTTPS, as kubectl needs (it sends no bearer token over plain HTTP). */
  https?: boolean;
  /** Use this Redis; otherwise a redis-server is started (and stopped) here. */
  redisUrl?: string;
  /** Run Regatta in this process; false leaves that to another process (a replica under test). */
  controller?: boolean;
  /** How often every Application is compared with its cluster (default 10 s). */
  refreshIntervalMs?: number;
  /** How often the Git repository is asked for new commits (default 300 ms). */
  sourcePollMs?: number;
  logger?: Logger;
  /** Told every rollout plan the in-process controller makes, with its input. */
  onRolloutPlanned?: ReconcilerOptions['onRolloutPlanned'];
  /** The sync windows of the `default` AppProject, in place before anything is synced. */
  syncWindows?: SyncWindow[];
  /** The time the in-process controllers see (tests move it past sync windows). */
  clock?: () => Date;
  /** The longest a sync held by a sync window waits before its windows are read again (default 30 s). */
  windowRecheckMs?: number;
  /**
   * Record with every write to a workload cluster who held its lease in Redis when it arrived, so
   * `auditSyncs()` counts non-owner writes (for replicas with dynamic cluster distribution).
   */
  auditLeases?: boolean;
  /**
   * Read the Applications and the ApplicationSet straight from the simulated management cluster
   * instead of watching them through its API: this process then does no work the simulator's
   * CPU would not count (the rollout bench compares the two processes' CPU).
   */
  readFromStore?: boolean;
  /** Clusters that do not answer from the start (the simulator's `unreachable` fault), until `fleet.clearFaults`. */
  unreachable?: string[];
  /** Helm charts with a value file from a second source and a PreSync hook (default), or plain manifests. */
  layout?: DemoAppLayout;
  /** App directory → the label selector (over the label `component`, its directory) of the apps on its cluster it depends on. */
  dependsOn?: Record<string, string>;
  /** `argocd`: Regatta only writes the sync operations and Argo CD's application controller (run by the caller) syncs (default `direct`). */
  syncDriver?: 'direct' | 'argocd';
}

/**
 * A complete Regatta installation on the local machine: a simulated management cluster and fleet,
 * Redis, a Git repository with the guestbook, the clusters registered, and (optionally) Regatta's
 * controllers in this process. What `npm run demo` shows and what the rollout e2e tests drive.
 */
export class DemoEnvironment {
  private process?: INestApplication;
  version = 0;
  /** The commit of the latest release. */
  revision = '';

  private constructor(
    readonly fleet: SimFleet,
    readonly redisUrl: string,
    readonly repository: DemoRepository,
    readonly client: ObjectClient,
    private readonly watched: KubeInformer<Application & KubeObject> | undefined,
    private readonly ownRedis: LocalRedis | undefined,
    private readonly gitCache: string,
    private readonly apps: string[],
    private readonly leases: Redis | undefined,
    private readonly layout: DemoAppLayout,
  ) {}

  static async start(options: DemoEnvironmentOptions = {}): Promise<DemoEnvironment> {
    const ownRedis = options.redisUrl ? undefined : await LocalRedis.start();
    const fleet = await SimFleet.start({
      clusters: options.clusters ?? DEMO_CLUSTERS,
      readyDelayMs: options.readyDelayMs ?? 600,
      watchHistory: options.watchHistory ?? 100_000,
      separatePorts: options.separatePorts,
      https: options.https,
    });
    for (const name of options.unreachable ?? []) await fleet.fault(name, { unreachable: true });
    const repository = await DemoRepository.create();
    const adminConfig = kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'demo-admin' }));
    const client = new ObjectClient(adminConfig);
    // Watched, not polled: listing ten thousand Applications to check progress would cost more than the rollout.
    const watched = options.readFromStore
      ? undefined
      : new KubeInformer<Application & KubeObject>(adminConfig, { apiVersion: API_VERSION, kind: 'Application', namespace: 'argocd' }, 'applications');
    await watched?.start();
    const gitCache = mkdtempSync(join(tmpdir(), 'regatta-demo-cache-'));
    const redisUrl = options.redisUrl ?? ownRedis!.url;
    const leases = options.auditLeases ? new Redis({ ...redisOptions(redisUrl), maxRetriesPerRequest: 1 }) : undefined;
    leases?.on('error', () => undefined);
    if (leases)
      fleet.auditLeases((server) =>
        readLease(leases, server).then(
          (lease) => lease?.holder ?? '',
          () => undefined,
        ),
      );
    const environment = new DemoEnvironment(
      fleet,
      redisUrl,
      repository,
      client,
      watched,
      ownRedis,
      gitCache,
      options.apps ?? ['guestbook'],
      leases,
      options.layout ?? 'chart',
    );
    for (const name of fleet.names()) await client.create(fleet.clusterSecret(name) as unknown as KubeObject);
    if (options.syncWindows) {
      await client.mergePatch({
        apiVersion: API_VERSION,
        kind: 'AppProject',
        metadata: { name: DEFAULT_PROJECT_NAME, namespace: 'argocd' },
        spec: { syncWindows: options.syncWindows },
      } as unknown as KubeObject);
    }
    await environment.release();
    if (options.controller !== false) await environment.startController(options);
    await client.apply(
      fleetApplicationSet(repository.url, options.steps ?? DEMO_STEPS, options.dependsOn, environment.layout) as unknown as KubeObject,
      'demo-admin',
    );
    return environment;
  }

  /** Commits the next guestbook version; the ApplicationSet rolls it out. */
  async release(image = `guestbook:v${this.version + 1}`): Promise<string> {
    this.version++;
    const files =
      this.layout === 'chart'
        ? [environmentValueFiles(), ...this.apps.map((app) => guestbookChart(image, app))]
        : this.apps.map((app) => guestbookManifests(image, app));
    this.revision = await this.repository.commit(Object.assign({}, ...files), `release ${image}`);
    return this.revision;
  }

  /** Kubeconfig (YAML) a separate Regatta process uses to reach the management cluster. */
  managementKubeconfig(identity = 'regatta-controller'): string {
    return this.fleet.kubeconfig(undefined, { identity });
  }

  /** Regatta in this process, built from the same modules as `npm start` with the demo's settings. */
  private async startController(options: DemoEnvironmentOptions): Promise<void> {
    process.env.REGATTA_GIT_CACHE_DIR = this.gitCache;
    const seconds = (ms: number) => String(ms / 1000);
    const flags = [
      '--enable-progressive-syncs=true',
      '--allow-local-repositories=true',
      '--concurrent-reconciliations=8',
      '--operation-processors=16',
      `--app-resync=${seconds(options.refreshIntervalMs ?? 10_000)}`,
      `--source-poll-seconds=${seconds(options.sourcePollMs ?? 300)}`,
      `--sync-driver=${options.syncDriver ?? 'direct'}`,
    ];
    const config = loadAppConfig(flags, { REDIS_URL: this.redisUrl, POD_NAME: DEMO_REPLICA });
    const hooks = { clock: options.clock, onRolloutPlanned: options.onRolloutPlanned, windowRecheckMs: options.windowRecheckMs };
    this.process = await createControllerApp({
      config,
      kubeConfig: kubeConfigFromString(this.managementKubeconfig()),
      logger: options.logger ?? silentLogger,
      hooks,
    });
    await this.process.init();
  }

  /** Which replica owns how many clusters, as the in-process replica's sharding published it. */
  shardOwnership(): { generation: number; clusters: Record<string, number> } | undefined {
    const ownership: Ownership | undefined = this.process?.get(ShardingRuntime).view.current();
    if (!ownership) return undefined;
    const clusters: Record<string, number> = {};
    for (const owner of Object.values(ownership.clusters)) clusters[owner] = (clusters[owner] ?? 0) + 1;
    return { generation: ownership.generation, clusters };
  }

  async appSet(): Promise<ApplicationSet | undefined> {
    if (!this.watched) return this.fromStore('ApplicationSet').find((a) => a.metadata?.name === DEMO_APPSET) as ApplicationSet | undefined;
    return (await this.client.get<KubeObject>(API_VERSION, 'ApplicationSet', 'argocd', DEMO_APPSET)) as unknown as ApplicationSet | undefined;
  }

  /** The Applications, as last observed. */
  async applications(): Promise<Application[]> {
    return this.watched ? this.watched.list('argocd') : (this.fromStore('Application') as unknown as Application[]);
  }

  private fromStore(kind: 'Application' | 'ApplicationSet'): KubeObject[] {
    const store = this.fleet.cluster();
    return store.list(store.typeForKind(API_VERSION, kind)!, 'argocd') as unknown as KubeObject[];
  }

  /** Every Application synced to `revision` (its latest sync) and Healthy, and the rollout Completed. */
  async rolledOut(revision: string): Promise<boolean> {
    type Status = { history?: { revision?: string; revisions?: string[] }[]; health?: { status?: string } };
    // A chart's Application has two sources, both on this repository's main: each at `revision`.
    const syncedTo = (entry: { revision?: string; revisions?: string[] } | undefined) =>
      entry?.revisions ? entry.revisions.every((r) => r === revision) : entry?.revision === revision;
    const applications = await this.applications();
    const done =
      applications.length === this.fleet.names().length * this.apps.length &&
      applications.every((a) => syncedTo((a.status as Status | undefined)?.history?.at(-1)) && (a.status as Status | undefined)?.health?.status === 'Healthy');
    // The ApplicationSet (its status lists every Application) is read only once they are all done.
    return done && (await this.appSet())?.status?.rollout?.phase === 'Completed';
  }

  /** What the workload clusters' write logs say of the syncs made since `sinceNs`: syncs, repeated syncs, non-owner writes. */
  auditSyncs(sinceNs = 0n): SyncAudit {
    return auditSyncs(Object.fromEntries(this.fleet.names().map((name) => [name, this.fleet.cluster(name)])), sinceNs);
  }

  async stop(): Promise<void> {
    this.leases?.disconnect();
    await this.watched?.stop();
    await this.process?.close();
    await this.fleet.stop();
    await this.ownRedis?.stop();
    this.repository.dispose();
    rmSync(this.gitCache, { recursive: true, force: true });
  }
}
