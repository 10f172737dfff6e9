import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerHarness } from '../support/controller-harness.js';

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
});
