import { Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../app-config.js';
import { AppSetModule } from '../appset/appset.module.js';
import { ApplicationSetController } from '../appset/applicationset-controller.js';
import type { ControllerContext } from '../appset/controller-context.js';
import type { Logger } from '../observability/logger.js';
import { ControllerMetrics } from '../observability/metrics.js';
import { APP_CONFIG, GENERATOR_CONTEXT, LOGGER } from '../tokens.js';
import { ShardingRuntime } from './sharding-runtime.js';

/** Which clusters and ApplicationSets this replica owns; the sync module acts only on those. */
@Module({
  imports: [AppSetModule],
  providers: [
    {
      provide: ShardingRuntime,
      inject: [APP_CONFIG, GENERATOR_CONTEXT, ApplicationSetController, LOGGER, ControllerMetrics],
      useFactory: (config: AppConfig, context: ControllerContext, controller: ApplicationSetController, logger: Logger, metrics: ControllerMetrics) =>
        new ShardingRuntime(config, () => context.clusters.records(), controller, logger.child({ component: 'sharding' }), metrics),
    },
  ],
  exports: [ShardingRuntime],
})
export class ShardingModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(ShardingRuntime) private readonly sharding: ShardingRuntime,
    @Inject(GENERATOR_CONTEXT) private readonly context: ControllerContext,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.context.onClustersChanged(() => this.sharding.clustersChanged());
    await this.sharding.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sharding.stop();
  }
}
