import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomUUID } from 'node:crypto';
import { HELM_HOOK_ANNOTATION, HOOK_ANNOTATION } from '../api/annotations.js';
import { ApiError } from './api-error.js';
import { ApplyConflict, recordUpdate, serverSideApply } from './field-ownership.js';
import { validateObject } from './object-validation.js';
import { kindSchema } from './openapi-schemas.js';
import { apiVersionOf, builtInTypes, typesFromCrd, type ResourceType } from './resource-types.js';
import { storedForm } from './stored-form.js';

type Obj = Record<string, any>;

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  type: WatchEventType;
  object: Obj;
  resourceVersion: number;
  type_: ResourceType;
}

export interface WriteRecord {
  /** process.hrtime in nanoseconds, monotonic. */
  at: bigint;
  verb: string;
  kind: string;
  namespace?: string;
  name?: string;
  /** Which credential made the write (the token's name in the simulator) and the User-Agent. */
  identity: string;
  userAgent?: string;
  /** Who held the cluster's lease when the write arrived, when the fleet audits leases (`SimFleet.auditLeases`). */
  leaseHolder?: string;
}

/**
 * One server-side apply of an object an Argo CD Application tracks (its `app.kubernetes.io/instance`
 * label), changed or not: what the audit of syncs counts (a real API server's audit log sees
 * no-op applies too). Hooks are not recorded: they run with every sync and are not the
 * Application's resources, so a repeated sync is told by its resources alone.
 */
export interface ApplyRecord {
  at: bigint;
  /** The tracking label: the Application the object belongs to. */
  application: string;
  /** kind/namespace/name. */
  object: string;
  /** A digest of the applied body: equal for equal manifests. */
  content: string;
  /** Whether the apply changed the object. */
  changed: boolean;
  identity: string;
  userAgent?: string;
  leaseHolder?: string;
}

/** Fields the writes made within `writeAnnotations.run(fields, …)` are recorded with (the request that made them). */
export const writeAnnotations = new AsyncLocalStorage<Pick<WriteRecord, 'leaseHolder'>>();

/** The label Argo CD tracks the objects of an Application by. */
const TRACKING_LABEL = 'app.kubernetes.io/instance';

/**
 * One simulated cluster's objects: a monotonic resourceVersion, a bounded history of changes for
 * watches (older versions answer 410 Gone), uid/generation/creationTimestamp, finalizers and
 * deletionTimestamp, ownerReference garbage collection, status subresources, managedFields.
 */
export class ClusterStore {
  /** Objects by type (`apiVersion/plural/`), then by key: a list reads only its own type's objects. */
  private readonly objects = new Map<string, Map<string, Obj>>();
  private readonly history: WatchEvent[] = [];
  private readonly listeners = new Set<(event: WatchEvent) => void>();
  private readonly types = new Map<string, ResourceType>();
  private revision = 1;
  /** Inside `dryRun`: writes are worked out in full and answered, but nothing is kept, logged or watched. */
  private dryRunning = false;
  readonly writes: WriteRecord[] = [];
  readonly applies: ApplyRecord[] = [];

  constructor(
    readonly name: string,
    private readonly historyLimit = 10_000,
    private readonly writeLogLimit = 50_000,
  ) {
    for (const type of builtInTypes()) this.addType(type);
  }

  get resourceVersion(): number {
    return this.revision;
  }

  resourceTypes(): ResourceType[] {
    return [...this.types.values()];
  }

  addType(type: ResourceType): void {
    this.types.set(`${apiVersionOf(type)}/${type.plural}`, type);
  }

  typeFor(apiVersion: string, plural: string): ResourceType | undefined {
    return this.types.get(`${apiVersion}/${plural}`);
  }

  typeForKind(apiVersion: string, kind: string): ResourceType | undefined {
    return [...this.types.values()].find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
  }

