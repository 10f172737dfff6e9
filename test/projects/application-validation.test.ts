import { describe, expect, it } from 'vitest';
import type { AppProject, AppProjectSpec } from '../../src/api/app-project.js';
import type { Application, ApplicationSpec } from '../../src/api/application.js';
import {
  validateApplication,
  formatConditions,
  namespacedModeProblem,
  syncPermissionRefusals,
  syncRefusalMessage,
  type ProjectContext,
  type TargetObject,
} from '../../src/projects/application-validation.js';
import type { ProjectCluster } from '../../src/projects/project-rules.js';

const IN_CLUSTER = 'https://kubernetes.default.svc';
const project = (spec: AppProjectSpec, name = 'team'): AppProject => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'AppProject',
  metadata: { name, namespace: 'argocd' },
  spec,
});
const application = (spec: Partial<ApplicationSpec>, namespace = 'argocd'): Application => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name: 'guestbook', namespace },
  spec: {
    project: 'team',
    source: { repoURL: 'https://github.com/team/apps', path: 'guestbook' },
    destination: { server: 'https://prod', namespace: 'guestbook' },
    ...spec,
  },
});
const cluster = (name: string, server: string, extra: Partial<ProjectCluster> = {}): ProjectCluster => ({
  name,
  server,
  namespaces: [],
  clusterResources: false,
  ...extra,
});
const context = (extra: Partial<ProjectContext> = {}): ProjectContext => ({
  controllerNamespace: 'argocd',
  clusters: [cluster('prod', 'https://prod'), cluster('staging', 'https://staging')],
  repositories: [],
  local: { name: 'in-cluster', server: IN_CLUSTER, enabled: true },
  ...extra,
});
const teamProject = project({
  sourceRepos: ['https://github.com/team/*'],
  destinations: [
    { server: 'https://prod', namespace: 'guestbook' },
    { name: 'staging', namespace: '*' },
  ],
});

