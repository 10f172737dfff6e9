import type { Application } from '../api/application.js';
import { keyOf } from './application-client.js';

/** Per project too: each project reads the repository with its own credentials. */
const sourceKeyOf = (application: Application) => {
  const source = application.spec.source;
  return source ? JSON.stringify([source.repoURL, source.targetRevision ?? 'HEAD', application.spec.project ?? '']) : undefined;
};

/**
 * The Applications grouped by the source they track, kept current from the watch, with those whose
 * last comparison is behind the commit their source was last resolved to. A poll of the sources
 * then costs one lookup per source and touches only the Applications behind, not the fleet.
 */
export class MovedSources {
  /** source → Application key → the Application as last seen. */
  private readonly bySource = new Map<string, Map<string, Application>>();
  private readonly sourceOf = new Map<string, string>();
  /** source → the commit it was last resolved to. */
  private readonly resolved = new Map<string, string>();
  private readonly behind = new Map<string, Application>();

  /** An Application was added or changed. */
  seen(application: Application): void {
    const key = keyOf(application);
    const source = sourceKeyOf(application);
    const previous = this.sourceOf.get(key);
    if (previous !== undefined && previous !== source) this.forget(application);
    if (source === undefined) return;
    let members = this.bySource.get(source);
    if (!members) this.bySource.set(source, (members = new Map()));
    members.set(key, application);
    this.sourceOf.set(key, source);
    this.judge(key, application, this.resolved.get(source));
  }

  /** An Application was deleted. */
  forget(application: Application): void {
    const key = keyOf(application);
    const source = this.sourceOf.get(key);
    this.sourceOf.delete(key);
    this.behind.delete(key);
    if (source === undefined) return;
    const members = this.bySource.get(source);
    members?.delete(key);
    if (members?.size === 0) {
      this.bySource.delete(source);
      this.resolved.delete(source);
    }
  }

  /** One Application of each source, to resolve the source's commit as its project may. */
  sources(): [source: string, application: Application][] {
    return [...this.bySource].map(([source, members]) => [source, members.values().next().value!]);
  }

  /** The source now names `revision`: its Applications compared with another commit are behind. */
  resolvedTo(source: string, revision: string): void {
    if (this.resolved.get(source) === revision) return;
    this.resolved.set(source, revision);
    for (const [key, application] of this.bySource.get(source) ?? []) this.judge(key, application, revision);
  }

  /** The Applications compared with another commit than their source names now, but for those of the sources left out. */
  behindNow(except: ReadonlySet<string> = new Set()): Application[] {
    return [...this.behind].filter(([key]) => !except.has(this.sourceOf.get(key)!)).map(([, application]) => application);
  }

  private judge(key: string, application: Application, revision: string | undefined): void {
    if (revision !== undefined && application.status?.sync?.revision !== revision) this.behind.set(key, application);
    else this.behind.delete(key);
  }
}