  /** Runs a write as `?dryRun=All` asks: validated, defaulted and answered, never stored. */
  dryRun<T>(write: () => T): T {
    this.dryRunning = true;
    try {
      return write();
    } finally {
      this.dryRunning = false;
    }
  }

  oldestWatchableVersion(): number {
    return this.history.length ? this.history[0].resourceVersion - 1 : this.revision;
  }

  subscribe(listener: (event: WatchEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Changes after `resourceVersion` still in the window; undefined when it fell out (410 Gone). */
  changesSince(resourceVersion: number): WatchEvent[] | undefined {
    if (resourceVersion < this.oldestWatchableVersion()) return undefined;
    return this.history.filter((e) => e.resourceVersion > resourceVersion);
  }

  list(type: ResourceType, namespace?: string): Obj[] {
    const out: Obj[] = [];
    for (const object of this.objects.get(typeKey(type))?.values() ?? []) {
      if (namespace && object.metadata.namespace !== namespace) continue;
      out.push(object);
    }
    return out.sort((a, b) => (keyOf(type, a) < keyOf(type, b) ? -1 : 1));
  }

  get(type: ResourceType, namespace: string | undefined, name: string): Obj | undefined {
    return this.objects.get(typeKey(type))?.get(objectKey(type, namespace, name));
  }

  getOrFail(type: ResourceType, namespace: string | undefined, name: string): Obj {
    const object = this.get(type, namespace, name);
    if (!object) throw new ApiError(404, 'NotFound', `${resourceName(type)} "${name}" not found`, { name, group: type.group, kind: type.plural });
    return object;
  }

  create(type: ResourceType, namespace: string | undefined, body: Obj, identity: string, manager = 'unknown', userAgent?: string): Obj {
    const received = structuredClone(body);
    received.apiVersion = apiVersionOf(type);
    received.kind = type.kind;
    received.metadata ??= {};
    const object = storedForm(received);
    if (!object.metadata.name && object.metadata.generateName) object.metadata.name = `${object.metadata.generateName}${randomUUID().slice(0, 5)}`;
    if (type.namespaced) object.metadata.namespace = namespace ?? object.metadata.namespace;
    else delete object.metadata.namespace;
    validateObject(type, object);
    if (this.get(type, object.metadata.namespace, object.metadata.name)) {
      throw new ApiError(409, 'AlreadyExists', `${resourceName(type)} "${object.metadata.name}" already exists`, {
        name: object.metadata.name,
        group: type.group,
        kind: type.plural,
      });
    }
    if (type.statusSubresource && type.kind !== 'CustomResourceDefinition') delete object.status;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    object.metadata.uid = randomUUID();
    object.metadata.creationTimestamp = now;
    object.metadata.generation = 1;
    object.metadata.managedFields = recordUpdate(undefined, object, manager, object.apiVersion, now, undefined, kindSchema(this, type));
    return this.store(type, object, 'ADDED', { verb: 'create', identity, userAgent });
  }

  /**
   * Optimistic concurrency: a write that names a resourceVersion (a PUT's body, or a patch that
   * sets metadata.resourceVersion) applies only to that version of the object.
   */
  assertVersion(type: ResourceType, live: Obj, resourceVersion: unknown): void {
    if (resourceVersion === undefined || resourceVersion === null || resourceVersion === '' || String(resourceVersion) === live.metadata.resourceVersion)
      return;
    const name = live.metadata.name;
    throw new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${resourceName(type)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name, group: type.group, kind: type.plural },
    );
  }

  /** PUT: optimistic concurrency on resourceVersion; `status` ignored unless `subresource` is status. */
  replace(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: Obj,
    identity: string,
    subresource?: string,
    manager = 'unknown',
    userAgent?: string,
  ): Obj {
    const live = this.getOrFail(type, namespace, name);
    this.assertVersion(type, live, body.metadata?.resourceVersion);
    return this.update(type, live, structuredClone(body), identity, subresource, manager, userAgent, 'update');
  }

  /** Writes a new version of an existing object, keeping server-owned metadata. */
  update(
    type: ResourceType,
    live: Obj,
    next: Obj,
    identity: string,
    subresource: string | undefined,
    manager: string,
    userAgent: string | undefined,
    verb: string,
  ): Obj {
    next.apiVersion = live.apiVersion;
    next.kind = live.kind;
    next.metadata = { ...(next.metadata ?? {}) };
    for (const field of ['uid', 'creationTimestamp', 'namespace', 'name', 'deletionTimestamp', 'generation'] as const) {
      if (live.metadata[field] !== undefined) next.metadata[field] = live.metadata[field];
      else delete next.metadata[field];
    }
    if (subresource === 'status') {
      const status = next.status;
      next = { ...structuredClone(live), status };
    } else if (type.statusSubresource) next.status = structuredClone(live.status);
    next = storedForm(next);
    if (subresource !== 'status') validateObject(type, next);
    const specChanged = JSON.stringify(withoutMeta(live)) !== JSON.stringify(withoutMeta(next));
    if (specChanged && subresource !== 'status') next.metadata.generation = (live.metadata.generation ?? 1) + 1;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    if (verb !== 'apply') next.metadata.managedFields = recordUpdate(live, next, manager, live.apiVersion, now, subresource, kindSchema(this, type));
    // Nothing a reader sees changed: no new resourceVersion, no watch event (a no-op write is quiet).
    if (JSON.stringify(stripVolatile(live)) === JSON.stringify(stripVolatile(next)) && sameOwnership(live, next)) return live;
    // A finalizer removed from an object being deleted may complete its deletion.
    if (next.metadata.deletionTimestamp && !(next.metadata.finalizers ?? []).length) {
      this.store(type, next, 'MODIFIED', { verb, identity, userAgent });
      return this.remove(type, next, identity, userAgent);
    }
    return this.store(type, next, 'MODIFIED', { verb, identity, userAgent });
  }

  apply(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: Obj,
    manager: string,
    force: boolean,
    identity: string,
    userAgent?: string,
  ): Obj {
    if (!manager) throw new ApiError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    if (body.metadata?.name && body.metadata.name !== name)
      throw new ApiError(400, 'BadRequest', `the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
    const live = this.get(type, namespace, name);
    const applied = structuredClone(body);
    applied.metadata = { ...(applied.metadata ?? {}), name, ...(type.namespaced ? { namespace } : {}) };
    if (type.statusSubresource) delete applied.status;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    let result;
    try {
      result = serverSideApply(live, applied, manager, force, apiVersionOf(type), now, kindSchema(this, type));
    } catch (error) {
      if (error instanceof ApplyConflict) {
        throw new ApiError(409, 'Conflict', error.message, {
          name,
          group: type.group,
          kind: type.plural,
          causes: error.conflicts.map((c) => ({ type: 'FieldManagerConflict', message: `conflict with "${c.manager}"`, field: c.path })),
        });
      }
      throw error;
    }
    const object = result.object as Obj;
    object.metadata = { ...(object.metadata ?? {}), name, ...(type.namespaced ? { namespace } : {}), managedFields: result.managedFields };
    if (!live) {
      const created: Obj = storedForm({ ...object, apiVersion: apiVersionOf(type), kind: type.kind });
      validateObject(type, created);
      created.metadata.uid = randomUUID();
      created.metadata.creationTimestamp = now;
      created.metadata.generation = 1;
      const stored = this.store(type, created, 'ADDED', { verb: 'apply', identity, userAgent });
      this.recordApply(type, applied, true, identity, userAgent);
      return stored;
    }
    const stored = this.update(type, live, object, identity, undefined, manager, userAgent, 'apply');
    this.recordApply(type, applied, stored !== live, identity, userAgent);
    return stored;
  }

  private recordApply(type: ResourceType, applied: Obj, changed: boolean, identity: string, userAgent: string | undefined): void {
    if (this.dryRunning) return;
    const application = applied.metadata?.labels?.[TRACKING_LABEL];
    if (typeof application !== 'string') return;
    const annotations = applied.metadata?.annotations ?? {};
    if (annotations[HOOK_ANNOTATION] !== undefined || annotations[HELM_HOOK_ANNOTATION] !== undefined) return;
    this.applies.push({
      at: process.hrtime.bigint(),
      application,
      object: `${type.kind}/${applied.metadata.namespace ?? ''}/${applied.metadata.name}`,
      content: createHash('sha256').update(JSON.stringify(applied)).digest('hex').slice(0, 32),
      changed,
      identity,
      userAgent,
      ...writeAnnotations.getStore(),
    });
    if (this.applies.length > this.writeLogLimit) this.applies.splice(0, this.applies.length - this.writeLogLimit);
  }

  /** Marks for deletion (finalizers) or removes, then collects dependents by ownerReference. */
  delete(type: ResourceType, namespace: string | undefined, name: string, identity: string, propagation = 'Background', userAgent?: string): Obj {
    const live = this.getOrFail(type, namespace, name);
    const finalizers: string[] = [...(live.metadata.finalizers ?? [])];
    if (propagation === 'Foreground' && this.dependentsOf(live).length) finalizers.push('foregroundDeletion');
    if (finalizers.length) {
      if (live.metadata.deletionTimestamp) return live;
      const next = structuredClone(live);
      next.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      next.metadata.finalizers = [...new Set(finalizers)];
      const stored = this.store(type, next, 'MODIFIED', { verb: 'delete', identity, userAgent });
      if (propagation === 'Foreground') this.collectDependents(stored, identity, 'Foreground');
      return stored;
    }
    return this.remove(type, live, identity, userAgent, propagation);
  }

  private remove(type: ResourceType, live: Obj, identity: string, userAgent?: string, propagation = 'Background'): Obj {
    if (this.dryRunning) return structuredClone(live);
    this.objects.get(typeKey(type))?.delete(keyOf(type, live));
    const deleted = structuredClone(live);
    this.revision++;
    deleted.metadata.resourceVersion = String(this.revision);
    this.record({ verb: 'delete', identity, userAgent }, type, deleted);
    this.emit({ type: 'DELETED', object: deleted, resourceVersion: this.revision, type_: type });
    if (propagation !== 'Orphan') this.collectDependents(deleted, identity, propagation);
    else this.orphanDependents(deleted, identity);
    this.finishForegroundOwners(deleted, identity);
    return deleted;
  }

  private dependentsOf(owner: Obj): { type: ResourceType; object: Obj }[] {
    const found: { type: ResourceType; object: Obj }[] = [];
    for (const type of this.types.values()) {
      for (const object of this.objects.get(typeKey(type))?.values() ?? []) {
        if ((object.metadata.ownerReferences ?? []).some((r: Obj) => r.uid === owner.metadata.uid)) found.push({ type, object });
      }
    }
    return found;
  }

  /** The garbage collector: dependents whose only owners are gone are deleted too. */
  private collectDependents(owner: Obj, identity: string, propagation: string): void {
    for (const { type, object } of this.dependentsOf(owner)) {
      const others = (object.metadata.ownerReferences ?? []).filter((r: Obj) => r.uid !== owner.metadata.uid && this.anyObjectWithUid(r.uid));
      if (others.length) continue;
      if (this.get(type, object.metadata.namespace, object.metadata.name))
        this.delete(type, object.metadata.namespace, object.metadata.name, `${identity}/garbage-collector`, propagation);
    }
  }

  private orphanDependents(owner: Obj, identity: string): void {
    for (const { type, object } of this.dependentsOf(owner)) {
      const next = structuredClone(object);
      next.metadata.ownerReferences = (next.metadata.ownerReferences ?? []).filter((r: Obj) => r.uid !== owner.metadata.uid);
      if (!next.metadata.ownerReferences.length) delete next.metadata.ownerReferences;
      this.store(type, next, 'MODIFIED', { verb: 'update', identity: `${identity}/garbage-collector` });
    }
  }

  /** An owner waiting in foreground deletion goes once its blocking dependents are gone. */
  private finishForegroundOwners(deleted: Obj, identity: string): void {
    for (const ref of deleted.metadata.ownerReferences ?? []) {
      for (const type of this.types.values()) {
        const owner = this.list(type).find((o) => o.metadata.uid === ref.uid);
        if (!owner || !(owner.metadata.finalizers ?? []).includes('foregroundDeletion')) continue;
        if (this.dependentsOf(owner).length) continue;
        const next = structuredClone(owner);
        next.metadata.finalizers = next.metadata.finalizers.filter((f: string) => f !== 'foregroundDeletion');
        this.update(type, owner, next, `${identity}/garbage-collector`, undefined, 'garbage-collector', undefined, 'update');
      }
    }
  }

  private anyObjectWithUid(uid: string): boolean {
    for (const objects of this.objects.values()) for (const object of objects.values()) if (object.metadata.uid === uid) return true;
    return false;
  }

  private store(type: ResourceType, object: Obj, eventType: WatchEventType, write: Omit<WriteRecord, 'at' | 'kind' | 'namespace' | 'name'>): Obj {
    if (this.dryRunning) return object;
    this.revision++;
    object.metadata.resourceVersion = String(this.revision);
    let objects = this.objects.get(typeKey(type));
    if (!objects) this.objects.set(typeKey(type), (objects = new Map()));
    objects.set(keyOf(type, object), object);
    if (type.kind === 'CustomResourceDefinition') for (const served of typesFromCrd(object)) this.addType(served);
    this.record(write, type, object);
    this.emit({ type: eventType, object, resourceVersion: this.revision, type_: type });
    return object;
  }

  private record(write: Omit<WriteRecord, 'at' | 'kind' | 'namespace' | 'name'>, type: ResourceType, object: Obj): void {
    this.writes.push({
      at: process.hrtime.bigint(),
      kind: type.kind,
      namespace: object.metadata.namespace,
      name: object.metadata.name,
      ...write,
      ...writeAnnotations.getStore(),
    });
    if (this.writes.length > this.writeLogLimit) this.writes.splice(0, this.writes.length - this.writeLogLimit);
  }

  private emit(event: WatchEvent): void {
    this.history.push(event);
    if (this.history.length > this.historyLimit) this.history.splice(0, this.history.length - this.historyLimit);
    for (const listener of this.listeners) listener(event);
  }
}

const typeKey = (type: ResourceType) => `${apiVersionOf(type)}/${type.plural}/`;

function objectKey(type: ResourceType, namespace: string | undefined, name: string): string {
  return `${typeKey(type)}${type.namespaced ? (namespace ?? '') : ''}/${name}`;
}

function keyOf(type: ResourceType, object: Obj): string {
  return objectKey(type, object.metadata.namespace, object.metadata.name);
}

function resourceName(type: ResourceType): string {
  return type.group ? `${type.plural}.${type.group}` : type.plural;
}

function withoutMeta(object: Obj): Obj {
  const { metadata: _m, status: _s, ...rest } = object;
  return rest;
}

/** The object without what every write changes; only serialised, so the rest is shared, not copied. */
function stripVolatile(object: Obj): Obj {
  return { ...object, metadata: { ...object.metadata, resourceVersion: undefined, managedFields: undefined } };
}

function sameOwnership(a: Obj, b: Obj): boolean {
  const fields = (o: Obj) => JSON.stringify((o.metadata.managedFields ?? []).map((e: Obj) => ({ ...e, time: undefined })));
  return fields(a) === fields(b);
}
