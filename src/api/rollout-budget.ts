import { labelSelector } from './application-set-schema.js';
import type { KubeObject, LabelSelector, ObjectMeta } from './meta.js';
import type { Schema } from './schema.js';

export const ROLLOUT_BUDGET_GROUP = 'regatta.dev';
export const ROLLOUT_BUDGET_API_VERSION = `${ROLLOUT_BUDGET_GROUP}/v1alpha1`;
export const ROLLOUT_BUDGET_PLURAL = 'rolloutbudgets';

/**
 * Regatta's fleet-wide blast-radius budget: how much of the clusters its selector matches (cluster
 * Secret labels, as the Cluster generator reads them) RollingSync may have in motion at once,
 * across every ApplicationSet. Unset limits do not limit.
 */
export interface RolloutBudgetSpec {
  selector?: LabelSelector;
  /** Applications on these clusters syncing or not yet Healthy after a sync, at most. */
  maxConcurrentSyncs?: number;
  /** Degraded Applications on these clusters tolerated: with more, no step releases a sync onto them. */
  maxUnhealthy?: number;
  /** Applications on these clusters whose last sync failed tolerated: with more, no step releases a sync onto them. */
  maxFailures?: number;
}

export interface RolloutBudget extends KubeObject {
  metadata: ObjectMeta & { name: string };
  spec?: RolloutBudgetSpec;
}

const limit: Schema = { type: 'integer', minimum: 0 };

export const rolloutBudgetSchema: Schema = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      properties: { selector: labelSelector, maxConcurrentSyncs: limit, maxUnhealthy: limit, maxFailures: limit },
    },
  },
  required: ['metadata', 'spec'],
};
