import type { SchedulerRegistry } from '@nestjs/schedule';
import type { KubeConfig } from '../kube/kube-config.js';
import { LeaderElector } from '../kube/leader-election.js';
import { ObjectClient } from '../kube/object-client.js';
import type { Logger } from '../observability/logger.js';
import type { ApplicationSetController } from './applicationset-controller.js';

export interface LeaderElectionOptions {
  /** Where the Lease lives: Argo CD's namespace. */
  namespace: string;
  identity: string;
}

const LEASE_NAME = 'regatta-applicationset-controller';

/**
 * Runs the ApplicationSet controller on this replica: at once, or, with leader election (Argo CD's
 * --enable-leader-election), only while this replica holds the Lease.
 */
export class ApplicationSetLeadership {
  private elector?: LeaderElector;

  constructor(
    private readonly controller: ApplicationSetController,
    private readonly kubeConfig: KubeConfig,
    private readonly election: LeaderElectionOptions | undefined,
    private readonly logger: Logger,
    private readonly registry?: SchedulerRegistry,
  ) {}

  async start(): Promise<void> {
    if (!this.election) {
      await this.controller.start();
      return;
    }
    const { namespace, identity } = this.election;
    this.elector = new LeaderElector(new ObjectClient(this.kubeConfig), {
      namespace,
      name: LEASE_NAME,
      identity,
      leaseDurationSeconds: 15,
      retryPeriodMs: 2000,
      registry: this.registry,
      onStartedLeading: () => {
        this.logger.info('became leader', { identity });
        void this.controller.start();
      },
      onStoppedLeading: () => {
        this.logger.warn('lost leadership; stopping reconciles', { identity });
        void this.controller.stop();
      },
    });
    await this.elector.start();
  }

  async stop(): Promise<void> {
    await this.elector?.stop();
    await this.controller.stop();
  }
}
