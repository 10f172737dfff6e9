import { API_VERSION } from '../api/application.js';
import type { ApplicationSet } from '../api/application-set.js';
import type { KubeObject } from '../api/meta.js';
import type { ObjectClient } from '../kube/object-client.js';
import { ROLLOUT_CONTROL_ANNOTATION, ROLLOUT_RESUMED_AT_ANNOTATION } from '../api/annotations.js';

export const ROLLOUT_ACTIONS = ['pause', 'resume', 'abort'] as const;
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];

export function isRolloutAction(value: string): value is RolloutAction {
  return (ROLLOUT_ACTIONS as readonly string[]).includes(value);
}

/** `paused`, `resumed`, `aborted`: what an action did, as the CLI and the API report it. */
export function pastTense(action: RolloutAction): string {
  return action === 'abort' ? 'aborted' : `${action}d`;
}

/**
 * Pause, resume or abort a rollout the way `regatta rollout` and the REST API both do it: a merge
 * patch of the control annotation that the controller reads. Resume removes it and stamps the
 * time, which also clears a halted rollout's failures. Undefined when the ApplicationSet is gone.
 */
export async function controlRollout(client: ObjectClient, namespace: string, name: string, action: RolloutAction): Promise<ApplicationSet | undefined> {
  const appSet = await client.get<ApplicationSet & KubeObject>(API_VERSION, 'ApplicationSet', namespace, name);
  if (!appSet) return undefined;
  const annotations: Record<string, string | null> =
    action === 'resume'
      ? { [ROLLOUT_CONTROL_ANNOTATION]: null, [ROLLOUT_RESUMED_AT_ANNOTATION]: new Date().toISOString() }
      : { [ROLLOUT_CONTROL_ANNOTATION]: action };
  return (await client.mergePatch({
    apiVersion: appSet.apiVersion,
    kind: 'ApplicationSet',
    metadata: { name, namespace, annotations },
  } as unknown as KubeObject)) as unknown as ApplicationSet;
}
