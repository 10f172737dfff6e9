import { describe, expect, it } from 'vitest';
import type { AppProject, AppProjectSpec } from '../../src/api/app-project.js';
import type { ApplicationDestination } from '../../src/api/application.js';
import { normalizeGitURL } from '../../src/projects/git-url.js';
import {
  isAppNamespacePermitted,
  isDestinationPermitted,
  isGroupKindNamePermitted,
  isResourcePermitted,
  isSourcePermitted,
  withProjectScopedResources,
  type ProjectCluster,
} from '../../src/projects/project-rules.js';

const project = (spec: AppProjectSpec, name = 'team'): AppProject => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'AppProject',
  metadata: { name, namespace: 'argocd' },
  spec,
});
const IN_CLUSTER = 'https://kubernetes.default.svc';

describe('sourceRepos (IsSourcePermitted)', () => {
  it.each([
    [['*'], 'https://github.com/argoproj/test.git', true],
    [['https://github.com/argoproj/test.git'], 'https://github.com/argoproj/test', true],
    [['https://GITHUB.com/argoproj/test'], 'https://github.com/ArgoProj/test.git', true],
    [['git@github.com:argoproj/test.git'], 'git@GitHub.com:argoproj/test', true],
    [['https://github.com/argoproj/*'], 'https://github.com/argoproj/argoproj.git', true],
    [['https://github.com/test1/test.git', 'https://github.com/test2/test.git'], 'https://github.com/test2/test.git', true],
    [['https://github.com/argoproj/test1.git'], 'https://github.com/argoproj/test2.git', false],
    [['https://github.com/argoproj/*.git'], 'https://github.com/argoproj1/test2.git', false],
    [['https://github.com/argoproj/foo'], 'https://github.com/argoproj/foo1', false],
    // `/` separates: one `*` is one path segment, `**` any number.
    [['https://gitlab.com/group/*'], 'https://gitlab.com/group/repo/owner', false],
    [['https://gitlab.com/group/*/*'], 'https://gitlab.com/group/repo/owner', true],
    [['https://gitlab.com/group/**'], 'https://gitlab.com/group/sub-group/repo/owner', true],
    [[], 'https://github.com/argoproj/test', false],
  ])('%j permits %s: %s', (sourceRepos, repoURL, expected) => {
    expect(isSourcePermitted(project({ sourceRepos }), repoURL)).toBe(expected);
  });

  it.each([
    [['!https://github.com/argoproj/test.git'], 'https://github.com/argoproj/test.git', false],
    [['!https://github.com/argoproj/*'], 'https://github.com/argoproj/argoproj.git', false],
    [['https://github.com/test1/test.git', '!https://github.com/test2/test.git'], 'https://github.com/test2/test.git', false],
    [['!https://gitlab.com/group/**'], 'https://gitlab.com/group/sub-group/repo/owner', false],
    [['https://github.com/argoproj/test1.git', '*'], 'https://github.com/argoproj/test2.git', true],
    [['!https://github.com/argoproj/*.git', '*'], 'https://github.com/argoproj1/test2.git', true],
    // A deny entry wins wherever it stands in the list, before or after the allowing entry.
    [['*', '!https://github.com/evil/*'], 'https://github.com/evil/repo', false],
    [['!https://github.com/evil/*', '*'], 'https://github.com/evil/repo', false],
    [['!https://github.com/evil/*', '*'], 'https://github.com/good/repo', true],
    // `!x` alone reads as "not x": it permits every repository it does not match.
    [['!https://github.com/evil/*'], 'https://github.com/good/repo', true],
  ])('%j (with deny entries) permits %s: %s', (sourceRepos, repoURL, expected) => {
    expect(isSourcePermitted(project({ sourceRepos }), repoURL)).toBe(expected);
  });

  it('normalises URLs as Argo CD does', () => {
    expect(normalizeGitURL(' https://GitHub.com/Org/Repo.git ')).toBe('https://github.com/org/repo');
    expect(normalizeGitURL('git@github.com:org/repo.git')).toBe('git@github.com/org/repo');
    expect(normalizeGitURL('ssh://git@github.com/org/repo')).toBe('git@github.com/org/repo');
    expect(normalizeGitURL('https://github.com/org/repo/')).toBe('https://github.com/org/repo/');
  });
});

