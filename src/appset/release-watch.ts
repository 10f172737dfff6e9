import type { RevisionResolver } from './release-revisions.js';

/** One (repository, revision, project) a pinned ApplicationSet releases from, and the commit its last reconcile resolved it to. */
interface ReleaseSource {
  repoURL: string;
  revision: string;
  project: string;
  commit: string;
}

/**
 * Regatta (`pinRevisions`): pinned Applications name commits, so nothing about them changes when
 * the branch their template names moves on, and no event reconciles their ApplicationSet. Each
 * pinned ApplicationSet's reconcile records the sources it resolved; a poll resolves them again
 * (each once, however many ApplicationSets share it) and names the ApplicationSets whose release moved.
 */
export class ReleaseWatch {
  private readonly byAppSet = new Map<string, Map<string, ReleaseSource>>();

  /** A resolver that notes what it resolves; `record` the notes once the reconcile has used them. */
  recording(resolve: RevisionResolver): { resolve: RevisionResolver; sources: Map<string, ReleaseSource> } {
    const sources = new Map<string, ReleaseSource>();
    return {
      sources,
      resolve: async (repoURL, revision, project) => {
        const commit = await resolve(repoURL, revision, project);
        sources.set(JSON.stringify([repoURL, revision, project]), { repoURL, revision, project, commit });
        return commit;
      },
    };
  }

  record(appSetKey: string, sources: Map<string, ReleaseSource>): void {
    if (sources.size) this.byAppSet.set(appSetKey, sources);
    else this.byAppSet.delete(appSetKey);
  }

  forget(appSetKey: string): void {
    this.byAppSet.delete(appSetKey);
  }

  /** The ApplicationSets one of whose sources names another commit now; a source that cannot be resolved is left to the reconcile to report. */
  async moved(resolve: RevisionResolver): Promise<string[]> {
    const now = new Map<string, Promise<string | undefined>>();
    const moved: string[] = [];
    for (const [appSetKey, sources] of this.byAppSet) {
      for (const [id, source] of sources) {
        let commit = now.get(id);
        if (!commit) now.set(id, (commit = resolve(source.repoURL, source.revision, source.project).catch(() => undefined)));
        const resolved = await commit;
        if (resolved !== undefined && resolved !== source.commit) {
          moved.push(appSetKey);
          break;
        }
      }
    }
    return moved;
  }
}
