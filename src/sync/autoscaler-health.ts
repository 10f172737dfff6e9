/**
 * A HorizontalPodAutoscaler's health as gitops-engine assesses it: from its conditions
 * (autoscaling/v2, v2beta2, v2beta1) or the conditions annotation autoscaling/v1 keeps them in.
 * The first condition that says Degraded or Healthy decides; none says: waiting to autoscale.
 */

import type { Health } from '../api/application.js';

type Obj = Record<string, any>;

const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
const WAITING: Health = { status: 'Progressing', message: 'Waiting to Autoscale' };

const DEGRADED = new Set([
  'AbleToScale/FailedGetScale',
  'AbleToScale/FailedUpdateScale',
  'ScalingActive/FailedGetResourceMetric',
  'ScalingActive/InvalidSelector',
]);
const HEALTHY_TYPES = new Set(['AbleToScale', 'ScalingLimited']);

interface Condition {
  type: string;
  reason: string;
  message: string;
  status: string;
}

/** A field of a condition read from JSON, whose field names Go matches regardless of case. */
function field(condition: Obj, name: string): string {
  const key = Object.keys(condition).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : condition[key];
  return typeof value === 'string' ? value : '';
}

const conditionsOf = (items: unknown): Condition[] =>
  (Array.isArray(items) ? items : [])
    .filter((c) => c && typeof c === 'object')
    .map((c) => ({ type: field(c, 'type'), reason: field(c, 'reason'), message: field(c, 'message'), status: field(c, 'status') }));

function judged(conditions: Condition[]): Health {
  for (const c of conditions) {
    if (DEGRADED.has(`${c.type}/${c.reason}`)) return { status: 'Degraded', message: c.message };
    if (HEALTHY_TYPES.has(c.type) && c.status === 'True') return { status: 'Healthy', message: c.message };
  }
  return WAITING;
}

export function autoscalerHealth(hpa: Obj, version: string): Health {
  if (version !== 'v1') return judged(conditionsOf(hpa.status?.conditions));
  const annotation = hpa.metadata?.annotations?.[CONDITIONS_ANNOTATION];
  if (annotation === undefined) return WAITING;
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(annotation));
  } catch (error) {
    return { status: 'Unknown', message: `failed to convert conditions annotation to typed: ${(error as Error).message}` };
  }
  if (parsed !== null && !Array.isArray(parsed))
    return { status: 'Unknown', message: 'failed to convert conditions annotation to typed: not a list of conditions' };
  const conditions = conditionsOf(parsed);
  return conditions.length ? judged(conditions) : WAITING;
}