describe('destinations (IsDestinationPermitted)', () => {
  const permitted = (
    destinations: ApplicationDestination[],
    cluster: { name?: string; server?: string },
    namespace: string,
    extra: Partial<AppProjectSpec> = {},
    clusters: ProjectCluster[] = [],
  ) => isDestinationPermitted(project({ destinations, ...extra }), { name: cluster.name ?? '', server: cluster.server ?? '' }, namespace, clusters);

  it.each([
    ['server and namespace match', [{ server: IN_CLUSTER, namespace: 'default' }], { server: IN_CLUSTER }, 'default', true],
    ['namespace does not match', [{ server: IN_CLUSTER, namespace: 'default' }], { server: IN_CLUSTER }, 'kube-system', false],
    ['server does not match', [{ server: 'https://my-cluster', namespace: 'default' }], { server: IN_CLUSTER }, 'default', false],
    ['wildcard namespace', [{ server: IN_CLUSTER, namespace: '*' }], { server: IN_CLUSTER }, 'kube-system', true],
    ['wildcard server', [{ server: 'https://*.default.svc', namespace: 'default' }], { server: IN_CLUSTER }, 'default', true],
    ['server prefix', [{ server: 'https://team1-*', namespace: 'default' }], { server: 'https://test2-dev-cluster' }, 'default', false],
    ['namespace prefix', [{ server: IN_CLUSTER, namespace: 'test-*' }], { server: IN_CLUSTER }, 'test-foo', true],
    ['namespace prefix needs more', [{ server: IN_CLUSTER, namespace: 'test-*' }], { server: IN_CLUSTER }, 'test', false],
    ['by name', [{ namespace: '*', name: 'test' }], { name: 'test' }, 'test', true],
    ['by another name', [{ namespace: '*', name: 'test2' }], { name: 'test' }, 'test', false],
    // The cluster's name and server both count, whichever the Application named it by.
    ['name entry, cluster named by server', [{ namespace: '*', name: 'prod' }], { name: 'prod', server: 'https://prod' }, 'x', true],
    ['no destinations', [], { server: IN_CLUSTER }, 'default', false],
    ['an empty namespace entry matches only the empty namespace', [{ server: '*' }], { server: IN_CLUSTER }, 'default', false],
  ])('%s', (_, destinations, cluster, namespace, expected) => {
    expect(permitted(destinations, cluster, namespace)).toBe(expected);
  });

  it.each([
    ['!server refuses it', [{ server: `!${IN_CLUSTER}`, namespace: 'default' }], { server: IN_CLUSTER }, 'default', false],
    ['!server permits other servers', [{ server: '!https://my-cluster', namespace: 'default' }], { server: IN_CLUSTER }, 'default', true],
    ['!namespace permits other namespaces', [{ server: IN_CLUSTER, namespace: '!default' }], { server: IN_CLUSTER }, 'kube-system', true],
    ['!namespace glob refuses', [{ server: IN_CLUSTER, namespace: '!test-*' }], { server: IN_CLUSTER }, 'test-foo', false],
    ['!name refuses', [{ namespace: '*', name: '!test' }], { name: 'test' }, 'test', false],
    ['!name permits other names', [{ namespace: '*', name: '!test2' }], { name: 'test' }, 'test', true],
    [
      'allow then !namespace',
      [
        { server: '*', namespace: '*' },
        { server: '*', namespace: '!kube-system' },
      ],
      { server: IN_CLUSTER },
      'kube-system',
      false,
    ],
    [
      '!namespace before allow',
      [
        { server: '*', namespace: '!kube-system' },
        { server: '*', namespace: '*' },
      ],
      { server: IN_CLUSTER },
      'kube-system',
      false,
    ],
    [
      'allow then !server',
      [
        { server: IN_CLUSTER, namespace: '*' },
        { server: `!${IN_CLUSTER}`, namespace: '*' },
      ],
      { server: IN_CLUSTER },
      'kube-system',
      false,
    ],
    [
      '!server only for its namespace',
      [
        { server: '*', namespace: 'test' },
        { server: '!https://test-server', namespace: 'other' },
      ],
      { server: 'https://test-server' },
      'test',
      true,
    ],
    [
      '!namespace only on its server',
      [
        { server: '*', namespace: '*' },
        { server: 'https://test-server', namespace: '!other' },
      ],
      { server: 'https://other-test-server' },
      'other',
      true,
    ],
    [
      'three entries, the denied pair',
      [
        { server: '*', namespace: '*' },
        { server: `!${IN_CLUSTER}`, namespace: 'kube-system' },
        { server: '*', namespace: '!kube-system' },
      ],
      { server: IN_CLUSTER },
      'kube-system',
      false,
    ],
    [
      'three entries, another namespace',
      [
        { server: '*', namespace: '*' },
        { server: `!${IN_CLUSTER}`, namespace: 'kube-system' },
        { server: '*', namespace: '!kube-system' },
      ],
      { server: IN_CLUSTER },
      'default',
      true,
    ],
    [
      '!{a,b} namespaces on one cluster only',
      [
        { name: 'host', server: IN_CLUSTER, namespace: '!{kube-system,argocd}' },
        { name: 'eks', server: 'https://eks', namespace: '*' },
      ],
      { server: 'https://eks' },
      'kube-system',
      true,
    ],
    [
      'name allowed then denied',
      [
        { namespace: '*', name: 'test' },
        { namespace: '*', name: '!test' },
      ],
      { name: 'test' },
      'test',
      false,
    ],
  ])('%s', (_, destinations, cluster, namespace, expected) => {
    expect(permitted(destinations, cluster, namespace)).toBe(expected);
  });

  it('with permitOnlyProjectScopedClusters, only clusters scoped to the project are destinations', () => {
    const scoped: ProjectCluster[] = [
      { name: 'mine', server: 'https://mine', project: 'team', namespaces: [], clusterResources: false },
      { name: 'theirs', server: 'https://theirs', project: 'other', namespaces: [], clusterResources: false },
    ];
    const only = { permitOnlyProjectScopedClusters: true };
    expect(permitted([{ server: 'https://*', namespace: '*' }], { name: 'mine', server: 'https://mine' }, 'a', only, scoped)).toBe(true);
    expect(permitted([{ server: 'https://*', namespace: '*' }], { name: 'theirs', server: 'https://theirs' }, 'a', only, scoped)).toBe(false);
    expect(permitted([{ server: 'https://team1-*', namespace: 'default' }], { server: 'https://team1-something.com' }, 'default', only, [])).toBe(false);
    // Scoping does not widen the destinations: they must still match.
    expect(permitted([{ server: 'https://other', namespace: '*' }], { name: 'mine', server: 'https://mine' }, 'a', only, scoped)).toBe(false);
    expect(permitted([{ server: 'https://*', namespace: '*' }], { name: 'theirs', server: 'https://theirs' }, 'a', {}, scoped)).toBe(true);
  });
});

