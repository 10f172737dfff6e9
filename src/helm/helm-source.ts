import { loadChart } from './chart.js';
import { HelmError } from './helm-error.js';
import type { Manifest } from './manifest-order.js';
import { expandBuildEnvironment, releaseValues, resolveRepositoryPath, type HelmSourceSpec } from './release-values.js';
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
  limits?: ChartRenderLimits;
}

/** Files of the repository outside the chart's directory the render reads: value files and --set-file files. */
export function filesOutsideChart(chartPath: string, helm: HelmSourceSpec, env: Record<string, string> = {}): string[] {
  const prefix = chartPath ? `${chartPath}/` : '';
  const paths = [...(helm.valueFiles ?? []), ...(helm.fileParameters ?? []).map((p) => p.path)]
    .map((p) => expandBuildEnvironment(p, env))
    .filter((p) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(p))
    .map((p) => resolveRepositoryPath(chartPath, p));
  return [...new Set(paths.filter((p) => !p.startsWith(prefix)))];
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
  const values = releaseValues(helm, chartPath, (path) => files.get(path), context.env);
  const rendered = await renderChart(chart, {
    releaseName: helm.releaseName || context.applicationName,
    // Without --namespace, helm template in the repo-server's pod (no kubeconfig, no service account token) uses "default".
    namespace: helm.namespace || context.namespace || 'default',
    values,
    kubeVersion: helm.kubeVersion || context.kubeVersion,
    apiVersions: helm.apiVersions?.length ? helm.apiVersions : context.apiVersions,
    includeCrds: !helm.skipCrds,
    skipTests: helm.skipTests,
    limits: context.limits,
  });
  return rendered.map((m) => m.object);
}
