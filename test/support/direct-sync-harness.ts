import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppProjectSpec } from '../../src/api/app-project.js';
import type { Application } from '../../src/api/application.js';
import type { KubeObject } from '../../src/api/meta.js';
import type { INestApplication } from '@nestjs/common';
import { createControllerApp } from '../../src/app/app.module.js';
import { loadAppConfig } from '../../src/config/app-config.js';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { silentLogger } from '../../src/observability/logger.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';
import { LocalRedis } from '../../src/demo/local-redis.js';
import { waitFor } from './rollout-fixture.js';

const API_VERSION = 'argoproj.io/v1alpha1';
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

export interface DirectSyncHarnessOptions {
  clusters: { name: string; labels?: Record<string, string> }[];
  /** Namespaces every simulated cluster starts with (the management cluster needs `argocd`). */
  namespaces: string[];
  /** Namespaces whose Applications Regatta's application controller watches; Argo CD's own first. */
  applicationNamespaces: string[];
  readyDelayMs?: number;
}

/**
 * Regatta as Argo CD's application controller on a simulated fleet: the direct driver with its
 * BullMQ worker on a real redis-server, the ApplicationSet controller (RollingSync on), the
 * controller context's caches. Tests act as tenants and admins through the management cluster.
 */
export class DirectSyncHarness {
  private constructor(
    readonly fleet: SimFleet,
    readonly client: ObjectClient,
    private readonly redis: LocalRedis,
    private readonly app: INestApplication,
    private readonly gitCache: string,
  ) {}

  static async start(options: DirectSyncHarnessOptions): Promise<DirectSyncHarness> {
    const gitCache = mkdtempSync(join(tmpdir(), 'regatta-direct-sync-git-'));
    process.env.REGATTA_GIT_CACHE_DIR = gitCache;
    const redis = await LocalRedis.start();
    const fleet = await SimFleet.start({ clusters: options.clusters, namespaces: options.namespaces, readyDelayMs: options.readyDelayMs ?? 50 });
    const client = new ObjectClient(kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'platform-admin' })));
    const regatta = kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'regatta-controller' }));
    const flags = [
      '--enable-progressive-syncs=true',
      '--allow-local-repositories=true',
      '--concurrent-reconciliations=4',
      `--applicationset-namespaces=${options.applicationNamespaces.join(',')}`,
      // Tenants' namespaces without an SCM allow-list: Argo CD's start-up rule wants SCM generators off.
      '--enable-scm-providers=false',
      '--app-resync=2',
      '--source-poll-seconds=0.3',
      '--operation-processors=8',
    ];
    const app = await createControllerApp({
      config: loadAppConfig(flags, { REDIS_URL: redis.url, POD_NAME: 'security' }),
      kubeConfig: regatta,
      logger: silentLogger,
    });
    await app.init();
    return new DirectSyncHarness(fleet, client, redis, app, gitCache);
  }

  /** Registers a workload cluster with its admin token, as `argocd cluster add` does, plus the Secret fields given. */
  async registerCluster(name: string, fields: { project?: string; namespaces?: string; clusterResources?: string } = {}): Promise<void> {
    const secret = this.fleet.clusterSecret(name);
    for (const [key, value] of Object.entries(fields)) secret.data![key] = b64(value);
    await this.client.apply(secret as KubeObject, 'platform-admin');
  }

  async applyProject(name: string, spec: AppProjectSpec): Promise<void> {
    await this.client.apply({ apiVersion: API_VERSION, kind: 'AppProject', metadata: { name, namespace: 'argocd' }, spec } as KubeObject, 'platform-admin');
  }

  async deleteProject(name: string): Promise<void> {
    await this.client.delete({ apiVersion: API_VERSION, kind: 'AppProject', metadata: { name, namespace: 'argocd' } });
  }

  /** argocd-cm's data (merged with what it holds). */
  async argocdSettings(data: Record<string, string | null>): Promise<void> {
    await this.client.apply(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'argocd-cm', namespace: 'argocd' }, data } as KubeObject,
      'platform-admin',
    );
  }

  /** Creates an Application as a tenant would, with a sync operation requested. */
  async createApplication(application: Pick<Application, 'metadata' | 'spec'>, options: { sync?: boolean } = {}): Promise<void> {
    const operation = options.sync === false ? {} : { operation: { initiatedBy: { username: 'tenant' }, sync: { prune: true } } };
    await this.client.create({ apiVersion: API_VERSION, kind: 'Application', ...application, ...operation } as KubeObject);
  }

  /** Asks for another sync of an Application, as `argocd app sync` does. */
  async requestSync(namespace: string, name: string): Promise<void> {
    await this.client.mergePatch({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name, namespace },
      operation: { initiatedBy: { username: 'tenant' }, sync: { prune: true } },
    } as KubeObject);
  }

  async application(namespace: string, name: string): Promise<Application | undefined> {
    return this.client.get<Application & KubeObject>(API_VERSION, 'Application', namespace, name);
  }

  /** The Application once its requested operation finished (Succeeded, Failed or Error), started after `since` when given. */
  async finished(namespace: string, name: string, since?: string): Promise<Application> {
    let last: Application | undefined;
    try {
      return await waitFor(
        async () => {
          last = await this.application(namespace, name);
          const state = (last?.status as { operationState?: { phase?: string; finishedAt?: string } } | undefined)?.operationState;
          const done =
            last && !last.operation && ['Succeeded', 'Failed', 'Error'].includes(state?.phase ?? '') && (!since || (state?.finishedAt ?? '') >= since);
          return done ? last : undefined;
        },
        `the operation of ${namespace}/${name} to finish`,
        20_000,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; last seen: ${JSON.stringify({ operation: last?.operation, status: last?.status })}`, { cause: error });
    }
  }

  async deleteApplication(namespace: string, name: string): Promise<void> {
    await this.client.delete({ apiVersion: API_VERSION, kind: 'Application', metadata: { name, namespace } });
  }

  async stop(): Promise<void> {
    await this.app.close();
    await this.fleet.stop();
    await this.redis.stop();
    rmSync(this.gitCache, { recursive: true, force: true });
  }
}
