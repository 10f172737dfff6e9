import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerHarness } from '../support/controller-harness.js';
import { TestRepository } from '../support/git-fixtures.js';
import { writeMark, writesSince } from '../support/write-log.js';

/**
 * The conditions a RollingSync ApplicationSet carries, as a user's alert reads them off the
 * ApplicationSet: Argo CD's ApplicationSetConditionType* / ApplicationSetReason* constants
 * (pkg/apis/application/v1alpha1/applicationset_types.go) with the status and message
 * applicationset_controller.go Reconcile and progressivesync getInvalidRolloutConfig give them.
 */
let h: ControllerHarness;

beforeAll(async () => {
  h = await ControllerHarness.start({ argv: ['--allow-local-repositories=true', '--enable-progressive-syncs=true'] });
});
afterAll(async () => {
  await h.stop();
});

const rollingSync = (name: string, steps: object[]) => ({
  metadata: { name },
  spec: {
    goTemplate: true,
    generators: [{ list: { elements: [{ env: 'dev' }, { env: 'prod' }] } }],
    strategy: { type: 'RollingSync', rollingSync: { steps } },
    template: {
      metadata: { name: `${name}-{{.env}}`, labels: { env: '{{.env}}' } },
      spec: {
        project: 'default',
        source: { repoURL: 'https://git.example.com/apps.git', path: 'guestbook', targetRevision: 'HEAD' },
        destination: { server: 'https://kubernetes.default.svc', namespace: '{{.env}}' },
      },
    },
  },
});

const owned = async (name: string) => (await h.applications()).filter((a) => a.metadata.ownerReferences?.[0]?.name === name).map((a) => a.metadata.name);
const conditionsOf = async (name: string, type: string) =>
  h.eventually(async () => (await h.appSet(name)).status?.conditions?.some((c: any) => c.type === type) && (await h.appSet(name)).status.conditions, `${type}`);
const summary = (conditions: any[]) => conditions.map((c) => [c.type, c.status, c.reason, c.message]);

describe('RollingSync conditions on the ApplicationSet', () => {
  it('valid steps: InvalidRolloutConfig False with reason ApplicationSetValidRolloutConfig', async () => {
    await h.applyAppSet(
      rollingSync('valid', [
        { matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] },
        { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] },
      ]),
    );
    const conditions = await conditionsOf('valid', 'InvalidRolloutConfig');
    expect(summary(conditions)).toContainEqual(['InvalidRolloutConfig', 'False', 'ApplicationSetValidRolloutConfig', 'Rolling Sync Configured correctly']);
    expect((await owned('valid')).sort()).toEqual(['valid-dev', 'valid-prod']);
  });

  it('an unsupported operator: InvalidRolloutConfig True with reason ApplicationSetInvalidRolloutConfig; the Applications are still written', async () => {
    await h.applyAppSet(rollingSync('bad-operator', [{ matchExpressions: [{ key: 'env', operator: 'Exists' }] }]));
    const conditions = await conditionsOf('bad-operator', 'InvalidRolloutConfig');
    expect(summary(conditions)).toContainEqual([
      'InvalidRolloutConfig',
      'True',
      'ApplicationSetInvalidRolloutConfig',
      "Step 1 has invalid matchExpression operators: Exists. Supported Operators are 'In' and 'NotIn'",
    ]);
    expect((await owned('bad-operator')).sort()).toEqual(['bad-operator-dev', 'bad-operator-prod']);
  });

  it('an empty steps list: ErrorOccurred with reason ApplicationSetRolloutError, and no Application is written', async () => {
    await h.applyAppSet(rollingSync('no-steps', []));
    const conditions = await conditionsOf('no-steps', 'ErrorOccurred');
    // Reconcile: IsStepsEmpty → ErrorOccurred "No steps defined for rollout" and return before createOrUpdateInCluster;
    // setApplicationSetStatusCondition adds ResourcesUpToDate False (reason ErrorOccurred) and ParametersGenerated True.
    expect(summary(conditions)).toEqual([
      ['ErrorOccurred', 'True', 'ApplicationSetRolloutError', 'No steps defined for rollout'],
      ['ParametersGenerated', 'True', 'ParametersGenerated', 'Successfully generated parameters for all Applications'],
      ['ResourcesUpToDate', 'False', 'ErrorOccurred', 'No steps defined for rollout'],
    ]);
    await h.settle();
    expect(await owned('no-steps')).toEqual([]);
  });

  it('type RollingSync without a rollingSync block: the rollout conditions written before are removed', async () => {
    const steps = [{ matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] }];
    await h.applyAppSet(rollingSync('unblocked', steps));
    await conditionsOf('unblocked', 'RolloutProgressing');
    const { strategy: _strategy, ...rest } = rollingSync('unblocked', steps).spec;
    await h.applyAppSet({ metadata: { name: 'unblocked' }, spec: { ...rest, strategy: { type: 'RollingSync' } } });
    // IsRollingSyncStrategy needs Strategy.RollingSync too; when it is false, setApplicationSetStatusCondition evaluates
    // RolloutProgressing and InvalidRolloutConfig with nothing incoming, which removes them (SetConditions).
    const conditions = await h.eventually(async () => {
      const current = (await h.appSet('unblocked')).status?.conditions ?? [];
      return !current.some((c: any) => c.type === 'RolloutProgressing') && current;
    }, 'the rollout conditions removed');
    expect(summary(conditions).map(([type]) => type)).toEqual(['ErrorOccurred', 'ParametersGenerated', 'ResourcesUpToDate']);
  });

  it('pinRevisions with a targetRevision that names no commit: ErrorOccurred naming the Application and the field, and no Application is written', async () => {
    const repo = new TestRepository();
    try {
      repo.commit({ 'guestbook/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: guestbook}\n' });
      const steps = [{ matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] }];
      const base = rollingSync('pinned', steps);
      const appSet = {
        ...base,
        spec: {
          ...base.spec,
          strategy: { type: 'RollingSync', rollingSync: { steps, pinRevisions: true } },
          template: {
            ...base.spec.template,
            spec: { ...base.spec.template.spec, source: { repoURL: repo.url, path: 'guestbook', targetRevision: 'no-such-branch' } },
          },
        },
      };
      await h.applyAppSet(appSet);
      const conditions = await conditionsOf('pinned', 'ErrorOccurred');
      expect(summary(conditions)[0]).toEqual([
        'ErrorOccurred',
        'True',
        'ApplicationSetRolloutError',
        `Application pinned-dev: spec.source.targetRevision: cannot pin revision 'no-such-branch': unable to resolve 'no-such-branch' to a commit SHA in ${repo.url}`,
      ]);
      await h.settle();
      expect(await owned('pinned')).toEqual([]);
    } finally {
      repo.dispose();
    }
  });
});

