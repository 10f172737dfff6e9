import { describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import { OwnershipIndex } from '../../src/appset/ownership-index.js';

const app = (name: string, owner?: string, controller = true): Application =>
  ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name,
      namespace: 'argocd',
      ...(owner ? { ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', name: owner, uid: 'u', controller }] } : {}),
    },
    spec: {},
  }) as unknown as Application;
const names = (index: OwnershipIndex, owner: string) =>
  index
    .owned('argocd', owner)
    .map((a) => a.metadata.name)
    .sort();

describe('the Applications each ApplicationSet reconciles from', () => {
  it('holds each Application under the ApplicationSet its controller reference names, following moves and deletions', () => {
    const index = new OwnershipIndex();
    expect(index.track(app('a', 'team-1'), false)).toBe('argocd/team-1');
    index.track(app('b', 'team-1'), false);
    index.track(app('c', 'team-2'), false);
    expect(index.track(app('loose'), false)).toBeUndefined();
    expect(index.track(app('not-controlled', 'team-1', false), false)).toBeUndefined();
    expect(names(index, 'team-1')).toEqual(['a', 'b']);

    index.track(app('b', 'team-2'), false);
    expect(names(index, 'team-1')).toEqual(['a']);
    expect(names(index, 'team-2')).toEqual(['b', 'c']);

    expect(index.track(app('c', 'team-2'), true)).toBe('argocd/team-2');
    index.track(app('a'), false);
    expect(names(index, 'team-1')).toEqual([]);
    expect(names(index, 'team-2')).toEqual(['b']);
  });

  it('gives the latest version of an Application it was told about', () => {
    const index = new OwnershipIndex();
    index.track(app('a', 'team-1'), false);
    const changed = { ...app('a', 'team-1'), status: { sync: { status: 'OutOfSync' } } } as Application;
    index.track(changed, false);
    expect(index.owned('argocd', 'team-1')).toEqual([changed]);
  });
});
