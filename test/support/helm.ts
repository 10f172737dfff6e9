import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { loadChart, renderChart as renderHelmChart, type Values } from '../../src/helm/index.js';
import { isPlainObject } from '../../src/lib/json-values.js';

/**
 * Renders Regatta's own Helm chart with Regatta's Helm renderer (src/helm, as `helm template` does:
 * no Helm binary exists on these machines), after checking the values against the chart's
 * values.schema.json, which the renderer does not.
 */
export interface HelmRelease {
  name: string;
  namespace: string;
}

export interface RenderedChart {
  objects: Record<string, any>[];
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

async function filesUnder(root: string, dir = root, files = new Map<string, Buffer>()): Promise<Map<string, Buffer>> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await filesUnder(root, path, files);
    else files.set(relative(root, path), await readFile(path));
  }
  return files;
}

export async function renderChart(chartDir: string, values: unknown, release: HelmRelease): Promise<RenderedChart> {
  const chart = loadChart(await filesUnder(chartDir));
  const schema = JSON.parse(await readFile(join(chartDir, 'values.schema.json'), 'utf8'));
  const problems = checkValuesSchema(schema, mergeValues(chart.values, values));
  if (problems.length) throw new Error(`values do not match values.schema.json: ${problems.join('; ')}`);
  const manifests = await renderHelmChart(chart, { releaseName: release.name, namespace: release.namespace, values: values as Values, includeCrds: true });
  return { objects: manifests.map((m) => m.object) };
}
