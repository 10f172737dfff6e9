import type { Application, ApplicationSource } from '../api/application.js';
import { keyOf } from './application-client.js';
import { hasMultipleSources, sourcesOf } from './application-sources.js';

/** Per project too: each project reads the repository with its own credentials; per chart, since one Helm repository holds many. */
const sourceKey = (source: ApplicationSource, project: string) =>
  JSON.stringify([source.repoURL, source.targetRevision ?? 'HEAD', project, source.chart ?? '']);

/** The Application's sources, in order, each as the key it is tracked by. */
const sourceKeysOf = (application: Application) => sourcesOf(application).map((source) => sourceKey(source, application.spec.project ?? ''));

/** The commit each source was compared at: `revisions` of a multi-source Application, else `revision`. */
function comparedRevisions(application: Application): (string | undefined)[] {
  const sync = application.status?.sync;
  return hasMultipleSources(application) ? (sync?.revisions ?? []) : [sync?.revision];
}

/**
 * The Applications grouped by the sources they track (every source of a multi-source Application),
 * kept current from the watch, with those whose last comparison is behind the commit one of their
 * sources was last resolved to. A poll of the sources then costs one lookup per source and touches
 * only the Applications behind, not the fleet.
 */
export class MovedSources {
  /** source → Application key → the Application as last seen. */
  private readonly bySource = new Map<string, Map<string, Application>>();
  private readonly sourcesOf = new Map<string, string[]>();
  /** source → the commit it was last resolved to. */
  private readonly resolved = new Map<string, string>();
  private readonly behind = new Map<string, Application>();

  /** An Application was added or changed. */
  seen(application: Application): void {
    const key = keyOf(application);
    const sources = sourceKeysOf(application);
    const previous = this.sourcesOf.get(key);
    if (previous !== undefined && JSON.stringify(previous) !== JSON.stringify(sources)) this.forget(application);
    if (sources.length === 0) return;
    for (const source of sources) {
      let members = this.bySource.get(source);
      if (!members) this.bySource.set(source, (members = new Map()));
      members.set(key, application);
    }
    this.sourcesOf.set(key, sources);
    this.judge(key, application);
  }

  /** An Application was deleted. */
  forget(application: Application): void {
    const key = keyOf(application);
    const sources = this.sourcesOf.get(key) ?? [];
    this.sourcesOf.delete(key);
    this.behind.delete(key);
    for (const source of sources) {
      const members = this.bySource.get(source);
      members?.delete(key);
      if (members?.size === 0) {
        this.bySource.delete(source);
        this.resolved.delete(source);
      }
    }
  }

  /** Each source once, with one Application of it, to resolve the source's commit as its project may. */
  sources(): [key: string, application: Application, source: ApplicationSource][] {
    return [...this.bySource].map(([key, members]) => {
      const application = members.values().next().value!;
      return [key, application, sourcesOf(application)[this.sourcesOf.get(keyOf(application))!.indexOf(key)]];
    });
  }

  /** The source now names `revision`: its Applications compared with another commit are behind. */
  resolvedTo(source: string, revision: string): void {
    if (this.resolved.get(source) === revision) return;
    this.resolved.set(source, revision);
    for (const [key, application] of this.bySource.get(source) ?? []) this.judge(key, application);
  }

  /** The Applications compared with another commit than one of their sources names now, but for the sources left out. */
  behindNow(except: ReadonlySet<string> = new Set()): Application[] {
    return [...this.behind].filter(([key]) => !this.sourcesOf.get(key)!.some((source) => except.has(source))).map(([, application]) => application);
  }

  private judge(key: string, application: Application): void {
    const compared = comparedRevisions(application);
    const moved = this.sourcesOf.get(key)!.some((source, i) => {
      const revision = this.resolved.get(source);
      return revision !== undefined && compared[i] !== revision;
    });
    if (moved) this.behind.set(key, application);
    else this.behind.delete(key);
  }
}
