import type { Application } from '../api/application.js';
import type { ApplicationMatchExpression, ApplicationSet, ApplicationSetRolloutStep } from '../api/application-set.js';

/** What Argo CD reports in the InvalidRolloutConfig condition, collected while grouping and counting. */
export interface RolloutConfigIssues {
  invalidOperators: { step: number; operator: string }[];
  /** Application → the 0-based steps that select it, in order. */
  duplicates: Map<string, number[]>;
  emptySteps: number[];
  invalidMaxUpdates: { step: number; value: string }[];
}

export interface StepGrouping {
  /** The Applications of each step, in the order the generators produced them. */
  steps: string[][];
  /** Application → its first (0-based) step. Applications no step selects are absent. */
  stepOf: Map<string, number>;
  issues: RolloutConfigIssues;
}

export function isRollingSync(appSet: ApplicationSet): boolean {
  return appSet.spec.strategy?.type === 'RollingSync' && appSet.spec.strategy.rollingSync !== undefined;
}

/** RollingSync with at least one step: the only case where Argo CD runs progressive syncs. */
export function rollingSyncSteps(appSet: ApplicationSet): ApplicationSetRolloutStep[] {
  return isRollingSync(appSet) ? (appSet.spec.strategy?.rollingSync?.steps ?? []) : [];
}

export function isDeletionOrderReversed(appSet: ApplicationSet): boolean {
  return rollingSyncSteps(appSet).length > 0 && (appSet.spec.strategy?.deletionOrder ?? '').toLowerCase() === 'reverse';
}

/** In: the label's value is listed; NotIn: it is not. Other operators select nothing. */
function labelMatches(value: string, expression: ApplicationMatchExpression): boolean | 'invalid' {
  if (expression.operator !== 'In' && expression.operator !== 'NotIn') return 'invalid';
  const listed = (expression.values ?? []).includes(value);
  return expression.operator === 'In' ? listed : !listed;
}

/**
 * Argo CD's grouping: an Application belongs to a step when every matchExpression holds. A
 * missing label fails only an `In` expression (NotIn, and even an unknown operator, let it pass).
 */
export function groupIntoSteps(appSet: ApplicationSet, applications: Application[]): StepGrouping {
  const stepsSpec = rollingSyncSteps(appSet);
  const steps: string[][] = stepsSpec.map(() => []);
  const stepOf = new Map<string, number>();
  const issues: RolloutConfigIssues = { invalidOperators: [], duplicates: new Map(), emptySteps: [], invalidMaxUpdates: [] };
  for (const application of applications) {
    const name = application.metadata.name;
    stepsSpec.forEach((step, index) => {
      let selected = true;
      for (const expression of step.matchExpressions ?? []) {
        const value = application.metadata.labels?.[expression.key ?? ''];
        if (value !== undefined) {
          const matched = labelMatches(value, expression);
          if (matched === 'invalid') {
            const operator = expression.operator ?? '';
            if (!issues.invalidOperators.some((i) => i.step === index && i.operator === operator)) issues.invalidOperators.push({ step: index, operator });
          }
          if (matched !== true) {
            selected = false;
            break;
          }
        } else if (expression.operator === 'In') {
          selected = false;
          break;
        }
      }
      if (!selected) return;
      steps[index].push(name);
      const first = stepOf.get(name);
      if (first === undefined) stepOf.set(name, index);
      else issues.duplicates.set(name, [...(issues.duplicates.get(name) ?? [first]), index]);
    });
  }
  steps.forEach((names, index) => {
    if (names.length === 0) issues.emptySteps.push(index);
  });
  return { steps, stepOf, issues };
}

/**
 * intstr.GetScaledValueFromIntOrPercent rounding down, then Argo CD's rule that a percentage above
 * 0% allows at least one. Undefined maxUpdate means no limit.
 */
export function maxUpdateFor(maxUpdate: number | string | undefined, total: number): { limit: number; invalid?: string } {
  if (maxUpdate === undefined || maxUpdate === null) return { limit: Infinity };
  if (typeof maxUpdate === 'number') return { limit: maxUpdate };
  const percent = /^([+-]?\d+)%$/.exec(maxUpdate);
  // Go reports the error, scales to 0, and the at-least-one rule then allows one.
  if (!percent) return { limit: 1, invalid: maxUpdate };
  const scaled = Math.floor((Number(percent[1]) * total) / 100);
  return { limit: maxUpdate !== '0%' && scaled < 1 ? 1 : scaled };
}

/** The InvalidRolloutConfig message: only the highest-priority kind of issue, worded as Argo CD words it. */
export function rolloutConfigMessage(issues: RolloutConfigIssues): string | undefined {
  if (issues.invalidOperators.length) {
    const steps = issues.invalidOperators.map((i) => String(i.step + 1));
    const operators = issues.invalidOperators.map((i) => i.operator).join(', ');
    return steps.length === 1
      ? `Step ${steps[0]} has invalid matchExpression operators: ${operators}. Supported Operators are 'In' and 'NotIn'`
      : `Steps ${steps.join(', ')} have invalid matchExpression operators: ${operators}. Supported Operators are 'In' and 'NotIn'`;
  }
  if (issues.duplicates.size) {
    const names = [...issues.duplicates.keys()].sort();
    const steps = names.map((name) =>
      issues.duplicates
        .get(name)!
        .map((s) => s + 1)
        .join('-'),
    );
    return names.length === 1
      ? `Application '${names[0]}' is selected by multiple steps: (${steps[0]})`
      : `Applications '${names.join("', '")}' are selected by multiple steps: [(${steps.join('), (')})]`;
  }
  if (issues.invalidMaxUpdates.length) {
    const steps = issues.invalidMaxUpdates.map((i) => i.step + 1).join(', ');
    const values = issues.invalidMaxUpdates.map((i) => i.value).join(', ');
    return issues.invalidMaxUpdates.length === 1
      ? `Step ${steps} has an invalid maxUpdate value: ${values}`
      : `Steps ${steps} have invalid maxUpdate values: [${values}]`;
  }
  if (issues.emptySteps.length) return `Steps [${issues.emptySteps.map((s) => s + 1).join(' ')}] have no applications matching their criteria`;
  return undefined;
}
