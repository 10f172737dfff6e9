import type { Application } from '../api/application.js';

/**
 * The Applications an informer holds, grouped by the ApplicationSet their controller
 * ownerReference names (`namespace/name`), kept current from the informer's events, so that
 * each reconcile reads its own Applications instead of filtering the whole namespace.
 */
export class OwnershipIndex {
  private readonly byOwner = new Map<string, Map<string, Application>>();
  private readonly ownerOf = new Map<string, string>();

  /** Records an added, changed or deleted Application; returns its owner's key, if it has one. */
  track(application: Application, deleted: boolean): string | undefined {
    const namespace = application.metadata.namespace ?? '';
    const self = `${namespace}/${application.metadata.name}`;
    const ref = application.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'ApplicationSet');
    const owner = ref && `${namespace}/${ref.name}`;
    const previous = this.ownerOf.get(self);
    if (previous !== undefined && (previous !== owner || deleted)) {
      this.byOwner.get(previous)?.delete(self);
      if (this.byOwner.get(previous)?.size === 0) this.byOwner.delete(previous);
      this.ownerOf.delete(self);
    }
    if (owner && !deleted) {
      let owned = this.byOwner.get(owner);
      if (!owned) this.byOwner.set(owner, (owned = new Map()));
      owned.set(self, application);
      this.ownerOf.set(self, owner);
    }
    return owner;
  }

  /** The version of this Application last tracked under an owner (what an update replaces). */
  tracked(application: Application): Application | undefined {
    const self = `${application.metadata.namespace ?? ''}/${application.metadata.name}`;
    const owner = this.ownerOf.get(self);
    return owner === undefined ? undefined : this.byOwner.get(owner)?.get(self);
  }

  /** The Applications of `namespace` whose controller ownerReference names `owner`. */
  owned(namespace: string, owner: string): Application[] {
    return [...(this.byOwner.get(`${namespace}/${owner}`)?.values() ?? [])];
  }
}