describe('reconciles that find nothing moved, and ones that must not think so', () => {
  const listed = (name: string, envs: string[]) => ({
    metadata: { name },
    spec: {
      goTemplate: true,
      generators: [{ list: { elements: envs.map((env) => ({ env })) } }],
      template: {
        metadata: { name: `${name}-{{.env}}` },
        spec: {
          project: 'default',
          source: { repoURL: 'https://git.example.com/apps.git', path: 'guestbook', targetRevision: 'HEAD' },
          destination: { server: 'https://kubernetes.default.svc', namespace: '{{.env}}' },
        },
      },
    },
  });
  /** The controller's writes about one ApplicationSet (itself, its Applications, its Events) since `mark`. */
  const controllerWrites = (mark: bigint, appSet: string) =>
    writesSince(h.fleet.cluster(), mark, { identity: 'regatta-controller' })
      .filter((w) => w.name?.startsWith(appSet))
      .map((w) => `${w.verb} ${w.kind}/${w.name}`);

  it('reconciling everything again with nothing changed writes nothing', async () => {
    await h.applyAppSet(listed('steady', ['dev', 'qa', 'prod']));
    await h.eventually(async () => (await h.appSet('steady')).status?.resourcesCount === 3, 'three Applications in the status');
    await h.settle();
    const mark = writeMark();
    for (let round = 0; round < 3; round++) {
      h.controller.reconcileAll();
      await h.settle();
    }
    expect(controllerWrites(mark, 'steady')).toEqual([]);
  });

  it('a changed spec is generated again at once', async () => {
    const mark = writeMark();
    await h.applyAppSet(listed('steady', ['dev', 'qa', 'prod', 'perf']));
    await h.eventually(async () => (await owned('steady')).includes('steady-perf'), 'the Application the new element asks for');
    await h.settle();
    expect(controllerWrites(mark, 'steady').filter((w) => !w.includes(' Event/'))).toEqual(['apply Application/steady-perf', 'patch ApplicationSet/steady']);
  });

  it("an Application's status changing is written into the ApplicationSet's status, the other entries kept", async () => {
    await h.settle();
    await h.custom.patchNamespacedCustomObjectStatus(
      {
        group: 'argoproj.io',
        version: 'v1alpha1',
        namespace: 'argocd',
        plural: 'applications',
        name: 'steady-qa',
        body: { status: { sync: { status: 'OutOfSync' }, health: { status: 'Degraded' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const resources = await h.eventually(async () => {
      const status = (await h.appSet('steady')).status;
      return status.resources.find((r: any) => r.name === 'steady-qa')?.status === 'OutOfSync' && status.resources;
    }, 'the changed entry');
    expect(resources.map((r: any) => [r.name, r.status, r.health.status])).toEqual([
      ['steady-dev', '', ''],
      ['steady-perf', '', ''],
      ['steady-prod', '', ''],
      ['steady-qa', 'OutOfSync', 'Degraded'],
    ]);
  });

  it('a new commit on the branch a Git generator reads is seen on the next reconcile', async () => {
    const repo = new TestRepository('apps');
    try {
      repo.commit({ 'apps/billing/kustomization.yaml': 'resources: []\n' });
      await h.applyAppSet({
        metadata: { name: 'from-git' },
        spec: {
          goTemplate: true,
          generators: [{ git: { repoURL: repo.url, revision: 'main', directories: [{ path: 'apps/*' }] } }],
          template: {
            metadata: { name: 'git-{{.path.basename}}' },
            spec: {
              project: 'default',
              source: { repoURL: repo.url, path: '{{.path.path}}', targetRevision: 'main' },
              destination: { server: 'https://kubernetes.default.svc', namespace: '{{.path.basename}}' },
            },
          },
        },
      });
      await h.eventually(async () => (await owned('from-git')).join() === 'git-billing', 'the Application of the first directory');
      await h.settle();
      repo.commit({ 'apps/search/kustomization.yaml': 'resources: []\n' });
      // As a push webhook does.
      h.controller.refresh((appSet) => appSet.metadata.name === 'from-git');
      await h.eventually(async () => (await owned('from-git')).sort().join() === 'git-billing,git-search', 'the Application of the new directory');
    } finally {
      repo.dispose();
    }
  });
});
