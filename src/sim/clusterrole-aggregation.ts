import type { ClusterStore } from './cluster-store.js';
import { parseLabelSelector, SelectorError } from './selectors.js';

type Obj = Record<string, any>;

/** Who the aggregated roles' updates are recorded as, as kube-controller-manager's controller. */
export const AGGREGATION_CONTROLLER = 'system:serviceaccount:kube-system:clusterrole-aggregation-controller';
const MANAGER = 'clusterrole-aggregation-controller';

type LabelMatcher = (labels: Record<string, string>) => boolean;

/** A metav1.LabelSelector in the query-string form the API server parses; one that cannot be written that way matches nothing. */
function labelSelectorText(selector: Obj): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    if (operator === 'In' || operator === 'NotIn') parts.push(`${key} ${operator.toLowerCase()} (${values.join(',')})`);
    else if (operator === 'Exists') parts.push(key);
    else if (operator === 'DoesNotExist') parts.push(`!${key}`);
    else throw new SelectorError(`${operator} is not a valid label selector operator`);
  }
  return parts.join(',');
}

function selectorsOf(role: Obj): LabelMatcher[] {
  return (role.aggregationRule?.clusterRoleSelectors ?? []).map((selector: Obj): LabelMatcher => {
    try {
      return parseLabelSelector(labelSelectorText(selector ?? {}));
    } catch (error) {
      if (error instanceof SelectorError) return () => false;
      throw error;
    }
  });
}

/**
 * The rules an aggregated ClusterRole gets: for each selector in turn, the rules of the other
 * ClusterRoles it matches (by name), each rule once.
 */
export function aggregatedRules(role: Obj, clusterRoles: Obj[]): Obj[] {
  const rules: Obj[] = [];
  const seen = new Set<string>();
  const others = clusterRoles.filter((r) => r.metadata.name !== role.metadata.name).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  for (const matches of selectorsOf(role)) {
    for (const source of others) {
      if (!matches(source.metadata.labels ?? {})) continue;
      for (const rule of source.rules ?? []) {
        const key = JSON.stringify(rule);
        if (seen.has(key)) continue;
        seen.add(key);
        rules.push(structuredClone(rule));
      }
    }
  }
  return rules;
}

/**
 * kube-controller-manager's ClusterRole aggregation on one simulated cluster: every ClusterRole
 * with an `aggregationRule` keeps its `rules` equal to the union of the rules of the ClusterRoles
 * its selectors match, recomputed after any ClusterRole changes (once per burst of changes).
 */
export class ClusterRoleAggregator {
  private readonly unsubscribe: () => void;
  private scheduled = false;

  constructor(private readonly store: ClusterStore) {
    const type = store.typeForKind('rbac.authorization.k8s.io/v1', 'ClusterRole')!;
    this.unsubscribe = store.subscribe((event) => {
      if (event.type_ !== type || this.scheduled) return;
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        this.reconcile();
      });
    });
  }

  reconcile(): void {
    const type = this.store.typeForKind('rbac.authorization.k8s.io/v1', 'ClusterRole')!;
    const roles = this.store.list(type);
    for (const role of roles) {
      if (!role.aggregationRule) continue;
      const rules = aggregatedRules(role, roles);
      if (JSON.stringify(rules) === JSON.stringify(role.rules ?? [])) continue;
      const next = { ...structuredClone(role), rules };
      this.store.update(type, role, next, AGGREGATION_CONTROLLER, undefined, MANAGER, MANAGER, 'update');
    }
  }

  stop(): void {
    this.unsubscribe();
  }
}
