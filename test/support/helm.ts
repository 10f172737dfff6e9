import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';
import { parseKubeYamlStream } from '../../src/api/kube-yaml.js';
import { isPlainObject } from '../../src/lib/json-values.js';
import { renderGoTemplate } from '../../src/templating/gotemplate/index.js';

/**
 * Renders a Helm chart the way `helm template` does, with Regatta's goTemplate engine and the
 * Helm functions the chart uses: include, tpl, required, fail, toYaml, fromYaml-free. No Helm binary
 * exists on these machines; this is enough to check the chart renders valid objects.
 */
export interface HelmRelease {
  name: string;
  namespace: string;
}

export interface RenderedChart {
  objects: Record<string, any>[];
  /** Files that rendered to nothing (disabled by values). */
  empty: string[];
}

export function mergeValues(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = value === null ? null : mergeValues(base[key], value);
  return out;
}

/** The subset of JSON Schema the chart's values.schema.json uses; returns the problems found. */
export function checkValuesSchema(schema: any, value: unknown, path = 'values'): string[] {
  const problems: string[] = [];
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  if (types.length && !types.includes(kind) && !(kind === 'integer' && types.includes('number')))
    problems.push(`${path}: expected ${types.join('|')}, got ${kind}`);
  if (schema.enum && !schema.enum.includes(value)) problems.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'number' && schema.minimum !== undefined && value < schema.minimum) problems.push(`${path}: below ${schema.minimum}`);
  if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      const child = schema.properties?.[key];
      if (child) problems.push(...checkValuesSchema(child, item, `${path}.${key}`));
      else if (schema.additionalProperties === false) problems.push(`${path}.${key}: not allowed`);
    }
  }
  if (Array.isArray(value) && schema.items) value.forEach((item, i) => problems.push(...checkValuesSchema(schema.items, item, `${path}[${i}]`)));
  return problems;
}

export async function renderChart(chartDir: string, values: unknown, release: HelmRelease): Promise<RenderedChart> {
  const chart = YAML.parse(await readFile(join(chartDir, 'Chart.yaml'), 'utf8'));
  const defaults = YAML.parse(await readFile(join(chartDir, 'values.yaml'), 'utf8'));
  const schema = JSON.parse(await readFile(join(chartDir, 'values.schema.json'), 'utf8'));
  const merged = mergeValues(defaults, values);
  const problems = checkValuesSchema(schema, merged);
  if (problems.length) throw new Error(`values do not match values.schema.json: ${problems.join('; ')}`);

  const files = (await readdir(join(chartDir, 'templates'))).sort();
  const helpers = (await Promise.all(files.filter((f) => f.startsWith('_')).map((f) => readFile(join(chartDir, 'templates', f), 'utf8')))).join('\n');
  const root = {
    Values: merged,
    Release: { Name: release.name, Namespace: release.namespace, Service: 'Helm', IsInstall: true },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
  };

  const funcs = {
    include: (name: string, data: unknown) => render(`{{- template ${JSON.stringify(name)} . -}}`, data),
    tpl: (text: string, data: unknown) => render(text, data),
    required: (message: string, value: unknown) => {
      if (value === undefined || value === null || value === '') throw new Error(message);
      return value;
    },
    fail: (message: string) => {
      throw new Error(message);
    },
    toYaml: (value: unknown) => YAML.stringify(value ?? null, { lineWidth: 0 }).replace(/\n$/, ''),
  };
  const render = (body: string, data: unknown): string =>
    renderGoTemplate('chart', `${helpers}\n${body}`, data, { funcs: funcs as any, missingKey: 'default' });

  const objects: Record<string, any>[] = [];
  const empty: string[] = [];
  for (const file of files.filter((f) => f.endsWith('.yaml') && !f.startsWith('_'))) {
    const text = render(await readFile(join(chartDir, 'templates', file), 'utf8'), root);
    const docs = parseKubeYamlStream(text) as Record<string, any>[];
    if (docs.length === 0) empty.push(file);
    objects.push(...docs);
  }
  for (const file of (await readdir(join(chartDir, 'crds'))).sort()) {
    objects.unshift(...(parseKubeYamlStream(await readFile(join(chartDir, 'crds', file), 'utf8')) as Record<string, any>[]));
  }
  return { objects, empty };
}
