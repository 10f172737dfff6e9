import { posix } from 'node:path';
import { parseKubeYaml } from '../api/kube-yaml.js';
import { isPlainObject } from '../lib/json-values.js';
import type { Values } from './chart.js';
import { HelmError } from './helm-error.js';
import { escapeSetValue, parseSetInto } from './set-values.js';

/** An Application source's `helm` block (Argo CD's ApplicationSourceHelm), as far as rendering reads it. */
export interface HelmSourceSpec {
  releaseName?: string;
  namespace?: string;
  valueFiles?: string[];
  ignoreMissingValueFiles?: boolean;
  values?: string;
  valuesObject?: Values;
  parameters?: { name: string; value?: string; forceString?: boolean }[];
  fileParameters?: { name: string; path: string }[];
  skipCrds?: boolean;
  skipTests?: boolean;
  kubeVersion?: string;
  apiVersions?: string[];
}

/** Reads a file of the repository by its path from the repository's root; undefined when there is none. */
export type RepositoryFileReader = (path: string) => Buffer | undefined;

/**
 * A path Argo CD resolves against the chart's directory (an absolute one against the repository's
 * root), refused when it leaves the repository. Returns the path from the repository's root.
 */
export function resolveRepositoryPath(chartPath: string, file: string): string {
  const joined = file.startsWith('/') ? posix.normalize(file) : posix.normalize(posix.join('/', chartPath, file));
  if (joined.startsWith('/..') || !joined.startsWith('/')) throw new HelmError(`file '${file}' resolved to outside repository root`);
  return joined.slice(1);
}

/** Helm's mergeMaps for value files: tables merged key by key, anything else replaced. */
function mergeMaps(base: Values, next: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(next)) {
    const current = out[key];
    out[key] = isPlainObject(value) && isPlainObject(current) ? mergeMaps(current, value) : value;
  }
  return out;
}

function parseValuesYaml(what: string, text: string): Values {
  let parsed: unknown;
  try {
    parsed = parseKubeYaml(text);
  } catch (error) {
    throw new HelmError(`failed to parse ${what}: error converting YAML to JSON: ${(error as Error).message}`);
  }
  if (parsed == null) return {};
  if (!isPlainObject(parsed)) throw new HelmError(`failed to parse ${what}: error unmarshaling JSON: json: cannot unmarshal array into Go value of type map[string]interface {}`);
  return parsed;
}

/** Argo CD's parameters are a map by name: a later one of the same name replaces the earlier. */
function byName<T extends { name: string }>(items: T[]): T[] {
  return [...new Map(items.map((item) => [item.name, item])).values()];
}

/**
 * The release's values in the order Argo CD's repo-server hands them to helm template and helm
 * merges them: valueFiles, then values (valuesObject instead when set), then parameters
 * (--set, --set-string for forceString), then fileParameters (--set-file).
 */
export function releaseValues(helm: HelmSourceSpec, chartPath: string, readFile: RepositoryFileReader): Values {
  let values: Values = {};
  for (const file of helm.valueFiles ?? []) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) throw new HelmError(`value file '${file}': remote value files are not supported by Regatta's direct driver`);
    const path = resolveRepositoryPath(chartPath, file);
    const data = readFile(path);
    if (data === undefined) {
      if (helm.ignoreMissingValueFiles) continue;
      throw new HelmError(`open ${file}: no such file or directory`);
    }
    values = mergeMaps(values, parseValuesYaml(file, data.toString('utf8')));
  }
  if (helm.valuesObject !== undefined && helm.valuesObject !== null) values = mergeMaps(values, structuredClone(helm.valuesObject));
  else if (helm.values) values = mergeMaps(values, parseValuesYaml('spec.source.helm.values', helm.values));

  const parameters = byName(helm.parameters ?? []);
  for (const parameter of parameters.filter((p) => !p.forceString)) parseSetInto(`${parameter.name}=${escapeSetValue(parameter.value ?? '')}`, values);
  for (const parameter of parameters.filter((p) => p.forceString)) parseSetInto(`${parameter.name}=${escapeSetValue(parameter.value ?? '')}`, values, (text) => text);
  // --set-file reads the file its value names.
  const readSetFile = (file: string) => {
    const data = readFile(resolveRepositoryPath(chartPath, file));
    if (data === undefined) throw new HelmError(`failed parsing --set-file data: open ${file}: no such file or directory`);
    return data.toString('utf8');
  };
  for (const parameter of byName(helm.fileParameters ?? [])) parseSetInto(`${parameter.name}=${escapeSetValue(parameter.path)}`, values, readSetFile, (text) => text);
  return values;
}
