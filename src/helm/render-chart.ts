import { createHash } from 'node:crypto';
import {
  DEFAULT_RENDER_LIMITS,
  GoTemplateError,
  helmFunctions,
  RenderBudget,
  TemplateGroup,
  goMethod,
  type FuncMap,
  type TemplateFile,
} from '../templating/gotemplate/index.js';
import { isLibraryChart, type Chart, type Values } from './chart.js';
import { chartFileMap, chartFilesObject } from './chart-files.js';
import { coalesceValues, processDependencies } from './chart-values.js';
import { HelmError } from './helm-error.js';
import { validateValuesAgainstSchemas } from './values-schema.js';
import { orderManifests, parseDocument, splitManifests, type RenderedManifest } from './manifest-order.js';

/** `helm template`'s Kubernetes version when none is given (chartutil's default). */
export const DEFAULT_KUBE_VERSION = 'v1.20.0';

/** The group versions every API server of that version serves, which helm template assumes without a cluster. */
const DEFAULT_API_VERSIONS = [
  'v1',
  'admissionregistration.k8s.io/v1',
  'apiextensions.k8s.io/v1',
  'apiregistration.k8s.io/v1',
  'apps/v1',
  'authentication.k8s.io/v1',
  'authorization.k8s.io/v1',
  'autoscaling/v1',
  'autoscaling/v2',
  'batch/v1',
  'certificates.k8s.io/v1',
  'coordination.k8s.io/v1',
  'discovery.k8s.io/v1',
  'events.k8s.io/v1',
  'networking.k8s.io/v1',
  'node.k8s.io/v1',
  'policy/v1',
  'rbac.authorization.k8s.io/v1',
  'scheduling.k8s.io/v1',
  'storage.k8s.io/v1',
];

export interface ChartRenderLimits {
  /** Bytes all templates together may print. */
  maxOutputBytes: number;
  /** Template engine time for the whole chart. */
  timeoutMs: number;
}

export const DEFAULT_CHART_RENDER_LIMITS: ChartRenderLimits = { maxOutputBytes: 16 * 1024 * 1024, timeoutMs: 10_000 };

export interface ChartRenderOptions {
  releaseName: string;
  namespace: string;
  /** The values given for the release, already merged in Helm's order (value files, then --set and its forms). */
  values?: Values;
  /** The destination's version (`v1.29.3`, `1.29`); helm template's default otherwise. */
  kubeVersion?: string;
  /** Group versions (and group/version/Kind) the destination serves, added to the defaults. */
  apiVersions?: string[];
  /** Argo CD passes --include-crds unless the source says skipCrds. */
  includeCrds?: boolean;
  skipTests?: boolean;
  /** Helm's --skip-schema-validation. */
  skipSchemaValidation?: boolean;
  limits?: ChartRenderLimits;
}

/** How Helm's required and fail mark their message, so that it is reported on its own at the outermost template. */
const MESSAGE_START = 'HELM_ERR_START';
const MESSAGE_END = 'HELM_ERR_END';
const MAX_NESTED_RENDERS = 200;
const MAX_CACHED_TPL_TEXTS = 500;

function kubeVersionObject(version: string): Values {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (!match) throw new HelmError(`invalid kube version ${JSON.stringify(version)}: must be of the form v1.2.3`);
  const normalized = `v${match[1]}.${match[2]}.${match[3] ?? '0'}`;
  const kubeVersion: Values = { Version: normalized, Major: match[1], Minor: match[2], GitVersion: normalized };
  Object.defineProperty(kubeVersion, 'String', { value: goMethod(() => normalized), enumerable: false });
  return kubeVersion;
}

function capabilities(options: ChartRenderOptions): Values {
  const apiVersions = [...DEFAULT_API_VERSIONS, ...(options.apiVersions ?? [])];
  const set = new Set(apiVersions);
  const versions: unknown[] = [...apiVersions];
  Object.defineProperty(versions, 'Has', { value: goMethod((version: unknown) => set.has(String(version))), enumerable: false });
  return {
    KubeVersion: kubeVersionObject(options.kubeVersion || DEFAULT_KUBE_VERSION),
    APIVersions: versions,
    HelmVersion: { Version: 'v3.17.0', GitCommit: '', GitTreeState: 'clean', GoVersion: '' },
  };
}

/** Chart.yaml's fields as Helm's chart.Metadata exposes them to templates: .Chart.Name, .Chart.AppVersion. */
function chartObject(chart: Chart): Values {
  const metadata = chart.metadata;
  const field = (key: string) => metadata[key] ?? null;
  return {
    Name: chart.name,
    Home: metadata.home ?? '',
    Sources: field('sources'),
    Version: String(metadata.version ?? ''),
    Description: metadata.description ?? '',
    Keywords: field('keywords'),
    Maintainers: field('maintainers'),
    Icon: metadata.icon ?? '',
    APIVersion: metadata.apiVersion ?? '',
    Condition: metadata.condition ?? '',
    Tags: metadata.tags ?? '',
    AppVersion: metadata.appVersion == null ? '' : String(metadata.appVersion),
    Deprecated: metadata.deprecated === true,
    Annotations: field('annotations'),
    KubeVersion: metadata.kubeVersion ?? '',
    Dependencies: field('dependencies'),
    Type: metadata.type ?? '',
  };
}

