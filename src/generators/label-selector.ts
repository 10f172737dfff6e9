import type { LabelSelector } from '../api/meta.js';

/**
 * Kubernetes label-selector matching as Argo CD's generators use it: keys must be qualified
 * names, values are not restricted (so a selector can match a cluster URL), a missing selector
 * matches nothing and an empty one matches everything.
 */
export type LabelMatcher = (labels: Record<string, string>) => boolean;

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export class LabelSelectorError extends Error {}

function checkKey(key: string, field: string): void {
  const slash = key.lastIndexOf('/');
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const problems: string[] = [];
  if (!name) problems.push('name part must be non-empty');
  else if (name.length > 63) problems.push('name part must be no more than 63 characters');
  else if (!QUALIFIED_NAME.test(name)) {
    problems.push("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
  }
  if (prefix !== undefined && (!prefix || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    problems.push('prefix part must be a lowercase RFC 1123 subdomain');
  }
  if (problems.length) throw new LabelSelectorError(`${field}: Invalid value: ${JSON.stringify(key)}: ${problems.join('; ')}`);
}

export function compileLabelSelector(selector: LabelSelector | undefined, field = 'selector'): LabelMatcher {
  if (!selector) return () => false;
  const requirements: LabelMatcher[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    checkKey(key, `${field}.matchLabels`);
    requirements.push((labels) => Object.hasOwn(labels, key) && labels[key] === String(value));
  }
  (selector.matchExpressions ?? []).forEach((expression, i) => {
    const where = `${field}.matchExpressions[${i}]`;
    const { key, operator } = expression;
    const values = (expression.values ?? []).map(String);
    checkKey(key ?? '', `${where}.key`);
    switch (operator) {
      case 'In':
      case 'NotIn': {
        if (values.length === 0) {
          throw new LabelSelectorError(`${where}.values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty`);
        }
        const wanted = operator === 'In';
        requirements.push((labels) => (Object.hasOwn(labels, key) ? values.includes(labels[key]) === wanted : !wanted));
        break;
      }
      case 'Exists':
      case 'DoesNotExist': {
        if (values.length !== 0) {
          throw new LabelSelectorError(`${where}.values: Invalid value: ${JSON.stringify(values)}: values set must be empty for exists and does not exist`);
        }
        const wanted = operator === 'Exists';
        requirements.push((labels) => Object.hasOwn(labels, key) === wanted);
        break;
      }
      default:
        throw new LabelSelectorError(`${JSON.stringify(operator ?? '')} is not a valid pod selector operator`);
    }
  });
  if (requirements.length === 0) return () => true;
  return (labels) => requirements.every((matches) => matches(labels));
}
