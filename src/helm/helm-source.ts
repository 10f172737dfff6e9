import { loadChart } from './chart.js';
import { HelmError } from './helm-error.js';
import type { Manifest } from './manifest-order.js';
import { expandBuildEnvironment, referenceOf, releaseValues, valueFileKey, type HelmSourceSpec, type ReferencedSources } from './release-values.js';
import { renderChart, type ChartRenderLimits } from './render-chart.js';

export interface HelmReleaseContext {
  /** The Application's name: the release's unless helm.releaseName says otherwise. */
  applicationName: string;
  /** The destination namespace, unless helm.namespace says otherwise. */
  namespace: string;
  /** The destination's version and API versions, unless the source sets its own. */
  kubeVersion?: string;
  apiVersions?: string[];
  /** Argo CD's build environment (ARGOCD_APP_NAME, ARGOCD_APP_REVISION, …) for parameters and value file paths. */
  env?: Record<string, string>;
  /** A multi-source Application's `$name` references: `files` holds their files as `$name/path`. */
  refs?: ReferencedSources;
  limits?: ChartRenderLimits;
}

/** The paths the render reads through value files and --set-file files: `$name/…` keys for files of referenced sources. */
function filesRead(chartPath: string, helm: HelmSourceSpec, env: Record<string, string>, refs: ReferencedSources): string[] {
  const files = [...(helm.valueFiles ?? []), ...(helm.fileParameters ?? []).map((p) => p.path)];
  return files
    .filter((p) => referenceOf(p, refs) !== undefined || !/^[a-z][a-z0-9+.-]*:\/\//i.test(expandBuildEnvironment(p, env)))
    .map((p) => valueFileKey(chartPath, p, env, refs));
}

/** Files of the repository outside the chart's directory the render reads: value files and --set-file files. */
export function filesOutsideChart(chartPath: string, helm: HelmSourceSpec, env: Record<string, string> = {}, refs: ReferencedSources = undefined): string[] {
  const prefix = chartPath ? `${chartPath}/` : '';
  const paths = filesRead(chartPath, helm, env, refs).filter((p) => referenceOf(p, refs) === undefined);
  return [...new Set(paths.filter((p) => !p.startsWith(prefix)))];
}

/** Files of other sources the render reads (`$name/path` value files): reference → paths from that source's repository root. */
export function filesOfReferencedSources(chartPath: string, helm: HelmSourceSpec, env: Record<string, string>, refs: ReferencedSources): Map<string, string[]> {
  const wanted = new Map<string, string[]>();
  for (const key of filesRead(chartPath, helm, env, refs)) {
    const ref = referenceOf(key, refs);
    if (ref === undefined) continue;
    const paths = wanted.get(ref) ?? [];
    if (!paths.includes(key.slice(ref.length + 1))) paths.push(key.slice(ref.length + 1));
    wanted.set(ref, paths);
  }
  return wanted;
}

/**
 * An Application's Helm source from a Git repository, rendered as Argo CD's repo-server has
 * `helm template` render it. `files` are the repository's (paths from its root): the chart's
 * directory and the files filesOutsideChart names.
 */
export async function renderHelmSource(chartPath: string, files: ReadonlyMap<string, Buffer>, helm: HelmSourceSpec, context: HelmReleaseContext): Promise<Manifest[]> {
  const prefix = chartPath ? `${chartPath}/` : '';
  const chartFiles = new Map<string, Buffer>();
  for (const [path, data] of files) if (path.startsWith(prefix)) chartFiles.set(path.slice(prefix.length), data);
  if (!chartFiles.has('Chart.yaml')) throw new HelmError(`${chartPath || '.'}: Chart.yaml file is missing`);
  const chart = loadChart(chartFiles);
  const values = releaseValues(helm, chartPath, (path) => files.get(path), context.env, context.refs);
  const rendered = await renderChart(chart, {
    releaseName: helm.releaseName || context.applicationName,
    // Without --namespace, helm template in the repo-server's pod (no kubeconfig, no service account token) uses "default".
    namespace: helm.namespace || context.namespace || 'default',
    values,
    kubeVersion: helm.kubeVersion || context.kubeVersion,
    apiVersions: helm.apiVersions?.length ? helm.apiVersions : context.apiVersions,
    includeCrds: !helm.skipCrds,
    skipTests: helm.skipTests,
    skipSchemaValidation: helm.skipSchemaValidation,
    limits: context.limits,
  });
  return rendered.map((m) => m.object);
}