describe('validateApplication (refresh conditions and the failed operation)', () => {
  it('passes an Application its project permits, with the project and the resolved cluster', () => {
    const verdict = validateApplication(application({}), teamProject, context());
    expect(verdict).toMatchObject({ valid: true, cluster: { name: 'prod', server: 'https://prod' } });
    expect(validateApplication(application({ destination: { name: 'staging', namespace: 'anything' } }), teamProject, context()).valid).toBe(true);
  });

  it('reports a missing project as Argo CD does, on refresh and when a sync starts', () => {
    expect(validateApplication(application({ project: 'ghost' }), undefined, context())).toEqual({
      valid: false,
      conditions: [{ type: 'InvalidSpecError', message: 'Application referencing project ghost which does not exist' }],
      operationMessage: 'Failed to load application project: error getting app project "ghost": appproject.argoproj.io "ghost" not found',
    });
  });

  it("refuses a project to Applications outside Argo CD's namespace unless its sourceNamespaces allow them", () => {
    const verdict = validateApplication(application({}, 'team-a'), teamProject, context());
    expect(verdict).toEqual({
      valid: false,
      conditions: [{ type: 'UnknownError', message: "application 'guestbook' in namespace 'team-a' is not permitted to use project 'team'" }],
      operationMessage: "Failed to load application project: application 'guestbook' in namespace 'team-a' is not permitted to use project 'team'",
    });
    expect(
      validateApplication(application({}, 'team-a'), { ...teamProject, spec: { ...teamProject.spec, sourceNamespaces: ['team-*'] } }, context()).valid,
    ).toBe(true);
  });

  it('lists each forbidden repository and the forbidden destination together', () => {
    const verdict = validateApplication(
      application({ source: { repoURL: 'https://github.com/evil/apps', path: '.' }, destination: { server: 'https://prod', namespace: 'kube-system' } }),
      teamProject,
      context(),
    );
    expect(verdict).toMatchObject({
      valid: false,
      conditions: [
        { type: 'InvalidSpecError', message: "application repo https://github.com/evil/apps is not permitted in project 'team'" },
        {
          type: 'InvalidSpecError',
          message: "application destination server 'https://prod' and namespace 'kube-system' do not match any of the allowed destinations in project 'team'",
        },
      ],
    });
    // A destination named by name is reported by name.
    const byName = validateApplication(application({ destination: { name: 'prod', namespace: 'kube-system' } }), teamProject, context());
    expect(byName.valid === false && byName.conditions[0].message).toBe(
      "application destination server 'prod' and namespace 'kube-system' do not match any of the allowed destinations in project 'team'",
    );
    expect(byName.valid === false && byName.operationMessage).toBe(
      "InvalidSpecError: application destination server 'prod' and namespace 'kube-system' do not match any of the allowed destinations in project 'team'",
    );
    const multi = validateApplication(
      application({
        source: undefined,
        sources: [
          { repoURL: 'https://github.com/team/a', path: 'a' },
          { repoURL: 'https://github.com/evil/b', path: 'b' },
        ],
      }),
      teamProject,
      context(),
    );
    expect(multi.valid === false && multi.conditions.map((c) => c.message)).toEqual([
      "application repo https://github.com/evil/b is not permitted in project 'team'",
    ]);
  });

  it('words an incomplete source and an unknown destination as Argo CD does', () => {
    const incomplete = validateApplication(application({ source: { repoURL: 'https://github.com/team/apps' } }), teamProject, context());
    expect(incomplete.valid === false && incomplete.conditions).toEqual([
      { type: 'InvalidSpecError', message: 'spec.source.repoURL and either spec.source.path or spec.source.chart are required' },
    ]);
    const helm = validateApplication(application({ source: { repoURL: 'https://github.com/team/apps', chart: 'guestbook' } }), teamProject, context());
    expect(helm.valid === false && helm.conditions[0].message).toBe('spec.source.targetRevision is required if the manifest source is a helm chart');
    const unknown = validateApplication(application({ destination: { server: 'https://nowhere', namespace: 'guestbook' } }), teamProject, context());
    expect(unknown.valid === false && unknown.conditions).toEqual([
      {
        type: 'InvalidSpecError',
        message: 'error getting cluster by server "https://nowhere": rpc error: code = NotFound desc = cluster "https://nowhere" not found',
      },
    ]);
    const disabled = validateApplication(
      application({ destination: { name: 'in-cluster', namespace: 'guestbook' } }),
      project({ sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }] }),
      context({ local: { name: 'in-cluster', server: IN_CLUSTER, enabled: false } }),
    );
    expect(disabled.valid === false && disabled.conditions[0].message).toBe('there are no clusters with this name: in-cluster');
  });

  it("counts repositories and clusters scoped to the project as its own, never another project's", () => {
    const scoped = context({
      clusters: [
        cluster('prod', 'https://prod'),
        cluster('team-cluster', 'https://team', { project: 'team' }),
        cluster('other-cluster', 'https://other', { project: 'other' }),
      ],
      repositories: [{ url: 'https://gitlab.com/team/app', project: 'team' }],
    });
    expect(
      validateApplication(
        application({ source: { repoURL: 'https://gitlab.com/team/app', path: '.' }, destination: { server: 'https://team', namespace: 'x' } }),
        teamProject,
        scoped,
      ).valid,
    ).toBe(true);
    const other = validateApplication(application({ destination: { server: 'https://other', namespace: 'x' } }), teamProject, scoped);
    expect(other.valid === false && other.conditions[0].message).toMatch(/^application destination server 'https:\/\/other' and namespace 'x' do not match/);
  });

  it('uses the local cluster without a Secret, when argocd-cm does not disable it', () => {
    const open = project({ sourceRepos: ['*'], destinations: [{ name: 'in-cluster', namespace: '*' }] });
    expect(validateApplication(application({ destination: { server: IN_CLUSTER, namespace: 'x' } }), open, context())).toMatchObject({
      valid: true,
      cluster: { name: 'in-cluster', server: IN_CLUSTER },
    });
  });

  it('formats conditions as an operation message the way Argo CD joins them', () => {
    expect(
      formatConditions([
        { type: 'InvalidSpecError', message: 'a' },
        { type: 'UnknownError', message: 'b' },
      ]),
    ).toBe('InvalidSpecError: a;UnknownError: b');
  });
});