interface Renderable {
  text: string;
  data: Values;
  basePath: string;
}

/** Every template of the chart and its subcharts, by path (`chart/charts/sub/templates/x.yaml`), with the data it renders with. */
function collectTemplates(chart: Chart, top: Values, values: Values, path: string, into: Map<string, Renderable>): void {
  const data: Values = { ...top, Chart: chartObject(chart), Files: chartFilesObject(chartFileMap(chart.files)), Values: values };
  for (const subchart of chart.subcharts) {
    const subValues = values[subchart.name];
    collectTemplates(subchart, top, subValues && typeof subValues === 'object' && !Array.isArray(subValues) ? (subValues as Values) : {}, `${path}/charts/${subchart.name}`, into);
  }
  for (const template of chart.templates) {
    if (isLibraryChart(chart) && !template.name.split('/').at(-1)!.startsWith('_')) continue;
    into.set(`${path}/${template.name}`, { text: template.data.toString('utf8'), data, basePath: `${path}/templates` });
  }
}

/** Helm's parse order: deeper paths first, and among equals the later name first, so the root chart's definitions win. */
function parseOrder(names: string[]): string[] {
  const depth = (name: string) => name.split('/').length;
  return [...names].sort((a, b) => depth(b) - depth(a) || (a < b ? 1 : a > b ? -1 : 0));
}

/** Helm's message for an error while executing `file`: a required/fail message at the outermost location, otherwise Go's. */
function executionError(error: unknown): HelmError {
  const message = (error as Error).message;
  const parts = /^template: ([^:]+(?::\d+){1,2}): ([\s\S]*)$/.exec(message);
  const marked = new RegExp(`${MESSAGE_START}([\\s\\S]*)${MESSAGE_END}`).exec(message);
  if (parts && marked) return new HelmError(`execution error at (${parts[1]}): ${marked[1]}`);
  return new HelmError(message);
}

function parseError(error: GoTemplateError): HelmError {
  const tokens = error.message.split(': ');
  if (tokens.length === 1) return new HelmError(`parse error: ${error.message}`);
  return new HelmError(`parse error at (${tokens[1]}): ${tokens.at(-1)}`);
}

/** A nested render's error, handed back as a function's error so Go's `error calling include: …` wraps it. */
function asFunctionError(error: unknown): unknown {
  return error instanceof GoTemplateError ? new Error(error.message) : error;
}

function isEmptyValue(value: unknown): boolean {
  return value === null || value === undefined || value === '';
}

/** The render-time functions Helm adds: include and tpl run templates of `group`; required, fail, lookup. */
function renderFunctions(group: TemplateGroup, tplCache: Map<string, TemplateGroup>): FuncMap {
  return {
    ...helmFunctions,
    include: (name: unknown, data: unknown) => {
      try {
        return group.execute(String(name), data);
      } catch (error) {
        throw asFunctionError(error);
      }
    },
    tpl: (text: unknown, data: unknown) => {
      const source = String(text ?? '');
      let parsed = tplCache.get(source);
      if (!parsed) {
        try {
          parsed = group.parseInto({ name: 'gotpl', text: source });
        } catch (error) {
          throw new Error(`cannot parse template ${JSON.stringify(source)}: ${(error as Error).message}`, { cause: error });
        }
        if (tplCache.size >= MAX_CACHED_TPL_TEXTS) tplCache.delete(tplCache.keys().next().value!);
        tplCache.set(source, parsed);
      }
      try {
        return parsed.execute('gotpl', data).replaceAll('<no value>', '');
      } catch (error) {
        throw new Error(`error during tpl function execution for ${JSON.stringify(source)}: ${(error as Error).message}`, { cause: error });
      }
    },
    required: (message: unknown, value: unknown) => {
      if (isEmptyValue(value)) throw new Error(`${MESSAGE_START}${String(message)}${MESSAGE_END}`);
      return value;
    },
    fail: (message: unknown) => {
      throw new Error(`${MESSAGE_START}${String(message)}${MESSAGE_END}`);
    },
    // helm template has no cluster to look in.
    lookup: (_apiVersion: unknown, _kind: unknown, _namespace: unknown, _name: unknown) => ({}),
  };
}