describe('resource kinds (IsGroupKindNamePermitted)', () => {
  const kind = (group: string, k: string) => ({ group, kind: k });

  it('permits namespaced kinds unless blacklisted; an empty whitelist permits none', () => {
    expect(isGroupKindNamePermitted(project({}), kind('apps', 'Deployment'), 'x', true)).toBe(true);
    const blacklisted = project({ namespaceResourceBlacklist: [kind('', 'Secret')] });
    expect(isGroupKindNamePermitted(blacklisted, kind('', 'Secret'), 'x', true)).toBe(false);
    expect(isGroupKindNamePermitted(blacklisted, kind('', 'ConfigMap'), 'x', true)).toBe(true);
    // The core group is the empty string: a blacklist for group "" does not touch other groups.
    expect(isGroupKindNamePermitted(blacklisted, kind('example.com', 'Secret'), 'x', true)).toBe(true);
    expect(
      isGroupKindNamePermitted(
        project({ namespaceResourceWhitelist: [], namespaceResourceBlacklist: [kind('apps', 'Deployment')] }),
        kind('apps', 'ReplicaSet'),
        '',
        true,
      ),
    ).toBe(false);
    const both = project({ namespaceResourceWhitelist: [kind('apps', 'ReplicaSet')], namespaceResourceBlacklist: [kind('apps', 'Deployment')] });
    expect(isGroupKindNamePermitted(both, kind('apps', 'ReplicaSet'), '', true)).toBe(true);
    expect(isGroupKindNamePermitted(both, kind('apps', 'Action'), '', true)).toBe(false);
    expect(
      isGroupKindNamePermitted(
        project({ namespaceResourceWhitelist: [kind('*', '*')], namespaceResourceBlacklist: [kind('rbac.authorization.k8s.io', '*')] }),
        kind('rbac.authorization.k8s.io', 'RoleBinding'),
        'x',
        true,
      ),
    ).toBe(false);
  });

  it('permits cluster-scoped kinds only when whitelisted and not blacklisted, by name too', () => {
    expect(isGroupKindNamePermitted(project({}), kind('', 'Namespace'), 'x', false)).toBe(false);
    expect(isGroupKindNamePermitted(project({ clusterResourceWhitelist: [] }), kind('', 'Namespace'), 'x', false)).toBe(false);
    expect(isGroupKindNamePermitted(project({ clusterResourceBlacklist: [kind('', 'Namespace')] }), kind('', 'Namespace'), 'x', false)).toBe(false);
    const all = project({ clusterResourceWhitelist: [kind('*', '*')], clusterResourceBlacklist: [kind('*', '*')] });
    expect(isGroupKindNamePermitted(all, kind('', 'Namespace'), '', false)).toBe(false);
    expect(isGroupKindNamePermitted(all, kind('apps', 'Action'), '', true)).toBe(true);
    const named = project({ clusterResourceWhitelist: [{ group: '', kind: 'Namespace', name: 'team1-*' }] });
    expect(isGroupKindNamePermitted(named, kind('', 'Namespace'), 'team1-namespace', false)).toBe(true);
    expect(isGroupKindNamePermitted(named, kind('', 'Namespace'), 'other-namespace', false)).toBe(false);
    const rbac = project({
      clusterResourceWhitelist: [kind('*', '*')],
      clusterResourceBlacklist: [{ group: 'rbac.authorization.k8s.io', kind: 'ClusterRole*', name: 'cluster-admin' }],
    });
    expect(isGroupKindNamePermitted(rbac, kind('rbac.authorization.k8s.io', 'ClusterRoleBinding'), 'cluster-admin', false)).toBe(false);
    expect(isGroupKindNamePermitted(rbac, kind('rbac.authorization.k8s.io', 'ClusterRoleBinding'), 'viewer', false)).toBe(true);
  });

  it("checks a namespaced object's namespace against the destinations, a cluster-scoped object's kind only", () => {
    const p = project({ destinations: [{ server: 'https://c', namespace: 'team-*' }], clusterResourceWhitelist: [kind('', 'Namespace')] });
    const cluster = { name: 'c', server: 'https://c' };
    expect(isResourcePermitted(p, kind('', 'ConfigMap'), 'x', 'team-a', cluster, [])).toBe(true);
    expect(isResourcePermitted(p, kind('', 'ConfigMap'), 'x', 'kube-system', cluster, [])).toBe(false);
    expect(isResourcePermitted(p, kind('', 'Namespace'), 'kube-system', '', cluster, [])).toBe(true);
    expect(isResourcePermitted(p, kind('rbac.authorization.k8s.io', 'ClusterRole'), 'x', '', cluster, [])).toBe(false);
  });
});

