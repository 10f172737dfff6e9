import { parseKubeYaml } from '../api/kube-yaml.js';
import { isPlainObject } from '../lib/json-values.js';
import { parseSemver } from '../templating/gotemplate/index.js';
import { unpackChartArchive } from './chart-archive.js';
import { HelmError } from './helm-error.js';
import { withoutIgnoredFiles } from './helm-ignore.js';

export type Values = Record<string, unknown>;

/** A dependency as Chart.yaml (v2) or requirements.yaml (v1) declares it. */
export interface ChartDependency {
  name: string;
  version?: string;
  repository?: string;
  condition?: string;
  tags?: string[];
  alias?: string;
  'import-values'?: unknown[];
  enabled?: boolean;
}

export interface ChartFile {
  /** Relative to the chart's root: `templates/service.yaml`, `crds/crd.yaml`, `config/app.conf`. */
  name: string;
  data: Buffer;
}

/** A chart as Helm's loader holds it. */
export interface Chart {
  /** Chart.yaml as written. */
  metadata: Values;
  name: string;
  values: Values;
  templates: ChartFile[];
  /** Every file that is not Chart.yaml, values.yaml, a template or a subchart (crds/ among them): what .Files reads. */
  files: ChartFile[];
  dependencies: ChartDependency[];
  subcharts: Chart[];
  /** values.schema.json as written, checked against the values before rendering. */
  schema?: Buffer;
}

const CHART_TYPES = new Set(['', 'application', 'library']);

function parseYamlFile(name: string, data: Buffer): unknown {
  try {
    return parseKubeYaml(data.toString('utf8'));
  } catch (error) {
    throw new HelmError(`cannot load ${name}: error converting YAML to JSON: ${(error as Error).message}`);
  }
}

function asValues(name: string, parsed: unknown): Values {
  if (parsed == null) return {};
  if (!isPlainObject(parsed)) throw new HelmError(`cannot load ${name}: error unmarshaling JSON: json: cannot unmarshal array into Go value of type map[string]interface {}`);
  return parsed;
}

function dependencies(name: string, raw: unknown): ChartDependency[] {
  if (raw == null) return [];
  if (!Array.isArray(raw)) throw new HelmError(`cannot load ${name}: dependencies must be a list`);
  return raw.map((d, i) => {
    if (!isPlainObject(d) || typeof d.name !== 'string' || !d.name) throw new HelmError(`validation: dependencies[${i}] must have a name`);
    return { ...d, tags: Array.isArray(d.tags) ? d.tags.map(String) : [] } as ChartDependency;
  });
}

/** Helm's metadata validation, with its messages. */
function validate(metadata: Values): void {
  if (!metadata.apiVersion) throw new HelmError('validation: chart.metadata.apiVersion is required');
  if (!metadata.name) throw new HelmError('validation: chart.metadata.name is required');
  if (!metadata.version) throw new HelmError('validation: chart.metadata.version is required');
  try {
    parseSemver(String(metadata.version));
  } catch {
    throw new HelmError(`validation: chart.metadata.version "${String(metadata.version)}" is invalid`);
  }
  if (!CHART_TYPES.has(String(metadata.type ?? ''))) throw new HelmError('validation: chart.metadata.type must be application or library');
  const name = String(metadata.name);
  if (name === '.' || name === '..') throw new HelmError(`validation: chart.metadata.name "${name}" is not allowed`);
  if (name.includes('/')) throw new HelmError(`validation: chart.metadata.name "${name}" is invalid`);
}

/**
 * Loads a chart from its files (paths relative to the chart's root), as Helm's loader does for a
 * directory (its .helmignore applied): subcharts are the directories under charts/ holding a Chart.yaml, and the packaged
 * charts (.tgz) there.
 */
export function loadChart(directory: ReadonlyMap<string, Buffer>, where = ''): Chart {
  // The directory's .helmignore applies to the whole tree, subcharts' directories included; a packaged chart was filtered when packaged.
  const files = where ? directory : withoutIgnoredFiles(directory);
  const chartYaml = files.get('Chart.yaml');
  if (!chartYaml) throw new HelmError(`${where || 'chart'}: Chart.yaml file is missing`);
  const metadata = asValues('Chart.yaml', parseYamlFile('Chart.yaml', chartYaml));
  validate(metadata);
  const chart: Chart = {
    metadata,
    name: String(metadata.name),
    values: {},
    templates: [],
    files: [],
    dependencies: dependencies('Chart.yaml', metadata.dependencies),
    subcharts: [],
  };
  const subchartFiles = new Map<string, Map<string, Buffer>>();
  for (const [name, data] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (name === 'Chart.yaml' || name === 'Chart.lock' || name === 'requirements.lock') continue;
    if (name === 'values.schema.json') chart.schema = data;
    else if (name === 'values.yaml') chart.values = asValues(name, parseYamlFile(name, data));
    else if (name === 'requirements.yaml') {
      if (metadata.apiVersion === 'v1') chart.dependencies = dependencies(name, asValues(name, parseYamlFile(name, data)).dependencies);
    } else if (name.startsWith('templates/')) chart.templates.push({ name, data });
    else if (/^charts\/[^/]+\.tgz$/.test(name)) subchartFiles.set(name, unpackChartArchive(name, data));
    else if (name.startsWith('charts/')) {
      const match = /^charts\/([^/]+)\/(.+)$/.exec(name);
      if (!match) continue;
      let sub = subchartFiles.get(match[1]);
      if (!sub) subchartFiles.set(match[1], (sub = new Map()));
      sub.set(match[2], data);
    } else chart.files.push({ name, data });
  }
  for (const [dir, sub] of subchartFiles) {
    if (sub.has('Chart.yaml')) chart.subcharts.push(loadChart(sub, `${where ? `${where}/` : ''}${dir.startsWith('charts/') ? dir : `charts/${dir}`}`));
  }
  return chart;
}

export function isLibraryChart(chart: Chart): boolean {
  return chart.metadata.type === 'library';
}