function crdManifests(chart: Chart): RenderedManifest[] {
  const crds: RenderedManifest[] = [];
  const collect = (c: Chart, path: string) => {
    for (const file of c.files) {
      if (!file.name.startsWith('crds/') || !/\.(ya?ml|json)$/.test(file.name)) continue;
      const source = `${path}/${file.name}`;
      for (const document of splitManifests(file.data.toString('utf8'))) {
        const object = parseDocument(source, document);
        if (object) crds.push({ source, object });
      }
    }
    for (const sub of c.subcharts) collect(sub, `${path}/charts/${sub.name}`);
  };
  collect(chart, chart.name);
  return crds;
}

/** Charts parsed lately, by their templates' names and texts and the output limit: the Applications of one chart share one parse. */
const parsedGroups = new Map<string, TemplateGroup>();
const MAX_PARSED_GROUPS = 64;

function parsedGroup(files: TemplateFile[], limits: ChartRenderLimits): TemplateGroup {
  const hash = createHash('sha256').update(String(limits.maxOutputBytes));
  for (const file of files) hash.update(`\0${file.name}\0${file.text.length}\0`).update(file.text);
  const key = hash.digest('hex');
  let group = parsedGroups.get(key);
  if (group) {
    parsedGroups.delete(key);
    parsedGroups.set(key, group);
    return group;
  }
  const tplCache = new Map<string, TemplateGroup>();
  try {
    group = TemplateGroup.parse(files, (g) => renderFunctions(g, tplCache), {
      missingKey: 'zero',
      limits: { maxSteps: 10_000_000, maxOutputBytes: limits.maxOutputBytes, maxDepth: 1000 },
      maxNesting: MAX_NESTED_RENDERS,
    });
  } catch (error) {
    if (error instanceof GoTemplateError) throw parseError(error);
    throw error;
  }
  if (parsedGroups.size >= MAX_PARSED_GROUPS) parsedGroups.delete(parsedGroups.keys().next().value!);
  parsedGroups.set(key, group);
  return group;
}

/**
 * Renders a chart as `helm template` (Helm 3) does: dependencies enabled by condition and tags,
 * values coalesced with the chart's and its subcharts' defaults, every template parsed into one
 * set and executed with .Values, .Release, .Chart, .Capabilities, .Template and .Files; the
 * documents ordered as helm prints them, CRDs from crds/ first when included.
 */
export async function renderChart(chart: Chart, options: ChartRenderOptions): Promise<RenderedManifest[]> {
  if (isLibraryChart(chart)) throw new HelmError('library charts are not installable');
  const limits = options.limits ?? DEFAULT_CHART_RENDER_LIMITS;
  const userValues = options.values ?? {};
  const processed = processDependencies(chart, userValues);
  let values: Values;
  try {
    values = coalesceValues(processed, userValues);
  } catch (error) {
    throw new HelmError((error as Error).message);
  }
  if (!options.skipSchemaValidation) validateValuesAgainstSchemas(processed, values);
  const top: Values = {
    Release: { Name: options.releaseName, Namespace: options.namespace, IsUpgrade: false, IsInstall: true, Revision: 1n, Service: 'Helm' },
    Capabilities: capabilities(options),
  };
  const templates = new Map<string, Renderable>();
  collectTemplates(processed, top, values, processed.name, templates);

  const files: TemplateFile[] = parseOrder([...templates.keys()]).map((name) => ({ name, text: templates.get(name)!.text }));
  const group = parsedGroup(files, limits);

  const budget = new RenderBudget({ ...DEFAULT_RENDER_LIMITS, timeoutMs: limits.timeoutMs, maxAllocatedBytes: 16 * DEFAULT_RENDER_LIMITS.maxAllocatedBytes });
  const rendered = await budget.runPasses(
    () => {
      const output = new Map<string, string>();
      let total = 0;
      for (const name of files.map((f) => f.name)) {
        if (name.split('/').at(-1)!.startsWith('_')) continue;
        const renderable = templates.get(name)!;
        let text: string;
        try {
          text = group.execute(name, { ...renderable.data, Template: { Name: name, BasePath: renderable.basePath } }, budget);
        } catch (error) {
          if (error instanceof GoTemplateError || error instanceof Error) throw executionError(error);
          throw error;
        }
        total += text.length;
        if (total > limits.maxOutputBytes) throw new HelmError(`chart ${chart.name}: templates printed more than the ${limits.maxOutputBytes} bytes a chart may render`);
        output.set(name, text.replaceAll('<no value>', ''));
      }
      return output;
    },
    () => files.map((f) => f.text).join('\n'),
  );
  // NOTES.txt is shown to the user, not installed.
  for (const name of [...rendered.keys()]) if (name.endsWith('NOTES.txt')) rendered.delete(name);
  const manifests = orderManifests(rendered, options.skipTests);
  return options.includeCrds === false ? manifests : [...crdManifests(processed), ...manifests];
}