describe('sync-time checks of the objects a sync would write', () => {
  const object = (group: string, kind: string, name: string, namespace: string, served = true): TargetObject => ({
    group,
    kind,
    name,
    namespace,
    namespaced: served ? namespace !== '' : undefined,
  });
  const prod = cluster('prod', 'https://prod');
  const strict = project(
    { destinations: [{ server: 'https://prod', namespace: 'guestbook' }], namespaceResourceBlacklist: [{ group: '', kind: 'Secret' }] },
    'team',
  );

  it("refuses every forbidden object with Argo CD's text, and nothing permitted", () => {
    const refusals = syncPermissionRefusals(
      strict,
      prod,
      [
        object('apps', 'Deployment', 'web', 'guestbook'),
        object('rbac.authorization.k8s.io', 'ClusterRoleBinding', 'admin', ''),
        object('', 'Secret', 'token', 'guestbook'),
        object('', 'ConfigMap', 'elsewhere', 'kube-system'),
        object('example.com', 'Widget', 'w', 'guestbook', false),
      ],
      [],
    );
    expect(refusals.map((r) => [r.object.name, r.message])).toEqual([
      ['admin', 'resource rbac.authorization.k8s.io:ClusterRoleBinding is not permitted in project team'],
      ['token', 'resource :Secret is not permitted in project team'],
      ['elsewhere', "namespace kube-system is not permitted in project 'team'"],
      ['w', 'failed to get API resource info for example.com/Widget: unable to verify permissions'],
    ]);
    expect(syncRefusalMessage(refusals)).toBe(
      "one or more synchronization tasks are not valid: failed to get API resource info for example.com/Widget: unable to verify permissions; namespace kube-system is not permitted in project 'team'; resource :Secret is not permitted in project team; resource rbac.authorization.k8s.io:ClusterRoleBinding is not permitted in project team",
    );
    expect(syncPermissionRefusals(strict, prod, [object('apps', 'Deployment', 'web', 'guestbook'), object('', 'ConfigMap', 'c', 'guestbook')], [])).toEqual([]);
  });

  it('states each reason once however many objects share it', () => {
    const refusals = syncPermissionRefusals(strict, prod, [object('', 'Secret', 'a', 'guestbook'), object('', 'Secret', 'b', 'guestbook')], []);
    expect(refusals).toHaveLength(2);
    expect(syncRefusalMessage(refusals)).toBe('one or more synchronization tasks are not valid: resource :Secret is not permitted in project team');
  });

  it('refuses what a cluster Secret in namespaced mode does not manage, the first such object', () => {
    const limited = cluster('limited', 'https://limited', { namespaces: ['team-a', 'team-b'] });
    expect(
      namespacedModeProblem(limited, [object('', 'ConfigMap', 'ok', 'team-a'), object('', 'ConfigMap', 'c', 'kube-system'), object('', 'Namespace', 'n', '')]),
    ).toBe('Failed to load live state: namespace "kube-system" for ConfigMap "c" is not managed');
    expect(namespacedModeProblem(limited, [object('', 'Namespace', 'team-c', '')])).toBe(
      'Failed to load live state: cluster level Namespace "team-c" can not be managed when in namespaced mode',
    );
    expect(namespacedModeProblem({ ...limited, clusterResources: true }, [object('', 'Namespace', 'team-c', '')])).toBeUndefined();
    expect(namespacedModeProblem(limited, [object('', 'ConfigMap', 'ok', 'team-b')])).toBeUndefined();
    expect(namespacedModeProblem(prod, [object('', 'ConfigMap', 'c', 'kube-system'), object('', 'Namespace', 'n', '')])).toBeUndefined();
  });
});
