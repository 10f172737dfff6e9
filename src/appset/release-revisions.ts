import type { Application } from '../api/application.js';
import type { RepositoryReader } from '../generators/generator.js';
import { isPinnable, sourcesOf } from '../rollout/revision-pins.js';

/** Resolves a revision (branch, tag, HEAD or SHA) of a repository to the commit it names now, read as `project` may. */
export type RevisionResolver = (repoURL: string, revision: string, project: string) => Promise<string>;

/** Resolves through a repository cache, reusing the remote's refs for `maxAgeMs`; fails when the reader cannot resolve. */
export function revisionResolver(repositories: RepositoryReader, maxAgeMs: number): RevisionResolver {
  return (repoURL, revision, project) => {
    if (!repositories.resolveRevision) return Promise.reject(new Error('revisions cannot be resolved here'));
    return repositories.resolveRevision(repoURL, revision, maxAgeMs, project);
  };
}

/** A release could not be resolved: names the Application and the source field. */
export class ReleaseResolutionError extends Error {}

/**
 * Regatta (`pinRevisions`): the commit each generated Application's Git sources name now, by
 * Application. Each (repository, revision, project) is resolved once however many Applications
 * share it; a Helm chart's version is kept as it is.
 */
export async function resolveReleaseRevisions(applications: Application[], resolve: RevisionResolver): Promise<Map<string, string[]>> {
  const commits = new Map<string, Promise<string>>();
  const releases = new Map<string, string[]>();
  for (const application of applications) {
    const project = application.spec.project ?? '';
    const revisions = await Promise.all(
      sourcesOf(application).map(async (source, index) => {
        const revision = source.targetRevision || 'HEAD';
        if (!isPinnable(source)) return revision;
        const key = JSON.stringify([source.repoURL, revision, project]);
        let commit = commits.get(key);
        if (!commit) {
          commit = resolve(source.repoURL, revision, project);
          commits.set(key, commit);
        }
        try {
          return await commit;
        } catch (error) {
          const field = application.spec.sources ? `spec.sources[${index}].targetRevision` : 'spec.source.targetRevision';
          throw new ReleaseResolutionError(
            `Application ${application.metadata.name}: ${field}: cannot pin revision '${revision}': ${(error as Error).message}`,
          );
        }
      }),
    );
    releases.set(application.metadata.name, revisions);
  }
  return releases;
}
