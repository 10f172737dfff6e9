import { Module, type DynamicModule } from '@nestjs/common';
import { KUBE_CONFIG, type KubeConfig } from '../kube/kube-config.js';
import { LOGGER, type Logger } from '../observability/logger.js';
import { ControllerMetrics } from '../observability/metrics.js';
import { ScmApiMetrics } from '../scm/scm-metrics.js';
import { ControlNamespace, type ControlNamespaceOptions } from './control-namespace.js';

/** Argo CD's control namespace, watched once per process and shared by every part that reads it. */
@Module({})
export class ControlNamespaceModule {
  static forRoot(options: ControlNamespaceOptions): DynamicModule {
    return {
      module: ControlNamespaceModule,
      global: true,
      providers: [
        {
          provide: ControlNamespace,
          inject: [KUBE_CONFIG, LOGGER, ControllerMetrics],
          useFactory: (kubeConfig: KubeConfig, logger: Logger, metrics: ControllerMetrics) =>
            new ControlNamespace(kubeConfig, options, logger, ScmApiMetrics.of(metrics.registry, { githubApiMetrics: options.githubApiMetrics === true })),
        },
      ],
      exports: [ControlNamespace],
    };
  }
}
