import * as k8s from '@kubernetes/client-node';
import type { KubeObject } from '../api/meta.js';
import { describeKubeError } from './api-errors.js';
import { ObjectApi } from './object-client.js';
import type { KubeConfig } from './kube-config.js';

export interface InformerSource {
  apiVersion: string;
  kind: string;
  /** Omitted for all namespaces (and for cluster-scoped kinds). */
  namespace?: string;
  labelSelector?: string;
}

/** The REST path of a collection, as the watch needs it. */
export function collectionPath(source: InformerSource, plural: string): string {
  const base = source.apiVersion.includes('/') ? `/apis/${source.apiVersion}` : `/api/${source.apiVersion}`;
  return source.namespace ? `${base}/namespaces/${source.namespace}/${plural}` : `${base}/${plural}`;
}

export type InformerEvent = 'add' | 'update' | 'delete';

/**
 * A list+watch cache over client-node's informer. client-node relists on 410 Gone by itself but
 * stops on any other error; this wrapper restarts it with capped exponential backoff, so a
 * flapping API server only delays events.
 */
export class KubeInformer<T extends KubeObject> {
  private readonly informer: k8s.Informer<k8s.KubernetesObject> & k8s.ObjectCache<k8s.KubernetesObject>;
  private stopped = false;
  private restartDelayMs: number;
  private restartTimer?: NodeJS.Timeout;
  private synced = false;
  private readonly path: string;

  constructor(
    config: KubeConfig,
    source: InformerSource,
    plural: string,
    private readonly onError: (message: string) => void = () => {},
    private readonly backoff = { initialMs: 200, maxMs: 10_000 },
  ) {
    this.restartDelayMs = backoff.initialMs;
    const objects = ObjectApi.forConfig(config);
    const path = collectionPath(source, plural);
    const list = () => objects.list(source.apiVersion, source.kind, source.namespace, undefined, undefined, undefined, undefined, source.labelSelector);
    this.informer = k8s.makeInformer(config, path, list as unknown as k8s.ListPromise<k8s.KubernetesObject>, source.labelSelector);
    this.path = path;
    this.informer.on(k8s.CONNECT, () => {
      this.synced = true;
    });
    this.informer.on(k8s.ERROR, (error) => {
      this.synced = false;
      if (this.stopped) return;
      this.onError(`watch of ${this.path} failed: ${describeKubeError(error)}; retrying in ${this.restartDelayMs} ms`);
      this.restartTimer = setTimeout(() => {
        this.restartDelayMs = Math.min(this.restartDelayMs * 2, this.backoff.maxMs);
        this.informer.start().catch(() => {});
      }, this.restartDelayMs);
    });
  }

  on(event: InformerEvent, handler: (object: T) => void): void {
    this.informer.on(event, handler as (object: k8s.KubernetesObject) => void);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.informer.start();
    this.restartDelayMs = this.backoff.initialMs;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.informer.stop();
  }

  hasSynced(): boolean {
    return this.synced;
  }

  list(namespace?: string): T[] {
    return this.informer.list(namespace) as T[];
  }

  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace) as T | undefined;
  }
}
