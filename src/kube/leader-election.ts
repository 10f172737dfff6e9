import { SchedulerRegistry } from '@nestjs/schedule';
import type { KubeObject } from '../api/meta.js';
import { Loop } from '../lib/loop.js';
import { isConflict, statusCodeOf } from './api-errors.js';
import type { ObjectClient } from './object-client.js';

interface Lease extends KubeObject {
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  /** How often the holder renews, and a candidate retries; well under the lease duration. */
  retryPeriodMs: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  now?: () => Date;
  /** Where the retry timer lives (default: a registry of its own). */
  registry?: SchedulerRegistry;
}

/**
 * Leader election over a coordination.k8s.io/v1 Lease, as client-go does it: take the Lease when
 * it is free or expired, renew it while leading, and step down when a renewal fails. Writes use
 * the Lease's resourceVersion, so two candidates can never both win the same term.
 */
export class LeaderElector {
  /** Acquires or renews every retry period. */
  private readonly loop: Loop;
  private leading = false;

  constructor(
    private readonly client: ObjectClient,
    private readonly options: LeaderElectionOptions,
  ) {
    this.loop = new Loop({ name: 'leader-election', intervalMs: options.retryPeriodMs, registry: options.registry ?? new SchedulerRegistry() }, () =>
      this.attempt(),
    );
  }

  isLeader(): boolean {
    return this.leading;
  }

  async start(): Promise<void> {
    await this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    if (this.leading) this.setLeading(false);
  }

  /**
   * One attempt to acquire or renew, now, and whether this candidate leads after it; tests step the
   * election with it. While started, the attempt is the loop's, so stepping never adds a timer.
   */
  async tick(): Promise<boolean> {
    if (this.loop.started) await this.loop.trigger();
    else await this.attempt();
    return this.leading;
  }

  private async attempt(): Promise<void> {
    let acquired: boolean;
    try {
      acquired = await this.tryAcquireOrRenew();
    } catch {
      acquired = false;
    }
    if (acquired !== this.leading) this.setLeading(acquired);
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    if (leading) this.options.onStartedLeading();
    else this.options.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationSeconds } = this.options;
    const now = (this.options.now ?? (() => new Date()))();
    const stamp = now.toISOString().replace('Z', '000Z');
    const current = await this.client.get<Lease>('coordination.k8s.io/v1', 'Lease', namespace, name);
    if (!current) {
      try {
        await this.client.create<Lease>({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: stamp, renewTime: stamp, leaseTransitions: 0 },
        });
        return true;
      } catch (error) {
        if (statusCodeOf(error) === 409) return false;
        throw error;
      }
    }
    const spec = current.spec ?? {};
    const renewed = spec.renewTime ? Date.parse(spec.renewTime) : 0;
    const expired = renewed + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 < now.getTime();
    const mine = spec.holderIdentity === identity;
    if (!mine && !expired && spec.holderIdentity) return false;
    const next: Lease = {
      ...current,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds,
        renewTime: stamp,
        ...(mine ? {} : { acquireTime: stamp, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }),
      },
    };
    try {
      await this.client.replace(next);
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }
}
