import { Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../app-config.js';
import type { ControllerContext } from '../appset/controller-context.js';
import type { KubeConfig } from '../kube/kube-config.js';
import type { Logger } from '../observability/logger.js';
import { APP_CONFIG, GENERATOR_CONTEXT, KUBE_CONFIG, LOGGER } from '../tokens.js';
import { SyncRuntime } from './sync-runtime.js';

/** The direct sync driver: on when it is chosen and Redis is configured (BullMQ needs it). */
@Module({})
export class SyncModule implements OnApplicationBootstrap, OnApplicationShutdown {
  private runtime?: SyncRuntime;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KUBE_CONFIG) private readonly kubeConfig: KubeConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(GENERATOR_CONTEXT) private readonly context: ControllerContext,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.syncDriver !== 'direct') return;
    if (!this.config.redisUrl) {
      this.logger.warn('direct sync driver off: REDIS_URL is not set, so Applications are left to Argo CD');
      return;
    }
    this.runtime = new SyncRuntime(
      this.kubeConfig,
      this.context,
      {
        redisUrl: this.config.redisUrl,
        namespaces: this.config.applicationSetNamespaces,
        replica: 'regatta',
        refreshIntervalMs: this.config.appResyncSeconds * 1000,
        sourcePollMs: this.config.sourcePollSeconds * 1000,
        concurrency: this.config.operationProcessors,
        refreshConcurrency: this.config.statusProcessors,
        lockDurationMs: this.config.syncLockSeconds * 1000,
      },
      this.logger.child({ controller: 'application' }),
    );
    await this.runtime.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime?.stop();
  }
}
