import { Module, type DynamicModule } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ControlNamespace } from '../control-namespace/control-namespace.js';
import { LOGGER, type Logger } from '../observability/logger.js';
import { ControllerMetrics } from '../observability/metrics.js';
import { ShardingRuntime, type ShardingOptions } from './sharding-runtime.js';

/** Which clusters and ApplicationSets this replica owns; the other parts act only on those. */
@Module({})
export class ShardingModule {
  static forRoot(options: ShardingOptions): DynamicModule {
    return {
      module: ShardingModule,
      global: true,
      providers: [
        {
          provide: ShardingRuntime,
          inject: [ControlNamespace, LOGGER, ControllerMetrics, SchedulerRegistry],
          useFactory: (controlNamespace: ControlNamespace, logger: Logger, metrics: ControllerMetrics, registry: SchedulerRegistry) => {
            const sharding = new ShardingRuntime(
              options,
              () => controlNamespace.clusters.records(),
              logger.child({ component: 'sharding' }),
              metrics,
              registry,
            );
            controlNamespace.onClustersChanged(() => sharding.clustersChanged());
            return sharding;
          },
        },
      ],
      exports: [ShardingRuntime],
    };
  }
}
