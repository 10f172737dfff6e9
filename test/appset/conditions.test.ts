import { describe, expect, it } from 'vitest';
import { applicationSetHealth, nextConditions } from '../../src/appset/conditions.js';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:01:00.000Z';

describe('nextConditions', () => {
  it('states success as Argo CD does: parameters generated, up to date, no error', () => {
    const { conditions, changed } = nextConditions(
      undefined,
      [{ type: 'ResourcesUpToDate', status: 'True', reason: 'ApplicationSetUpToDate', message: 'All applications have been generated successfully' }],
      true,
      false,
      T0,
    );
    expect(changed).toBe(true);
    expect(conditions).toEqual([
      {
        type: 'ErrorOccurred',
        status: 'False',
        reason: 'ApplicationSetUpToDate',
        message: 'All applications have been generated successfully',
        lastTransitionTime: T0,
      },
      {
        type: 'ParametersGenerated',
        status: 'True',
        reason: 'ParametersGenerated',
        message: 'Successfully generated parameters for all Applications',
        lastTransitionTime: T0,
      },
      {
        type: 'ResourcesUpToDate',
        status: 'True',
        reason: 'ApplicationSetUpToDate',
        message: 'All applications have been generated successfully',
        lastTransitionTime: T0,
      },
    ]);
  });

  it('states a failure on all three conditions, and reports no change when it repeats', () => {
    const error = { type: 'ErrorOccurred', status: 'True' as const, reason: 'ApplicationGenerationFromParamsError', message: 'boom' };
    const first = nextConditions(undefined, [error], false, false, T0);
    expect(first.conditions.map((c) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['ErrorOccurred', 'True', 'ApplicationGenerationFromParamsError', 'boom'],
      ['ParametersGenerated', 'False', 'ErrorOccurred', 'boom'],
      ['ResourcesUpToDate', 'False', 'ErrorOccurred', 'boom'],
    ]);
    const again = nextConditions(first.conditions, [error], false, false, T1);
    expect(again.changed).toBe(false);
    expect(again.conditions.every((c) => c.lastTransitionTime === T0)).toBe(true);
  });

  it('keeps rollout conditions only under a RollingSync strategy', () => {
    const rollout = {
      type: 'RolloutProgressing',
      status: 'True' as const,
      reason: 'ApplicationSetModified',
      message: 'ApplicationSet is performing rollout of step 1',
    };
    const upToDate = { type: 'ResourcesUpToDate', status: 'True' as const, reason: 'ApplicationSetUpToDate', message: 'ok' };
    expect(nextConditions(undefined, [upToDate, rollout], true, true, T0).conditions.map((c) => c.type)).toContain('RolloutProgressing');
    expect(nextConditions(undefined, [upToDate, rollout], true, false, T0).conditions.map((c) => c.type)).not.toContain('RolloutProgressing');
  });
});

describe('applicationSetHealth (status.health, Argo CD v3.4)', () => {
  const error = (status: 'True' | 'False') => ({
    type: 'ErrorOccurred',
    status,
    reason: 'ApplicationValidationError',
    message: 'application references project x which does not exist',
  });
  const upToDate = {
    type: 'ResourcesUpToDate',
    status: 'True' as const,
    reason: 'ApplicationSetUpToDate',
    message: 'All applications have been generated successfully',
  };
  const rollout = {
    type: 'RolloutProgressing',
    status: 'True' as const,
    reason: 'ApplicationSetModified',
    message: 'ApplicationSet is performing rollout of step 1',
  };
  const health = (incoming: Parameters<typeof nextConditions>[1], rollingSync = true) =>
    applicationSetHealth(nextConditions(undefined, incoming, true, rollingSync, T0).conditions);

  it('is Degraded on an error, Progressing during a rollout, Healthy when up to date, with the condition message', () => {
    expect(health([error('True')])).toEqual({ status: 'Degraded', message: 'application references project x which does not exist' });
    expect(health([upToDate, rollout])).toEqual({ status: 'Progressing', message: 'ApplicationSet is performing rollout of step 1' });
    expect(health([upToDate, { ...rollout, status: 'False' }])).toEqual({ status: 'Healthy', message: 'All applications have been generated successfully' });
    expect(health([upToDate, rollout], false)).toEqual({ status: 'Healthy', message: 'All applications have been generated successfully' });
  });

  it('is Unknown without conditions, or while none of those holds', () => {
    expect(applicationSetHealth([])).toEqual({ status: 'Unknown', message: 'No status conditions found for ApplicationSet' });
    expect(health([])).toEqual({ status: 'Unknown', message: 'Waiting for health status to be determined' });
  });
});
