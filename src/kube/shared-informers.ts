import type { KubeObject } from '../api/meta.js';
import type { KubeConfig } from './kube-config.js';
import { collectionPath, KubeInformer, type InformerEvent, type InformerSource } from './informer.js';

/** What a controller reads a collection through: its own handlers, started and stopped on its own schedule. */
export interface InformerView<T extends KubeObject> {
  on(event: InformerEvent, handler: (object: T) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  hasSynced(): boolean;
  list(namespace?: string): T[];
  get(name: string, namespace?: string): T | undefined;
}

/**
 * One list+watch per collection for the whole process, as client-go's shared informers: the
 * ApplicationSet controller and the application controller both follow every Application, and two
 * caches of a large fleet cost twice the memory and every watch event parsed twice. Each consumer
 * gets a view whose handlers hear events only while that view is started; a view started after the
 * cache is filled first hears an `add` for each object already held. Cached objects carry no
 * managedFields.
 */
export class SharedInformers {
  private readonly shared = new Map<string, SharedCollection<KubeObject>>();

  constructor(
    private readonly config: KubeConfig,
    private readonly onError: (message: string) => void = () => {},
  ) {}

  view<T extends KubeObject>(source: InformerSource, plural: string): InformerView<T> {
    const key = `${collectionPath(source, plural)}?${source.labelSelector ?? ''}`;
    let collection = this.shared.get(key);
    if (!collection)
      this.shared.set(key, (collection = new SharedCollection(new KubeInformer<KubeObject>(this.config, source, plural, this.onError), this.onError)));
    return new CollectionView(collection as unknown as SharedCollection<T>);
  }
}

class SharedCollection<T extends KubeObject> {
  private readonly started = new Set<CollectionView<T>>();
  private running?: Promise<void>;
  /** The first list has been delivered: a view joining now has missed its `add`s. */
  private filled = false;

  constructor(
    readonly informer: KubeInformer<T>,
    onError: (message: string) => void,
  ) {
    // Before any view sees it: no controller reads managedFields, and an object several managers write carries a long list of them.
    const trim = (object: T) => object.metadata && delete (object.metadata as { managedFields?: unknown }).managedFields;
    informer.on('add', trim);
    informer.on('update', trim);
    // One controller's failing handler must not keep the event from the others.
    const hear = (view: CollectionView<T>, event: InformerEvent, object: T) => {
      try {
        view.hear(event, object);
      } catch (error) {
        onError(`a handler of ${event} ${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''} failed: ${(error as Error).message}`);
      }
    };
    for (const event of ['add', 'update', 'delete'] as const) informer.on(event, (object) => this.started.forEach((view) => hear(view, event, object)));
  }

  async join(view: CollectionView<T>): Promise<void> {
    const missed = this.filled;
    this.started.add(view);
    this.running ??= this.informer.start().then(
      () => {
        this.filled = true;
      },
      (error: unknown) => {
        // The next view to start tries again.
        this.running = undefined;
        throw error;
      },
    );
    await this.running;
    if (missed) for (const object of this.informer.list()) view.hear('add', object);
  }

  async leave(view: CollectionView<T>): Promise<void> {
    this.started.delete(view);
    if (this.started.size || !this.running) return;
    this.running = undefined;
    this.filled = false;
    await this.informer.stop();
  }
}

class CollectionView<T extends KubeObject> implements InformerView<T> {
  private readonly handlers: Record<InformerEvent, ((object: T) => void)[]> = { add: [], update: [], delete: [] };
  private started = false;

  constructor(private readonly collection: SharedCollection<T>) {}

  on(event: InformerEvent, handler: (object: T) => void): void {
    this.handlers[event].push(handler);
  }

  hear(event: InformerEvent, object: T): void {
    for (const handler of this.handlers[event]) handler(object);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.collection.join(this);
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.collection.leave(this);
  }

  hasSynced(): boolean {
    return this.started && this.collection.informer.hasSynced();
  }

  list(namespace?: string): T[] {
    return this.collection.informer.list(namespace);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.collection.informer.get(name, namespace);
  }
}
