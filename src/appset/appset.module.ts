import { Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../app-config.js';
import type { ApplicationSet } from '../api/application-set.js';
import { createDefaultRegistry } from '../generators/default-registry.js';
import { usesGenerator } from '../generators/transform.js';
import type { ControllerContext } from './controller-context.js';
import type { KubeConfig } from '../kube/kube-config.js';
import { LeaderElector } from '../kube/leader-election.js';
import { ObjectClient } from '../kube/object-client.js';
import type { Logger } from '../observability/logger.js';
import { ControllerMetrics } from '../observability/metrics.js';
import { APP_CONFIG, GENERATOR_CONTEXT, KUBE_CONFIG, LOGGER } from '../tokens.js';
import { ApplicationSetController, controllerSettings } from './applicationset-controller.js';
import { WebhookController } from './webhook.controller.js';

/** Whether an ApplicationSet reads the fleet (a cluster Secret change can change its Applications). */
function usesClusterGenerator(appSet: ApplicationSet): boolean {
  return usesGenerator(appSet.spec?.generators, 'clusters') || usesGenerator(appSet.spec?.generators, 'placement');
}

@Module({
  controllers: [WebhookController],
  providers: [
    {
      provide: ApplicationSetController,
      inject: [KUBE_CONFIG, APP_CONFIG, GENERATOR_CONTEXT, LOGGER, ControllerMetrics],
      useFactory: (kubeConfig: KubeConfig, config: AppConfig, context: ControllerContext, logger: Logger, metrics: ControllerMetrics) =>
        new ApplicationSetController(
          kubeConfig,
          controllerSettings(config),
          createDefaultRegistry(),
          context.context,
          (name) => context.project(name),
          logger.child({ controller: 'applicationset' }),
          metrics,
        ),
    },
  ],
  exports: [ApplicationSetController],
})
export class AppSetModule implements OnApplicationBootstrap, OnApplicationShutdown {
  private elector?: LeaderElector;

  constructor(
    @Inject(ApplicationSetController) private readonly controller: ApplicationSetController,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KUBE_CONFIG) private readonly kubeConfig: KubeConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(GENERATOR_CONTEXT) private readonly context: ControllerContext,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.context.onClustersChanged(() => this.controller.refresh(usesClusterGenerator));
    // Which Applications may be written depends on the projects they name.
    this.context.onProjectChanged(() => this.controller.refresh(() => true));
    await this.context.start();
    if (!this.config.leaderElection) {
      await this.controller.start();
      return;
    }
    this.elector = new LeaderElector(new ObjectClient(this.kubeConfig), {
      namespace: this.config.namespace,
      name: 'regatta-applicationset-controller',
      identity: this.config.identity,
      leaseDurationSeconds: 15,
      retryPeriodMs: 2000,
      onStartedLeading: () => {
        this.logger.info('became leader', { identity: this.config.identity });
        void this.controller.start();
      },
      onStoppedLeading: () => {
        this.logger.warn('lost leadership; stopping reconciles', { identity: this.config.identity });
        void this.controller.stop();
      },
    });
    await this.elector.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.elector?.stop();
    await this.controller.stop();
    await this.context.stop();
  }
}