describe('remembered verdicts', () => {
  it('answer for the project as it is: a changed project is judged afresh, and a flood of questions is answered right', () => {
    const cluster = { name: 'c', server: 'https://c' };
    const before = project({ destinations: [{ server: 'https://c', namespace: 'team-*' }] });
    expect(isDestinationPermitted(before, cluster, 'team-a', [])).toBe(true);
    // An edit arrives as a new object (informer caches never change one in place).
    const after = project({
      destinations: [
        { server: 'https://c', namespace: '!team-a' },
        { server: 'https://c', namespace: 'team-*' },
      ],
    });
    expect(isDestinationPermitted(after, cluster, 'team-a', [])).toBe(false);
    expect(isDestinationPermitted(before, cluster, 'team-a', [])).toBe(true);
    // More distinct namespaces than one project remembers: early answers are still right after the rest.
    const namespaces = Array.from({ length: 10_000 }, (_, i) => (i % 2 ? `team-${i}` : `other-${i}`));
    for (const round of [1, 2]) {
      const permitted = namespaces.filter((namespace) => isDestinationPermitted(before, cluster, namespace, []));
      expect(permitted, `round ${round}`).toEqual(namespaces.filter((namespace) => namespace.startsWith('team-')));
    }
  });
});

describe('sourceNamespaces (IsAppNamespacePermitted)', () => {
  it("lets Applications of Argo CD's namespace use any project, others only where sourceNamespaces say", () => {
    const p = project({ sourceNamespaces: ['team-*', '/^ops-[0-9]+$/'] });
    expect(isAppNamespacePermitted(project({}), 'argocd', 'argocd')).toBe(true);
    expect(isAppNamespacePermitted(project({}), undefined, 'argocd')).toBe(true);
    expect(isAppNamespacePermitted(project({}), 'team-a', 'argocd')).toBe(false);
    expect(isAppNamespacePermitted(p, 'team-a', 'argocd')).toBe(true);
    expect(isAppNamespacePermitted(p, 'ops-12', 'argocd')).toBe(true);
    expect(isAppNamespacePermitted(p, 'ops-x', 'argocd')).toBe(false);
    expect(isAppNamespacePermitted(p, 'other', 'argocd')).toBe(false);
  });
});

