import type { ApplicationSet, ClusterDecisionResourceGenerator } from '../api/application-set.js';
import { IN_CLUSTER_NAME, IN_CLUSTER_SERVER } from '../api/cluster-secret.js';
import type { KubeObject } from '../api/meta.js';
import { isPlainObject, setEntry } from '../lib/json-values.js';
import { formatGoValue } from '../templating/flatten.js';
import { DEFAULT_REQUEUE_AFTER_SECONDS, GeneratorError, type Generator, type GeneratorContext, type ParamSet } from './generator.js';
import { compileLabelSelector, LabelSelectorError } from './label-selector.js';

/** Where Argo CD reads the decisions when the ConfigMap names no `statusListKey`. */
const DEFAULT_STATUS_LIST_KEY = 'clusters';

/**
 * `clusterDecisionResource`: clusters chosen by another controller (OCM's PlacementDecision and
 * its like). The ConfigMap `configMapRef` in Argo CD's namespace names the resource (`apiVersion`,
 * `kind` as the resource's plural), the status list (`statusListKey`, default `clusters`) and the
 * decision field holding a cluster's name (`matchKey`). Each decision naming a registered cluster
 * gives `name` and `server`, then every field of the decision as Go's `%v` prints it, then `values`
 * as written (Argo CD does not render them here). Unlike Argo CD, a ConfigMap without `matchKey`
 * fails the generation instead of yielding nothing, so a misconfiguration never deletes Applications.
 */
export class ClusterDecisionResourceGeneratorImpl implements Generator<ClusterDecisionResourceGenerator> {
  readonly kind = 'clusterDecisionResource';

  async generateParams(spec: ClusterDecisionResourceGenerator, appSet: ApplicationSet, context: GeneratorContext): Promise<ParamSet[]> {
    const clusters = await this.clusters(context);
    const name = spec.configMapRef;
    const settings = await context.settings.configMapData(name);
    if (!settings) throw new GeneratorError(`error reading configMapRef: configmaps "${name}" not found`, 'configMapRef');
    const apiVersion = settings.apiVersion ?? '';
    const resource = settings.kind ?? '';
    if (!resource || apiVersion.indexOf('/') < 1)
      throw new GeneratorError('there is a problem with the apiVersion, kind or resourceName provided', 'configMapRef');
    const bySelector = spec.labelSelector?.matchLabels != null || spec.labelSelector?.matchExpressions != null;
    if (!spec.name === !bySelector)
      throw new GeneratorError('there is a problem with the definition of the ClusterDecisionResource generator', spec.name ? 'name' : 'labelSelector');
    const where = `ConfigMap ${context.settings.namespace}/${name}`;
    const matchKey = settings.matchKey;
    if (!matchKey) throw new GeneratorError(`matchKey not found in ${where}`, 'configMapRef');
    const statusListKey = settings.statusListKey || DEFAULT_STATUS_LIST_KEY;

    const chosen = await this.decisionResources(spec, apiVersion, resource, context);
    const goTemplate = appSet.spec.goTemplate === true;
    const result: ParamSet[] = [];
    for (const object of chosen) {
      for (const decision of decisionsOf(object, statusListKey, resource)) {
        const match = decision[matchKey];
        const clusterName = match == null ? '' : formatGoValue(match);
        const cluster = clusterName === '' ? undefined : clusters.find((c) => c.name === clusterName);
        if (!cluster) continue;
        const params: ParamSet = { name: cluster.name, server: cluster.server };
        for (const [key, value] of Object.entries(decision)) setEntry(params, key, formatGoValue(value));
        if (spec.values) {
          if (goTemplate) params.values = { ...spec.values };
          else for (const [key, value] of Object.entries(spec.values)) params[`values.${key}`] = value;
        }
        result.push(params);
      }
    }
    return result;
  }

  requeueAfterSeconds(spec: ClusterDecisionResourceGenerator): number | undefined {
    return spec.requeueAfterSeconds ?? DEFAULT_REQUEUE_AFTER_SECONDS;
  }

  /** The fleet by name, the local cluster among them even without a Secret, as Argo CD lists it here. */
  private async clusters(context: GeneratorContext): Promise<{ name: string; server: string }[]> {
    const registered = (await context.clusters.list()).map(({ name, server }) => ({ name, server }));
    return registered.some((c) => c.server === IN_CLUSTER_SERVER) ? registered : [...registered, { name: IN_CLUSTER_NAME, server: IN_CLUSTER_SERVER }];
  }

  /** The resources `name` or `labelSelector` choose, in name order as the API server lists them. */
  private async decisionResources(
    spec: ClusterDecisionResourceGenerator,
    apiVersion: string,
    resource: string,
    context: GeneratorContext,
  ): Promise<KubeObject[]> {
    let matches: (object: KubeObject) => boolean;
    if (spec.name) matches = (object) => object.metadata?.name === spec.name;
    else {
      try {
        const selector = compileLabelSelector(spec.labelSelector ?? {}, 'labelSelector');
        matches = (object) => selector(object.metadata?.labels ?? {});
      } catch (error) {
        if (error instanceof LabelSelectorError) throw new GeneratorError(`failed to get dynamic resources: ${error.message}`, 'labelSelector');
        throw error;
      }
    }
    let listed: KubeObject[];
    try {
      listed = await context.resources.list(apiVersion, resource);
    } catch (error) {
      throw new GeneratorError(`failed to get dynamic resources: ${(error as Error).message}`, 'configMapRef');
    }
    const nameOf = (object: KubeObject) => object.metadata?.name ?? '';
    const chosen = listed.filter(matches).sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0));
    if (!chosen.length) throw new GeneratorError('no clusterDecisionResources found', spec.name ? 'name' : 'labelSelector');
    return chosen;
  }
}

/** The decisions one resource's status lists; a resource without status has none yet. */
function decisionsOf(object: KubeObject, statusListKey: string, resource: string): Record<string, unknown>[] {
  const status = (object as { status?: unknown }).status;
  if (!isPlainObject(status) || Object.keys(status).length === 0) return [];
  const where = `${resource} ${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
  const list = status[statusListKey];
  if (!Array.isArray(list)) throw new GeneratorError(`status.${statusListKey} of ${where} is not a list`, 'configMapRef');
  const misshapen = list.findIndex((decision) => !isPlainObject(decision));
  if (misshapen >= 0) throw new GeneratorError(`status.${statusListKey}[${misshapen}] of ${where} is not an object`, 'configMapRef');
  return list as Record<string, unknown>[];
}
