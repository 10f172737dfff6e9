import { API_VERSION, type Application } from '../api/application.js';
import type { ApplicationSet } from '../api/application-set.js';
import type { KubeObject } from '../api/meta.js';
import { diffGeneration, type FieldChange, type GenerationDiff } from '../appset/generation-diff.js';
import { effectivePolicy, isOwnedBy } from '../appset/plan.js';
import type { PreviewGeneration } from '../appset/preview-generation.js';
import type { AppConfig } from '../config/app-config.js';
import type { ObjectClient } from '../kube/object-client.js';

/** The controller settings that decide what a reconcile writes (the same flags and variables as the controller's). */
export type ReconcileSettings = Pick<AppConfig, 'policy' | 'allowPolicyOverride' | 'maxDeleteRatio' | 'preservedAnnotations' | 'preservedLabels'>;

export interface DiffOutcome {
  text: string;
  /** Whether a reconcile would create, update or delete anything. */
  changes: boolean;
}

/**
 * Each generated ApplicationSet against the Applications it owns on the cluster: what its next
 * reconcile would create, update and delete, and what its policy or the deletion budget holds back.
 */
export async function diffAgainstCluster(outputs: PreviewGeneration['outputs'], client: ObjectClient, settings: ReconcileSettings): Promise<DiffOutcome> {
  const byNamespace = new Map<string, Application[]>();
  let text = '';
  let changes = false;
  for (const { appSet: generated, result, rejected } of outputs) {
    const namespace = generated.metadata.namespace!;
    const live = await client.get<ApplicationSet & KubeObject>(generated.apiVersion, 'ApplicationSet', namespace, generated.metadata.name);
    // The uid makes ownership exact and is part of what the reconciler hashes.
    const appSet: ApplicationSet = { ...generated, metadata: { ...generated.metadata, uid: live?.metadata.uid } };
    if (!byNamespace.has(namespace)) byNamespace.set(namespace, await client.list<Application & KubeObject>(API_VERSION, 'Application', namespace));
    const owned = byNamespace.get(namespace)!.filter((a) => isOwnedBy(a, appSet));
    const policy = effectivePolicy(appSet, settings.policy, settings.allowPolicyOverride);
    const diff = diffGeneration(
      appSet,
      result.generated.map((g) => g.application),
      owned,
      {
        policy,
        maxDeleteRatio: settings.maxDeleteRatio,
        preservedAnnotations: settings.preservedAnnotations,
        preservedLabels: settings.preservedLabels,
        rejected,
      },
    );
    changes ||= diff.creates.length + diff.updates.length + diff.deletes.length > 0;
    text += describe(appSet, policy, live !== undefined, diff);
  }
  return { text, changes };
}

function describe(appSet: ApplicationSet, policy: string, exists: boolean, diff: GenerationDiff): string {
  const lines = [
    `ApplicationSet ${appSet.metadata.namespace}/${appSet.metadata.name} (applicationsSync: ${policy}${exists ? '' : '; not on the cluster yet'})`,
  ];
  for (const { name } of diff.creates) lines.push(`  + create ${name}`);
  for (const { name, fields } of diff.updates) {
    lines.push(`  ~ update ${name}`);
    for (const field of fields) lines.push(`      ${fieldLine(field)}`);
  }
  const keeps = appSet.spec.syncPolicy?.preserveResourcesOnDeletion === true;
  for (const { name, cascades } of diff.deletes) {
    const resources = cascades
      ? 'its resources are deleted from the cluster too'
      : `its resources stay on the cluster${keeps ? ': held back by preserveResourcesOnDeletion' : ' (no resources finalizer)'}`;
    lines.push(`  - delete ${name} (${resources})`);
  }
  for (const { action, names, by } of diff.heldBack) lines.push(`  ! ${action} ${names.join(', ')}: held back by ${by}`);
  const held = diff.heldBack.reduce((n, h) => n + h.names.length, 0);
  lines.push(
    `  ${diff.creates.length} to create, ${diff.updates.length} to update, ${diff.deletes.length} to delete, ${diff.unchanged} unchanged${held ? `, ${held} held back` : ''}${diff.deleting ? `, ${diff.deleting} being deleted` : ''}`,
  );
  return `${lines.join('\n')}\n`;
}

/** `~ path: before → after`, `+ path: value` (added) or `- path: value` (removed). */
function fieldLine({ path, before, after }: FieldChange): string {
  if (before === undefined) return `+ ${path}: ${scalar(after)}`;
  if (after === undefined) return `- ${path}: ${scalar(before)}`;
  return `~ ${path}: ${scalar(before)} → ${scalar(after)}`;
}

/** Plain words as they are; anything that could be misread (empty, spaces, numbers as text, objects) as JSON. */
function scalar(value: unknown): string {
  return typeof value === 'string' && /^[\w./:@-]+$/.test(value) && !/^(true|false|null|-?\d[\d.]*)$/.test(value) ? value : JSON.stringify(value);
}
