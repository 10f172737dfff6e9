import type { ApplicationSet, ClusterGenerator } from '../api/application-set.js';
import { CLUSTER_SECRET_TYPE, IN_CLUSTER_NAME, IN_CLUSTER_SERVER, SECRET_TYPE_LABEL } from '../api/cluster-secret.js';
import { sanitizeName } from '../templating/gotemplate/index.js';
import { GeneratorError, type Generator, type GeneratorContext, type ParamSet, type RegisteredCluster } from './generator.js';
import { addTemplatedValues } from './generator-values.js';
import { compileLabelSelector, LabelSelectorError } from './label-selector.js';

/**
 * The parameters Argo CD's Cluster generator gives one cluster: name, nameNormalized, server,
 * project, then its Secret's annotations and labels (flat `metadata.labels.x` keys without
 * goTemplate, a `metadata` object with it).
 */
export function clusterParams(cluster: Pick<RegisteredCluster, 'name' | 'server' | 'project' | 'labels' | 'annotations'>, goTemplate: boolean): ParamSet {
  const params: ParamSet = {
    name: cluster.name,
    nameNormalized: sanitizeName(cluster.name),
    server: cluster.server,
    project: cluster.project ?? '',
  };
  if (goTemplate) {
    const metadata: Record<string, unknown> = {};
    if (Object.keys(cluster.annotations).length) metadata.annotations = { ...cluster.annotations };
    if (Object.keys(cluster.labels).length) metadata.labels = { ...cluster.labels };
    params.metadata = metadata;
  } else {
    for (const [key, value] of Object.entries(cluster.annotations)) params[`metadata.annotations.${key}`] = value;
    for (const [key, value] of Object.entries(cluster.labels)) params[`metadata.labels.${key}`] = value;
  }
  return params;
}

/**
 * `clusters`: one parameter set per registered cluster whose Secret matches the selector, plus
 * the local cluster when no selector is given and no Secret registers it. Argo CD emits them in
 * Go map order (random); Regatta sorts by cluster name.
 */
export class ClusterGeneratorImpl implements Generator<ClusterGenerator> {
  readonly kind = 'clusters';

  async generateParams(spec: ClusterGenerator, appSet: ApplicationSet, context: GeneratorContext): Promise<ParamSet[]> {
    const selector = spec.selector ?? {};
    const hasSelector = Object.keys(selector.matchLabels ?? {}).length > 0 || (selector.matchExpressions ?? []).length > 0;
    let matches: (labels: Record<string, string>) => boolean;
    try {
      matches = compileLabelSelector(
        { matchLabels: { ...selector.matchLabels, [SECRET_TYPE_LABEL]: CLUSTER_SECRET_TYPE }, matchExpressions: selector.matchExpressions },
        'selector',
      );
    } catch (error) {
      if (error instanceof LabelSelectorError) throw new GeneratorError(`error converting label selector: ${error.message}`, 'selector');
      throw error;
    }

    const byName = new Map<string, RegisteredCluster>();
    context.inputs?.readClusters(matches);
    for (const cluster of await context.clusters.list()) if (matches(cluster.labels)) byName.set(cluster.name, cluster);
    const clusters = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

    const goTemplate = appSet.spec.goTemplate === true;
    const paramSets: ParamSet[] = [];
    for (const cluster of clusters) {
      const params = clusterParams(cluster, goTemplate);
      await addTemplatedValues(params, spec.values, appSet, context);
      paramSets.push(params);
    }
    if (!hasSelector && !clusters.some((c) => c.server === IN_CLUSTER_SERVER)) {
      const local: ParamSet = { name: IN_CLUSTER_NAME, nameNormalized: IN_CLUSTER_NAME, server: IN_CLUSTER_SERVER, project: '' };
      await addTemplatedValues(local, spec.values, appSet, context);
      paramSets.push(local);
    }
    return spec.flatList ? [{ clusters: paramSets }] : paramSets;
  }

  requeueAfterSeconds(): number | undefined {
    return undefined;
  }
}
