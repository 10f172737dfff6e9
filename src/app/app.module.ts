import 'reflect-metadata';
import { Global, Inject, Module, type DynamicModule, type INestApplication, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { ApiServerModule } from '../api-server/api-server.module.js';
import { AppSetModule } from '../appset/appset.module.js';
import { ApplicationSetLeadership } from '../appset/applicationset-leadership.js';
import { WEBHOOK_PATH, webhookBodyReader } from '../appset/webhook-body.js';
import type { AppConfig } from '../config/app-config.js';
import { appSetOptions, controlNamespaceOptions, shardingOptions, syncOptions, type ProcessHooks } from './module-options.js';
import { ControlNamespace } from '../control-namespace/control-namespace.js';
import { ControlNamespaceModule } from '../control-namespace/control-namespace.module.js';
import { KUBE_CONFIG, type KubeConfig } from '../kube/kube-config.js';
import { SharedInformers } from '../kube/shared-informers.js';
import { LOGGER, type Logger } from '../observability/logger.js';
import { ControllerMetrics } from '../observability/metrics.js';
import { ObservabilityController } from '../observability/observability.controller.js';
import { ShardingModule } from '../sharding/sharding.module.js';
import { ShardingRuntime } from '../sharding/sharding-runtime.js';
import { SYNC_RUNTIME, SyncModule } from '../sync/sync.module.js';
import type { SyncRuntime } from '../sync/sync-runtime.js';

/** Everything a Regatta process is built from: `npm start`, the demo, the benches and the e2e harness differ only here. */
export interface ProcessDependencies {
  config: AppConfig;
  kubeConfig: KubeConfig;
  logger: Logger;
  metrics?: ControllerMetrics;
  hooks?: ProcessHooks;
}

/** The parts every module shares: the management cluster and its caches, the logger, the metrics registry. */
@Global()
@Module({})
class CoreModule {
  static with(deps: ProcessDependencies): DynamicModule {
    const providers = [
      { provide: KUBE_CONFIG, useValue: deps.kubeConfig },
      { provide: LOGGER, useValue: deps.logger },
      {
        provide: ControllerMetrics,
        useValue: deps.metrics ?? new ControllerMetrics({ processMetrics: true, appSetLabels: deps.config.metricsApplicationSetLabels }),
      },
      { provide: SharedInformers, useValue: new SharedInformers(deps.kubeConfig, (message) => deps.logger.warn(message)) },
    ];
    return { module: CoreModule, providers, exports: providers.map((p) => p.provide) };
  }
}

interface ProcessPart {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The composition root. Parts start in the order they depend on each other (the control
 * namespace's caches, the ApplicationSet controller, sharding, the sync driver) and stop in reverse.
 */
@Module({})
export class AppModule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly parts: ProcessPart[];

  constructor(
    @Inject(ControlNamespace) controlNamespace: ControlNamespace,
    @Inject(ApplicationSetLeadership) applicationSets: ApplicationSetLeadership,
    @Inject(ShardingRuntime) sharding: ShardingRuntime,
    @Inject(SYNC_RUNTIME) sync: SyncRuntime | null,
  ) {
    this.parts = [controlNamespace, applicationSets, sharding, ...(sync ? [sync] : [])];
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const part of this.parts) await part.start();
  }

  async onApplicationShutdown(): Promise<void> {
    for (const part of [...this.parts].reverse()) await part.stop();
  }

  static forRoot(deps: ProcessDependencies): DynamicModule {
    const { kubeConfig, config, logger, hooks } = deps;
    const api = ApiServerModule.forRoot({
      kubeConfig,
      namespace: config.namespace,
      applicationSetNamespaces: config.applicationSetNamespaces,
      logger: logger.child({ module: 'api' }),
      trustForwardedProto: config.trustForwardedProto,
      templateTimeoutSeconds: config.templateTimeoutSeconds,
    });
    return {
      module: AppModule,
      imports: [
        ScheduleModule.forRoot(),
        CoreModule.with(deps),
        ControlNamespaceModule.forRoot(controlNamespaceOptions(config)),
        ShardingModule.forRoot(shardingOptions(config)),
        AppSetModule.forRoot(appSetOptions(config, hooks)),
        SyncModule.forRoot(syncOptions(config, hooks)),
        api,
      ],
      controllers: [ObservabilityController],
    };
  }
}

/** A Regatta process as a Nest application; webhook bodies are read (bounded) before Nest's own body parsers see them. */
export async function createControllerApp(deps: ProcessDependencies): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(deps), { logger: false, forceCloseConnections: true, abortOnError: false });
  app.use(WEBHOOK_PATH, webhookBodyReader(deps.config.webhookMaxPayloadBytes));
  return app;
}
