import type { Application } from '../api/application.js';
import { DEPENDS_ON_ANNOTATION } from '../api/annotations.js';
import { parseLabelSelector } from '../lib/label-selector-text.js';
import { observedStatus, revisionsOf } from './application-state.js';
import { sameRevisions, type RolloutRound } from './rollout-round.js';

/**
 * Regatta: `regatta.dev/depends-on: <label selector>` on a generated Application orders the syncs
 * of its step. The selector is evaluated among the ApplicationSet's Applications of the same step
 * on the same cluster (destination server, else name); the Application is released only when every one it
 * selects is Healthy and Synced (at the same revision, when both track the same source). A
 * selector that does not parse, and every Application of a dependency cycle, are reported and
 * never released.
 */

export const DEPENDENCY_HOLD_PREFIX = 'Application release held: ';
/** A selector is tenant input: longer ones are refused rather than parsed. */
const MAX_SELECTOR_LENGTH = 1024;
const NAMES_SHOWN = 10;

interface Dependent {
  name: string;
  /** The Applications it selects on its cluster; undefined when its selector is invalid. */
  needs?: string[];
  error?: string;
}

const clusterOf = (application: Application) => application.spec.destination.server || application.spec.destination.name || '';
const sourceKey = (application: Application) => JSON.stringify([application.spec.source?.repoURL, application.spec.source?.targetRevision ?? 'HEAD']);

/** What each annotated Application depends on, among the Applications `related` to it (its cluster and step). */
function dependents(applications: Application[], related: (a: string, b: string) => boolean): Dependent[] {
  const byCluster = new Map<string, Application[]>();
  for (const application of applications) byCluster.set(clusterOf(application), [...(byCluster.get(clusterOf(application)) ?? []), application]);
  const result: Dependent[] = [];
  for (const application of applications) {
    const selector = application.metadata.annotations?.[DEPENDS_ON_ANNOTATION]?.trim();
    // Empty means no dependencies (not Kubernetes' select-everything): templates can leave it blank for some Applications.
    if (!selector) continue;
    const name = application.metadata.name;
    if (selector.length > MAX_SELECTOR_LENGTH) {
      result.push({ name, error: `longer than ${MAX_SELECTOR_LENGTH} characters` });
      continue;
    }
    try {
      const matches = parseLabelSelector(selector);
      const needs = (byCluster.get(clusterOf(application)) ?? []).filter(
        (other) => other.metadata.name !== name && related(name, other.metadata.name) && matches(other.metadata.labels ?? {}),
      );
      result.push({ name, needs: needs.map((other) => other.metadata.name) });
    } catch (error) {
      result.push({ name, error: (error as Error).message });
    }
  }
  return result;
}

/** The Applications that are part of a dependency cycle (Tarjan's strongly connected components of more than one). */
export function dependencyCycles(edges: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const node of [...edges.keys()].sort()) if (!index.has(node)) visit(node);
  return cycles.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

const quoted = (names: string[]) =>
  `'${names.slice(0, NAMES_SHOWN).join("', '")}'${names.length > NAMES_SHOWN ? ` and ${names.length - NAMES_SHOWN} more` : ''}`;

/**
 * Takes the Waiting Applications whose dependencies are not ready (or that are part of a cycle, or
 * whose selector is invalid) out of `appsToSync`, so they are not released this round. Returns the
 * error for the InvalidRolloutConfig condition, if any.
 */
export function holdDependents(round: RolloutRound, appsToSync: Set<string>): string | undefined {
  const { input, entryOf, currentOf } = round;
  const generated = input.generated ?? input.desired;
  const known = new Map(generated.map((a) => [a.metadata.name, a]));
  for (const application of input.current) if (!known.has(application.metadata.name)) known.set(application.metadata.name, application);
  // Within a step only: a dependency in a later step would hold its dependent's step for good.
  const all = dependents([...known.values()], (a, b) => round.stepOf.get(a) === round.stepOf.get(b));
  const cycles = dependencyCycles(new Map(all.filter((d) => d.needs).map((d) => [d.name, d.needs!])));
  const inCycle = new Set(cycles.flat());
  const ready = (name: string, dependent: Application) => {
    const live = currentOf.get(name);
    if (!live || entryOf.get(name)?.status !== 'Healthy') return false;
    const observed = observedStatus(live);
    if (observed.health?.status !== 'Healthy' || observed.sync?.status !== 'Synced') return false;
    return sourceKey(live) !== sourceKey(dependent) || sameRevisions(revisionsOf(live), revisionsOf(dependent));
  };
  for (const dependent of all) {
    const entry = entryOf.get(dependent.name);
    const live = currentOf.get(dependent.name);
    if (!entry || !live) continue;
    const unready = dependent.needs?.filter((name) => !ready(name, live));
    const reason = dependent.error
      ? `its ${DEPENDS_ON_ANNOTATION} selector is invalid`
      : inCycle.has(dependent.name)
        ? `it is part of a ${DEPENDS_ON_ANNOTATION} cycle`
        : unready?.length
          ? `waiting for ${quoted(unready)} to be Healthy`
          : undefined;
    if (reason && entry.status === 'Waiting' && appsToSync.has(dependent.name)) {
      appsToSync.delete(dependent.name);
      entry.message = `${DEPENDENCY_HOLD_PREFIX}${reason}`;
    } else if (!reason && entry.message.startsWith(DEPENDENCY_HOLD_PREFIX)) {
      entry.message = 'Application dependencies are Healthy, waiting to be released';
    }
  }
  const problems = [
    ...all.filter((d) => d.error).map((d) => `Application '${d.name}' has an invalid ${DEPENDS_ON_ANNOTATION} selector: ${d.error}`),
    ...cycles.map((cycle) => `Applications ${quoted(cycle)} depend on each other in a cycle (${DEPENDS_ON_ANNOTATION}); none of them is released`),
  ];
  return problems.length ? problems.join('; ') : undefined;
}
