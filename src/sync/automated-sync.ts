import type { Application, Operation } from '../api/application.js';
import type { Comparison } from './sync-driver.js';
import { revisionFields, revisionKey } from './application-sources.js';

/** Argo CD's default self-heal backoff (--self-heal-backoff-timeout-seconds, -factor, -cap-seconds). */
const SELF_HEAL_BACKOFF = { initialMs: 2000, factor: 3, capMs: 300_000 };

export type AutosyncDecision = { operation: Operation } | { retryInMs: number } | undefined;

/** The wait before self-heal attempt `attempts + 1`: none for the first, then 2 s, 6 s, 18 s… up to 5 minutes. */
export function selfHealDelayMs(attempts: number): number {
  if (attempts <= 0) return 0;
  return Math.min(SELF_HEAL_BACKOFF.initialMs * SELF_HEAL_BACKOFF.factor ** (attempts - 1), SELF_HEAL_BACKOFF.capMs);
}

/**
 * Argo CD's autoSync for an OutOfSync comparison of an Application with automated sync on and no
 * operation: a revision not synced before is synced; one synced before is synced again only with
 * selfHeal, after a successful sync, once its backoff has passed (a failed one waits for a new revision).
 */
export function autosync(application: Application, comparison: Comparison, now: Date): AutosyncDecision {
  const policy = application.spec.syncPolicy;
  const prune = policy?.automated?.prune === true;
  const last = application.status?.operationState;
  const syncOptions = policy?.syncOptions;
  // As Argo CD's autosync: the Application's sync options, and its retry (five retries when it names none).
  const operation = (selfHealAttemptsCount?: number): Operation => ({
    initiatedBy: { username: 'automated-sync', automated: true },
    sync: { ...revisionFields(comparison), prune, ...(syncOptions ? { syncOptions } : {}), ...(selfHealAttemptsCount ? { selfHealAttemptsCount } : {}) },
    retry: policy?.retry ?? { limit: 5 },
  });
  if (!last || revisionKey(last.syncResult) !== revisionKey(comparison)) return { operation: operation() };
  if (policy?.automated?.selfHeal !== true || last.phase !== 'Succeeded') return undefined;
  // As Argo CD: what only pruning would fix, with automated prune off, is not healed over and over.
  if (!prune && comparison.resources.every((r) => r.status === 'Synced' || r.requiresPruning)) return undefined;
  const attempts = last.operation?.sync?.selfHealAttemptsCount ?? 0;
  const since = last.finishedAt ? now.getTime() - Date.parse(last.finishedAt) : 0;
  const remaining = selfHealDelayMs(attempts) - since;
  if (remaining > 0) return { retryInMs: remaining };
  return { operation: operation(attempts + 1) };
}
