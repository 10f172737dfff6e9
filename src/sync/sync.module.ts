import { Module, type DynamicModule } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ControlNamespace } from '../control-namespace/control-namespace.js';
import { KUBE_CONFIG, type KubeConfig } from '../kube/kube-config.js';
import { SharedInformers } from '../kube/shared-informers.js';
import { LOGGER, type Logger } from '../observability/logger.js';
import { ControllerMetrics } from '../observability/metrics.js';
import { ShardingRuntime } from '../sharding/sharding-runtime.js';
import { SyncRuntime, type SyncRuntimeOptions } from './sync-runtime.js';

/** The direct driver's settings; without them it is off and Argo CD's application controller syncs (`offWarning` says why, when that is a surprise). */
export interface SyncModuleOptions {
  runtime?: Omit<SyncRuntimeOptions, 'shards' | 'fence' | 'registry' | 'metrics' | 'informers'>;
  offWarning?: string;
}

/** The Nest token of this replica's SyncRuntime, null when the direct driver is off. */
export const SYNC_RUNTIME = Symbol('SYNC_RUNTIME');

/** The direct sync driver: Regatta as Argo CD's application controller for the clusters this replica owns. */
@Module({})
export class SyncModule {
  static forRoot(options: SyncModuleOptions): DynamicModule {
    return {
      module: SyncModule,
      providers: [
        {
          provide: SYNC_RUNTIME,
          inject: [KUBE_CONFIG, ControlNamespace, ShardingRuntime, LOGGER, SchedulerRegistry, ControllerMetrics, SharedInformers],
          useFactory: (
            kubeConfig: KubeConfig,
            controlNamespace: ControlNamespace,
            sharding: ShardingRuntime,
            logger: Logger,
            registry: SchedulerRegistry,
            metrics: ControllerMetrics,
            informers: SharedInformers,
          ): SyncRuntime | null => {
            if (!options.runtime) {
              if (options.offWarning) logger.warn(options.offWarning);
              return null;
            }
            const runtime = { ...options.runtime, shards: sharding.view, fence: sharding.fence, registry, metrics, informers };
            return new SyncRuntime(kubeConfig, controlNamespace, runtime, logger.child({ controller: 'application' }));
          },
        },
      ],
      exports: [SYNC_RUNTIME],
    };
  }
}
