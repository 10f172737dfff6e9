import { ConditionType, Reason } from '../api/application-set-conditions.js';
import type { ApplicationSetCondition, ApplicationSetHealth } from '../api/application-set.js';

export const UP_TO_DATE_MESSAGE = 'All applications have been generated successfully';

/**
 * Argo CD's condition bookkeeping: ParametersGenerated is always stated; ResourcesUpToDate=True
 * implies ErrorOccurred=False and ErrorOccurred=True implies ResourcesUpToDate=False; rollout
 * conditions are dropped unless a RollingSync strategy is set; an unchanged condition keeps its
 * lastTransitionTime. Returns the new list sorted by type, and whether anything a reader sees changed.
 */
export function nextConditions(
  previous: ApplicationSetCondition[] | undefined,
  incoming: Omit<ApplicationSetCondition, 'lastTransitionTime'>[],
  parametersGenerated: boolean,
  rollingSync: boolean,
  now: string,
): { conditions: ApplicationSetCondition[]; changed: boolean } {
  const evaluated = new Map<string, boolean>([
    [ConditionType.ParametersGenerated, true],
    [ConditionType.ErrorOccurred, false],
    [ConditionType.ResourcesUpToDate, false],
    [ConditionType.RolloutProgressing, !rollingSync],
    [ConditionType.InvalidRolloutConfig, !rollingSync],
  ]);

  const stated: Omit<ApplicationSetCondition, 'lastTransitionTime'>[] = [];
  if (!incoming.some((c) => c.type === ConditionType.ParametersGenerated)) {
    const error = incoming.find((c) => c.type === ConditionType.ErrorOccurred);
    stated.push(
      parametersGenerated
        ? {
            type: ConditionType.ParametersGenerated,
            status: 'True',
            reason: Reason.ParametersGenerated,
            message: 'Successfully generated parameters for all Applications',
          }
        : { type: ConditionType.ParametersGenerated, status: 'False', reason: Reason.ErrorOccurred, message: error?.message ?? 'progressive sync' },
    );
  }
  for (const condition of incoming) {
    evaluated.set(condition.type, true);
    stated.push(condition);
    if (condition.type === ConditionType.ResourcesUpToDate && condition.status === 'True') {
      evaluated.set(ConditionType.ErrorOccurred, true);
      stated.push({ type: ConditionType.ErrorOccurred, status: 'False', reason: condition.reason, message: condition.message });
    }
    if (condition.type === ConditionType.ErrorOccurred && condition.status === 'True') {
      evaluated.set(ConditionType.ResourcesUpToDate, true);
      stated.push({ type: ConditionType.ResourcesUpToDate, status: 'False', reason: Reason.ErrorOccurred, message: condition.message });
    }
    if ((condition.type === ConditionType.RolloutProgressing || condition.type === ConditionType.InvalidRolloutConfig) && !rollingSync) {
      evaluated.set(condition.type, false);
    }
  }

  const result: ApplicationSetCondition[] = [];
  for (const condition of previous ?? []) {
    if (!evaluated.get(condition.type)) result.push({ ...condition, lastTransitionTime: condition.lastTransitionTime ?? now });
  }
  for (const condition of stated) {
    if (!evaluated.get(condition.type)) continue;
    const existing = previous?.find((c) => c.type === condition.type);
    const same = existing && existing.status === condition.status && existing.reason === condition.reason && existing.message === condition.message;
    result.push(same ? existing : { ...condition, lastTransitionTime: now });
  }
  result.sort((a, b) => (a.type === b.type ? 0 : a.type < b.type ? -1 : 1));

  const before = previous ?? [];
  const changed =
    before.length !== result.length ||
    result.some((c, i) => c.type !== before[i].type || c.status !== before[i].status || c.reason !== before[i].reason || c.message !== before[i].message);
  return { conditions: result, changed };
}

/** Argo CD's CalculateHealth: an error makes it Degraded, then a rollout in progress Progressing, then being up to date Healthy. */
export function applicationSetHealth(conditions: readonly ApplicationSetCondition[]): ApplicationSetHealth {
  if (!conditions.length) return { status: 'Unknown', message: 'No status conditions found for ApplicationSet' };
  const holding = (type: string) => conditions.find((c) => c.type === type && c.status === 'True');
  const error = holding(ConditionType.ErrorOccurred);
  if (error) return { status: 'Degraded', message: error.message };
  const progressing = holding(ConditionType.RolloutProgressing);
  if (progressing) return { status: 'Progressing', message: progressing.message };
  const upToDate = holding(ConditionType.ResourcesUpToDate);
  if (upToDate) return { status: 'Healthy', message: upToDate.message };
  return { status: 'Unknown', message: 'Waiting for health status to be determined' };
}
