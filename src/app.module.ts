import { Global, Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AppConfig } from './app-config.js';
import { ApiServerModule } from './api-server/api-server.module.js';
import { AppSetModule } from './appset/appset.module.js';
import { WEBHOOK_PATH, webhookBodyReader } from './appset/webhook-body.js';
import type { ControllerContext } from './appset/controller-context.js';
import type { KubeConfig } from './kube/kube-config.js';
import type { Logger } from './observability/logger.js';
import { ControllerMetrics } from './observability/metrics.js';
import { SyncModule } from './sync/sync.module.js';
import { ObservabilityController } from './observability/observability.controller.js';
import { APP_CONFIG, GENERATOR_CONTEXT, KUBE_CONFIG, LOGGER } from './tokens.js';

export interface AppDependencies {
  config: AppConfig;
  kubeConfig: KubeConfig;
  context: ControllerContext;
  logger: Logger;
  metrics?: ControllerMetrics;
}

/** Everything the controller process needs is decided before Nest starts, so tests can build it with their own parts. */
@Global()
@Module({})
class CoreModule {
  static with(deps: AppDependencies): DynamicModule {
    const providers = [
      { provide: APP_CONFIG, useValue: deps.config },
      { provide: KUBE_CONFIG, useValue: deps.kubeConfig },
      { provide: GENERATOR_CONTEXT, useValue: deps.context },
      { provide: LOGGER, useValue: deps.logger },
      { provide: ControllerMetrics, useValue: deps.metrics ?? new ControllerMetrics({ processMetrics: true }) },
    ];
    return { module: CoreModule, providers, exports: providers.map((p) => p.provide) };
  }
}

@Module({})
export class AppModule {
  static forRoot(deps: AppDependencies): DynamicModule {
    const { kubeConfig, config, logger, context } = deps;
    const api = ApiServerModule.forRoot({
      kubeConfig,
      namespace: config.namespace,
      applicationSetNamespaces: config.applicationSetNamespaces,
      logger: logger.child({ module: 'api' }),
      clusters: context.clusters,
      trustForwardedProto: config.trustForwardedProto,
      templateTimeoutSeconds: config.templateTimeoutSeconds,
    });
    return { module: AppModule, imports: [CoreModule.with(deps), AppSetModule, SyncModule, api], controllers: [ObservabilityController] };
  }
}

/** The controller's Nest application; webhook bodies are read (bounded) before Nest's own body parsers see them. */
export async function createControllerApp(deps: AppDependencies): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(deps), { logger: false, forceCloseConnections: true });
  app.use(WEBHOOK_PATH, webhookBodyReader(deps.config.webhookMaxPayloadBytes));
  return app;
}
