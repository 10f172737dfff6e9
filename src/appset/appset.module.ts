import { Module, type DynamicModule } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ControlNamespace } from '../control-namespace/control-namespace.js';
import { createDefaultRegistry } from '../generators/default-registry.js';
import { KUBE_CONFIG, type KubeConfig } from '../kube/kube-config.js';
import { SharedInformers } from '../kube/shared-informers.js';
import { LOGGER, type Logger } from '../observability/logger.js';
import { ControllerMetrics } from '../observability/metrics.js';
import { READINESS } from '../observability/readiness.js';
import { ShardingRuntime } from '../sharding/sharding-runtime.js';
import { ApplicationSetController, type ControllerSettings } from './applicationset-controller.js';
import { ApplicationSetLeadership, type LeaderElectionOptions } from './applicationset-leadership.js';
import type { WebhookSecrets } from './webhook-events.js';
import { WEBHOOK_SECRETS, WebhookController } from './webhook.controller.js';

export interface AppSetModuleOptions {
  settings: ControllerSettings;
  /** Reconcile only while holding the Lease; without it, at once. */
  leaderElection?: LeaderElectionOptions;
  webhookSecrets: WebhookSecrets;
}

/** The ApplicationSet controller, its leader election and the Git webhook endpoint. */
@Module({})
export class AppSetModule {
  static forRoot(options: AppSetModuleOptions): DynamicModule {
    return {
      module: AppSetModule,
      controllers: [WebhookController],
      providers: [
        {
          provide: ApplicationSetController,
          inject: [KUBE_CONFIG, ControlNamespace, ShardingRuntime, LOGGER, ControllerMetrics, SharedInformers, SchedulerRegistry],
          useFactory: (
            kubeConfig: KubeConfig,
            controlNamespace: ControlNamespace,
            sharding: ShardingRuntime,
            logger: Logger,
            metrics: ControllerMetrics,
            informers: SharedInformers,
            registry: SchedulerRegistry,
          ) => {
            const controller = new ApplicationSetController(
              kubeConfig,
              options.settings,
              createDefaultRegistry(),
              controlNamespace.context,
              (name) => controlNamespace.project(name),
              logger.child({ controller: 'applicationset' }),
              metrics,
              informers,
              registry,
            );
            controlNamespace.onClustersChanged((secret) => controller.clusterSecretChanged(secret));
            // Which Applications may be written depends on the projects they name.
            controlNamespace.onProjectChanged(() => controller.refresh(() => true));
            sharding.serve(controller);
            return controller;
          },
        },
        {
          provide: ApplicationSetLeadership,
          inject: [ApplicationSetController, KUBE_CONFIG, LOGGER, SchedulerRegistry],
          useFactory: (controller: ApplicationSetController, kubeConfig: KubeConfig, logger: Logger, registry: SchedulerRegistry) =>
            new ApplicationSetLeadership(controller, kubeConfig, options.leaderElection, logger, registry),
        },
        { provide: READINESS, useExisting: ApplicationSetController },
        { provide: WEBHOOK_SECRETS, useValue: options.webhookSecrets },
      ],
      exports: [ApplicationSetController, ApplicationSetLeadership, READINESS],
    };
  }
}
