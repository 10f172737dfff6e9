import { parseKubeYaml } from '../api/kube-yaml.js';
import { isPlainObject } from '../lib/json-values.js';
import { HelmError } from './helm-error.js';

export type Manifest = Record<string, any>;

/** A document of the chart's output and the template it came from (`chart/templates/service.yaml`). */
export interface RenderedManifest {
  source: string;
  object: Manifest;
}

/** Helm's releaseutil.InstallOrder: kinds installed (and printed by helm template) in this order, others after them by name. */
export const HELM_INSTALL_ORDER: readonly string[] = [
  'PriorityClass',
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
];
const RANK = new Map(HELM_INSTALL_ORDER.map((kind, i) => [kind, i]));

/** Helm's hook events; a document naming any other is left out of the release. */
const HOOK_EVENTS = new Set([
  'pre-install',
  'post-install',
  'pre-delete',
  'post-delete',
  'pre-upgrade',
  'post-upgrade',
  'pre-rollback',
  'post-rollback',
  'test',
  'test-success',
]);
const TEST_EVENTS = new Set(['test', 'test-success']);

function compareKinds(a: string, b: string): number {
  const ra = RANK.get(a);
  const rb = RANK.get(b);
  if (ra === undefined && rb === undefined) return a < b ? -1 : a > b ? 1 : 0;
  if (ra === undefined) return 1;
  if (rb === undefined) return -1;
  return ra - rb;
}

/** Helm's SplitManifests: documents separated by `---` lines, trimmed, empty ones dropped. */
export function splitManifests(text: string): string[] {
  return text
    .trim()
    .split(/(?:^|\s*\n)---\s*/)
    .filter((d) => d !== '')
    .map((d) => d.trim());
}

export function parseDocument(source: string, document: string): Manifest | undefined {
  let parsed: unknown;
  try {
    parsed = parseKubeYaml(document);
  } catch (error) {
    throw new HelmError(`YAML parse error on ${source}: error converting YAML to JSON: ${(error as Error).message}`);
  }
  if (parsed == null) return undefined;
  if (!isPlainObject(parsed)) throw new HelmError(`YAML parse error on ${source}: error unmarshaling JSON: json: cannot unmarshal array into Go value of type releaseutil.SimpleHead`);
  return parsed;
}

/**
 * What helm template prints from rendered template files, in its order: files by path, documents
 * in file order, then stably by kind in install order; hooks (helm.sh/hook) after all the others,
 * ordered the same way; test hooks left out when `skipTests`.
 */
export function orderManifests(rendered: ReadonlyMap<string, string>, skipTests = false): RenderedManifest[] {
  const generic: RenderedManifest[] = [];
  const hooks: RenderedManifest[] = [];
  for (const source of [...rendered.keys()].sort()) {
    const content = rendered.get(source)!;
    if (source.split('/').at(-1)!.startsWith('_') || content.trim() === '') continue;
    for (const document of splitManifests(content)) {
      const object = parseDocument(source, document);
      if (!object) continue;
      const hook: unknown = object.metadata?.annotations?.['helm.sh/hook'];
      if (typeof hook !== 'string') {
        generic.push({ source, object });
        continue;
      }
      const events = hook.split(',').map((e) => e.trim().toLowerCase());
      if (!events.every((e) => HOOK_EVENTS.has(e))) continue;
      if (skipTests && events.some((e) => TEST_EVENTS.has(e))) continue;
      hooks.push({ source, object });
    }
  }
  const byKind = (a: RenderedManifest, b: RenderedManifest) => compareKinds(String(a.object.kind ?? ''), String(b.object.kind ?? ''));
  return [...generic.sort(byKind), ...hooks.sort(byKind)];
}
