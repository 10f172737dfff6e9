export { loadChart, type Chart, type Values } from './chart.js';
export { HelmError } from './helm-error.js';
export { filesOfReferencedSources, filesOutsideChart, renderHelmSource, type HelmReleaseContext } from './helm-source.js';
export { parseHelmSourceSpec, releaseValues, type HelmSourceSpec, type ReferencedSources } from './release-values.js';
export { DEFAULT_KUBE_VERSION, renderChart, type ChartRenderOptions } from './render-chart.js';
export { HELM_INSTALL_ORDER } from './manifest-order.js';
export { ChartRepositories, isOciRepository, type ChartRepositoriesOptions, type ChartRepositoryAccess } from './chart-repositories.js';
