import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../api/meta.js';
import type { ObjectClient } from './object-client.js';

export type EventType = 'Normal' | 'Warning';

export interface EventSink {
  record(object: KubeObject, type: EventType, reason: string, message: string): void;
}

/**
 * Kubernetes Events for humans, as kubectl describe shows them. A repeat of the same event bumps
 * the existing Event's count instead of creating another. Failures to record are only logged:
 * an Event must never fail a reconcile.
 */
export class KubeEventRecorder implements EventSink {
  private readonly recent = new Map<string, { name: string; namespace: string; count: number; firstTimestamp: string }>();

  constructor(
    private readonly client: ObjectClient,
    private readonly component: string,
    private readonly onError: (message: string) => void = () => {},
  ) {}

  record(object: KubeObject, type: EventType, reason: string, message: string): void {
    void this.write(object, type, reason, message).catch((error: Error) => this.onError(`recording event ${reason} failed: ${error.message}`));
  }

  private async write(object: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const meta = object.metadata ?? {};
    const namespace = meta.namespace ?? 'default';
    const key = `${meta.uid}/${type}/${reason}/${message}`;
    const now = new Date().toISOString();
    const seen = this.recent.get(key);
    if (seen) {
      seen.count++;
      await this.client.mergePatch({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: seen.name, namespace: seen.namespace },
        count: seen.count,
        lastTimestamp: now,
      });
      return;
    }
    const name = `${meta.name}.${randomBytes(8).toString('hex')}`;
    if (this.recent.size > 1000) this.recent.clear();
    this.recent.set(key, { name, namespace, count: 1, firstTimestamp: now });
    await this.client.create({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: object.apiVersion,
        kind: object.kind,
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
      type,
      reason,
      message,
      source: { component: this.component },
      reportingComponent: this.component,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
    });
  }
}
