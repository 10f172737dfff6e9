import type { KubeObject } from '../api/meta.js';

const version = (object: KubeObject | undefined) => {
  const rv = object?.metadata?.resourceVersion;
  return rv && /^\d+$/.test(rv) ? BigInt(rv) : undefined;
};

/**
 * What this process last wrote, laid over an informer's cache until the watch catches up (Argo CD's
 * cacheSyncingClient does the same). Without it a reconcile woken by another object's event reads
 * its own previous write as if it never happened. resourceVersions are compared as the integers
 * etcd (and the simulator) make them; anything else defers to the cache.
 */
export class RecentWrites<T extends KubeObject> {
  private readonly written = new Map<string, T>();

  private key(namespace: string | undefined, name: string): string {
    return `${namespace ?? ''}/${name}`;
  }

  remember(object: T): void {
    this.written.set(this.key(object.metadata?.namespace, object.metadata?.name ?? ''), object);
  }

  /** The cached object, or the written one when it is newer. */
  get(cached: T | undefined, namespace: string | undefined, name: string): T | undefined {
    const key = this.key(namespace, name);
    const written = this.written.get(key);
    if (!written) return cached;
    const ours = version(written);
    const theirs = version(cached);
    if (ours !== undefined && (theirs === undefined || ours > theirs) && cached) return written;
    this.written.delete(key);
    return cached;
  }

  list(cached: T[]): T[] {
    return cached.map((object) => this.get(object, object.metadata?.namespace, object.metadata?.name ?? '')!);
  }
}
