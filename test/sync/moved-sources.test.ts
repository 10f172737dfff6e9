import { describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import { MovedSources } from '../../src/sync/moved-sources.js';

const app = (name: string, comparedWith?: string, repoURL = 'https://git/fleet.git', project = 'default'): Application => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name, namespace: 'argocd' },
  spec: { project, source: { repoURL, targetRevision: 'main', path: name }, destination: { server: 'https://c1', namespace: name } },
  ...(comparedWith ? { status: { sync: { status: 'Synced', revision: comparedWith } } } : {}),
});
const names = (applications: Application[]) => applications.map((a) => a.metadata.name).sort();

describe('MovedSources', () => {
  it('a push makes the Applications of that source behind, until each is compared with the new commit', () => {
    const moved = new MovedSources();
    for (const a of [app('a', 'c1'), app('b', 'c1'), app('other', 'x1', 'https://git/other.git')]) moved.seen(a);
    // One Application per source (and per project) to resolve it with.
    expect(moved.sources().map(([, a]) => a.metadata.name)).toEqual(['a', 'other']);
    const [fleet, other] = moved.sources().map(([source]) => source);
    moved.resolvedTo(fleet, 'c1');
    moved.resolvedTo(other, 'x1');
    expect(moved.behindNow()).toEqual([]);

    moved.resolvedTo(fleet, 'c2');
    expect(names(moved.behindNow())).toEqual(['a', 'b']);
    moved.seen(app('a', 'c2'));
    expect(names(moved.behindNow())).toEqual(['b']);
    // A source that could not be resolved this time is left out.
    expect(moved.behindNow(new Set([fleet]))).toEqual([]);
    moved.forget(app('b'));
    expect(moved.behindNow()).toEqual([]);
  });

  it('an Application moved to another source is judged against that one; the same repository in another project is another source', () => {
    const moved = new MovedSources();
    moved.seen(app('a', 'c1'));
    moved.seen(app('t', 'c1', 'https://git/fleet.git', 'tenant'));
    expect(moved.sources()).toHaveLength(2);
    const [fleet] = moved.sources()[0];
    moved.resolvedTo(fleet, 'c2');
    expect(names(moved.behindNow())).toEqual(['a']);
    moved.seen(app('a', 'c1', 'https://git/elsewhere.git'));
    expect(moved.behindNow()).toEqual([]);
    expect(moved.sources().map(([, a]) => a.spec.source?.repoURL)).toEqual(['https://git/fleet.git', 'https://git/elsewhere.git']);
  });

  it('a multi-source Application is behind once any of its sources moves past the commit its `revisions` hold for it', () => {
    const moved = new MovedSources();
    const twoSources = (revisions: string[]): Application => ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'shop', namespace: 'argocd' },
      spec: {
        project: 'default',
        sources: [
          { repoURL: 'https://git/charts.git', targetRevision: 'main', path: 'web' },
          { repoURL: 'https://git/values.git', targetRevision: 'main', ref: 'values' },
        ],
        destination: { server: 'https://c1', namespace: 'shop' },
      },
      status: { sync: { status: 'Synced', revisions } },
    });
    moved.seen(twoSources(['a1', 'b1']));
    expect(moved.sources().map(([, , source]) => source.repoURL)).toEqual(['https://git/charts.git', 'https://git/values.git']);
    const [charts, values] = moved.sources().map(([source]) => source);
    moved.resolvedTo(charts, 'a1');
    moved.resolvedTo(values, 'b1');
    expect(moved.behindNow()).toEqual([]);
    // A push to the values repository alone.
    moved.resolvedTo(values, 'b2');
    expect(names(moved.behindNow())).toEqual(['shop']);
    expect(moved.behindNow(new Set([charts]))).toEqual([]);
    moved.seen(twoSources(['a1', 'b2']));
    expect(moved.behindNow()).toEqual([]);
  });

  it('charts of one Helm repository at the same constraint are separate sources: a new version of one leaves the other alone', () => {
    const chartApp = (name: string, chart: string, comparedWith: string): Application => ({
      ...app(name, comparedWith),
      spec: { ...app(name).spec, source: { repoURL: 'https://charts.example.com', chart, targetRevision: '^1' } },
    });
    const moved = new MovedSources();
    moved.seen(chartApp('web', 'web', '1.0.0'));
    moved.seen(chartApp('db', 'db', '1.2.0'));
    const sources = moved.sources();
    expect(sources.map(([, , source]) => source.chart)).toEqual(['web', 'db']);
    moved.resolvedTo(sources[0][0], '1.0.0');
    moved.resolvedTo(sources[1][0], '1.3.0');
    expect(names(moved.behindNow())).toEqual(['db']);
  });
});