describe('project-scoped repositories and clusters (GetAppProjectByName)', () => {
  it('adds repositories and clusters scoped to the project, and only those', () => {
    const p = project({ sourceRepos: ['https://github.com/team/*'], destinations: [] });
    const clusters: ProjectCluster[] = [
      { name: 'all', server: 'https://all', project: 'team', namespaces: [], clusterResources: false },
      { name: 'some', server: 'https://some', project: 'team', namespaces: ['a', 'b'], clusterResources: false },
      { name: 'other', server: 'https://other', project: 'other', namespaces: [], clusterResources: false },
    ];
    const effective = withProjectScopedResources(
      p,
      [
        { url: 'https://gitlab.com/team/app', project: 'team' },
        { url: 'https://gitlab.com/other/app', project: 'other' },
        { url: 'https://gitlab.com/global' },
      ],
      clusters,
    );
    expect(isSourcePermitted(effective, 'https://gitlab.com/team/app')).toBe(true);
    expect(isSourcePermitted(effective, 'https://gitlab.com/other/app')).toBe(false);
    expect(isSourcePermitted(effective, 'https://gitlab.com/global')).toBe(false);
    const permitted = (server: string, namespace: string) => isDestinationPermitted(effective, { name: '', server }, namespace, clusters);
    expect(permitted('https://all', 'anything')).toBe(true);
    expect(permitted('https://some', 'b')).toBe(true);
    expect(permitted('https://some', 'c')).toBe(false);
    expect(permitted('https://other', 'anything')).toBe(false);
    expect(p.spec.destinations).toEqual([]);
  });
});
