import { Inject, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AccessReviews } from '../kube/access-reviews.js';
import { probeCluster } from '../kube/cluster-connection.js';
import { ObjectClient } from '../kube/object-client.js';
import { AccessGuard } from './access.guard.js';
import { ApiAccess } from './api-access.js';
import { API_SERVER_OPTIONS, CLUSTER_SHARDS, type ApiServerOptions } from './api-server-options.js';
import { ApplicationSetView } from './application-set-view.js';
import { ApplicationSetsController } from './application-sets.controller.js';
import { ClusterSecrets } from './cluster-secrets.js';
import type { ClusterShards } from './cluster-shards.js';
import { ControlNamespace } from '../control-namespace/control-namespace.js';
import { ShardingRuntime } from '../sharding/sharding-runtime.js';
import { DashboardController } from './dashboard.controller.js';
import { DashboardLoginCodes } from './dashboard-login-codes.js';
import { DashboardPages } from './dashboard-pages.js';
import { DashboardSessions } from './dashboard-sessions.js';
import { DocsController } from './docs.controller.js';
import { DryRunGeneration } from './dry-run-generation.js';
import { FleetController } from './fleet.controller.js';
import { FleetView } from './fleet-view.js';
import { GenerateController } from './generate.controller.js';
import { LiveApplicationSets } from './live-application-sets.js';

const PROBE_TIMEOUT_MS = 3000;

/** The REST API (`/api/v1`, `/api/docs`) and the dashboard (`/dashboard`), authorized by the management cluster. */
@Module({})
export class ApiServerModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(ClusterSecrets) private readonly clusterSecrets: ClusterSecrets) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.clusterSecrets.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.clusterSecrets.stop();
  }

  static forRoot(options: ApiServerOptions): DynamicModule {
    return {
      module: ApiServerModule,
      controllers: [FleetController, ApplicationSetsController, GenerateController, DocsController, DashboardController],
      providers: [
        { provide: API_SERVER_OPTIONS, useValue: options },
        { provide: ObjectClient, useFactory: () => new ObjectClient(options.kubeConfig) },
        { provide: ApiAccess, useFactory: () => new ApiAccess(new AccessReviews(options.kubeConfig)) },
        // In the controller, the registry its control namespace keeps; a host without one watches the cluster Secrets itself.
        {
          provide: ClusterSecrets,
          inject: [{ token: ControlNamespace, optional: true }],
          useFactory: (controlNamespace?: ControlNamespace) =>
            controlNamespace ? ClusterSecrets.over(controlNamespace.clusters) : ClusterSecrets.watching(options.kubeConfig, options.namespace, options.logger),
        },
        // In the controller, the ownership this replica acts on; a host without sharding says who owns what.
        options.shards
          ? { provide: CLUSTER_SHARDS, useValue: options.shards }
          : {
              provide: CLUSTER_SHARDS,
              inject: [ShardingRuntime],
              useFactory: (sharding: ShardingRuntime): ClusterShards => ({ shardOf: (server) => sharding.view.ownerOfCluster(server) }),
            },
        {
          provide: FleetView,
          inject: [ClusterSecrets, CLUSTER_SHARDS],
          useFactory: (secrets: ClusterSecrets, shards: ClusterShards) => new FleetView(secrets, shards, (cluster) => probeCluster(cluster, PROBE_TIMEOUT_MS)),
        },
        {
          provide: ApplicationSetView,
          inject: [ObjectClient, ClusterSecrets],
          useFactory: (client: ObjectClient, secrets: ClusterSecrets) => new ApplicationSetView(client, () => secrets.names()),
        },
        {
          provide: LiveApplicationSets,
          inject: [ApplicationSetView],
          useFactory: (view: ApplicationSetView) => new LiveApplicationSets(view, options.livePollMs ?? 1000),
        },
        {
          provide: DryRunGeneration,
          inject: [ObjectClient, ApiAccess, ClusterSecrets],
          useFactory: (client: ObjectClient, access: ApiAccess, clusters: ClusterSecrets) =>
            new DryRunGeneration(client, access, clusters, options.namespace, options.templateTimeoutSeconds),
        },
        { provide: DashboardSessions, useFactory: () => new DashboardSessions() },
        { provide: DashboardLoginCodes, useFactory: () => options.loginCodes ?? new DashboardLoginCodes() },
        { provide: DashboardPages, useFactory: () => new DashboardPages() },
        AccessGuard,
      ],
    };
  }
}
