import { describe, expect, it } from 'vitest';
import type { RevisionResolver } from '../../src/appset/release-revisions.js';
import { ReleaseWatch } from '../../src/appset/release-watch.js';

/** A remote whose branches the test moves; counts the questions it is asked. */
function remote(branches: Record<string, string>) {
  const asked: string[] = [];
  const resolve: RevisionResolver = async (repoURL, revision, project) => {
    asked.push(`${repoURL}@${revision}/${project}`);
    const commit = branches[`${repoURL}@${revision}`];
    if (!commit) throw new Error(`unable to resolve '${revision}'`);
    return commit;
  };
  return { branches, asked, resolve };
}

async function reconcile(watch: ReleaseWatch, appSet: string, resolve: RevisionResolver, sources: [string, string, string][]): Promise<void> {
  const recording = watch.recording(resolve);
  for (const [repoURL, revision, project] of sources) await recording.resolve(repoURL, revision, project);
  watch.record(appSet, recording.sources);
}

describe('the release branches pinned ApplicationSets are watched on', () => {
  it('names the ApplicationSets whose branch moved, asking once per source however many share it', async () => {
    const git = remote({ 'https://git/apps.git@main': 'a'.repeat(40), 'https://git/infra.git@release': 'b'.repeat(40) });
    const watch = new ReleaseWatch();
    await reconcile(watch, 'argocd/apps-eu', git.resolve, [['https://git/apps.git', 'main', 'team']]);
    await reconcile(watch, 'argocd/apps-us', git.resolve, [['https://git/apps.git', 'main', 'team']]);
    await reconcile(watch, 'argocd/infra', git.resolve, [['https://git/infra.git', 'release', 'platform']]);
    git.asked.length = 0;

    expect(await watch.moved(git.resolve)).toEqual([]);
    git.branches['https://git/apps.git@main'] = 'c'.repeat(40);
    git.asked.length = 0;
    expect((await watch.moved(git.resolve)).sort()).toEqual(['argocd/apps-eu', 'argocd/apps-us']);
    expect(git.asked.sort()).toEqual(['https://git/apps.git@main/team', 'https://git/infra.git@release/platform']);
  });

  it('stops watching what an ApplicationSet no longer pins, and leaves an unresolvable branch to the reconcile', async () => {
    const git = remote({ 'https://git/apps.git@main': 'a'.repeat(40) });
    const watch = new ReleaseWatch();
    await reconcile(watch, 'argocd/apps', git.resolve, [['https://git/apps.git', 'main', 'team']]);
    delete git.branches['https://git/apps.git@main'];
    expect(await watch.moved(git.resolve)).toEqual([]);

    git.branches['https://git/apps.git@main'] = 'c'.repeat(40);
    watch.forget('argocd/apps');
    expect(await watch.moved(git.resolve)).toEqual([]);
    await reconcile(watch, 'argocd/apps', git.resolve, []);
    expect(await watch.moved(git.resolve)).toEqual([]);
  });
});
