import { posix } from 'node:path';
import { parseKubeYaml } from '../api/kube-yaml.js';
import { isPlainObject, ownEntry, setEntry } from '../lib/json-values.js';
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
  /** Helm's --skip-schema-validation: values.schema.json is not checked. */
  skipSchemaValidation?: boolean;
  kubeVersion?: string;
  apiVersions?: string[];
}

/**
 * Argo CD's Envsubst (Go's os.Expand over the build environment): `$NAME` and `${NAME}` replaced,
 * unknown names by nothing, `$$` by `$`.
 */
export function expandBuildEnvironment(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$(?:\{([^}]*)\}|([A-Za-z0-9_]+)|([*#$@!?-]))/g, (_match, braced?: string, plain?: string, special?: string) => {
    const name = braced ?? plain ?? special!;
    if (name === '$') return '$';
    return Object.hasOwn(env, name) ? env[name] : '';
  });
}

/** Reads a file of the repository by its path from the repository's root; undefined when there is none. */
export type RepositoryFileReader = (path: string) => Buffer | undefined;

/**
 * A path Argo CD resolves against the chart's directory (an absolute one against the repository's
 * root), refused when it leaves the repository. Returns the path from the repository's root.
 */
export function resolveRepositoryPath(chartPath: string, file: string): string {
  const joined = posix.normalize(posix.join(file.startsWith('/') ? '.' : chartPath || '.', file.replace(/^\/+/, '')));
  if (joined === '..' || joined.startsWith('../')) throw new HelmError(`file '${file}' resolved to outside repository root`);
  return joined;
}

/**
 * The `$name` references of a multi-source Application's sources (`ref: name`); undefined for a
 * single-source Application, where a path starting with `$` is an ordinary one.
 */
export type ReferencedSources = ReadonlySet<string> | undefined;

/** The source a `$name/path` file names: `$name`, or undefined when the file is not a reference (or the Application has one source). */
export function referenceOf(file: string, refs: ReferencedSources): string | undefined {
  if (!refs || !file.startsWith('$')) return undefined;
  const name = file.split('/')[0];
  if (refs.has(name)) return name;
  if (refs.size === 0) throw new HelmError(`source referenced "${name}", but no source has a 'ref' field defined`);
  throw new HelmError(`source referenced "${name}", which is not one of the available sources (${[...refs].join(', ')})`);
}

/**
 * Where a value file or --set-file file is read from: a path from the chart's repository's root,
 * or for `$name/path` the referenced source's path from its root, keyed `$name/path`. The build
 * environment is expanded after the reference is split off, as Argo CD's repo-server does.
 */
export function valueFileKey(chartPath: string, file: string, env: Readonly<Record<string, string>>, refs: ReferencedSources): string {
  const ref = referenceOf(file, refs);
  if (ref === undefined) return resolveRepositoryPath(chartPath, expandBuildEnvironment(file, env));
  // What follows the reference is a path from the referenced repository's root (`/…`): it may not leave it.
  return `${ref}/${resolveRepositoryPath('', expandBuildEnvironment(file.slice(ref.length), env))}`;
}

/** Helm's mergeMaps for value files: tables merged key by key, anything else replaced. */
function mergeMaps(base: Values, next: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(next)) {
    const current = ownEntry(out, key);
    setEntry(out, key, isPlainObject(value) && isPlainObject(current) ? mergeMaps(current, value) : value);
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
export function releaseValues(
  helm: HelmSourceSpec,
  chartPath: string,
  readFile: RepositoryFileReader,
  env: Readonly<Record<string, string>> = {},
  refs: ReferencedSources = undefined,
): Values {
  let values: Values = {};
  for (const raw of helm.valueFiles ?? []) {
    const file = referenceOf(raw, refs) === undefined ? expandBuildEnvironment(raw, env) : raw;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) throw new HelmError(`value file '${file}': remote value files are not supported by Regatta's direct driver`);
    const data = readFile(valueFileKey(chartPath, raw, env, refs));
    if (data === undefined) {
      if (helm.ignoreMissingValueFiles) continue;
      throw new HelmError(`open ${file}: no such file or directory`);
    }
    values = mergeMaps(values, parseValuesYaml(file, data.toString('utf8')));
  }
  if (helm.valuesObject !== undefined && helm.valuesObject !== null) values = mergeMaps(values, structuredClone(helm.valuesObject));
  else if (helm.values) values = mergeMaps(values, parseValuesYaml('spec.source.helm.values', helm.values));

  const parameters = byName(helm.parameters ?? []).map((p) => ({ ...p, value: expandBuildEnvironment(p.value ?? '', env) }));
  for (const parameter of parameters.filter((p) => !p.forceString)) parseSetInto(`${parameter.name}=${escapeSetValue(parameter.value)}`, values);
  for (const parameter of parameters.filter((p) => p.forceString)) parseSetInto(`${parameter.name}=${escapeSetValue(parameter.value)}`, values, (text) => text);
  // --set-file reads the file its value names.
  const readSetFile = (file: string) => {
    const data = readFile(referenceOf(file, refs) === undefined ? resolveRepositoryPath(chartPath, file) : valueFileKey(chartPath, file, env, refs));
    if (data === undefined) throw new HelmError(`failed parsing --set-file data: open ${file}: no such file or directory`);
    return data.toString('utf8');
  };
  for (const parameter of byName(helm.fileParameters ?? []))
    parseSetInto(`${parameter.name}=${escapeSetValue(referenceOf(parameter.path, refs) === undefined ? expandBuildEnvironment(parameter.path, env) : parameter.path)}`, values, readSetFile, (text) => text);
  return values;
}

function fieldError(field: string, what: string): HelmError {
  return new HelmError(`spec.source.helm.${field}: ${what}`);
}

function optionalString(raw: Record<string, unknown>, field: string): string | undefined {
  const value = raw[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw fieldError(field, 'must be a string');
  return value;
}

function stringList(raw: Record<string, unknown>, field: string): string[] | undefined {
  const value = raw[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw fieldError(field, 'must be a list of strings');
  return value as string[];
}

/** An Application source's `helm` block, checked field by field: a wrong type is an error naming the field. */
export function parseHelmSourceSpec(raw: Record<string, unknown> | undefined): HelmSourceSpec {
  if (!raw) return {};
  if (!isPlainObject(raw)) throw new HelmError('spec.source.helm: must be an object');
  const parameters = raw.parameters ?? [];
  if (!Array.isArray(parameters)) throw fieldError('parameters', 'must be a list');
  const fileParameters = raw.fileParameters ?? [];
  if (!Array.isArray(fileParameters)) throw fieldError('fileParameters', 'must be a list');
  if (raw.valuesObject !== undefined && raw.valuesObject !== null && !isPlainObject(raw.valuesObject)) throw fieldError('valuesObject', 'must be an object');
  return {
    releaseName: optionalString(raw, 'releaseName'),
    namespace: optionalString(raw, 'namespace'),
    valueFiles: stringList(raw, 'valueFiles'),
    ignoreMissingValueFiles: raw.ignoreMissingValueFiles === true,
    values: optionalString(raw, 'values'),
    valuesObject: (raw.valuesObject ?? undefined) as Values | undefined,
    parameters: parameters.map((p: unknown, i) => {
      if (!isPlainObject(p) || typeof p.name !== 'string' || !p.name) throw fieldError(`parameters[${i}].name`, 'is required');
      if (p.value !== undefined && typeof p.value !== 'string') throw fieldError(`parameters[${i}].value`, 'must be a string');
      return { name: p.name, value: p.value as string | undefined, forceString: p.forceString === true };
    }),
    fileParameters: fileParameters.map((p: unknown, i) => {
      if (!isPlainObject(p) || typeof p.name !== 'string' || !p.name) throw fieldError(`fileParameters[${i}].name`, 'is required');
      if (typeof p.path !== 'string' || !p.path) throw fieldError(`fileParameters[${i}].path`, 'is required');
      return { name: p.name, path: p.path };
    }),
    skipCrds: raw.skipCrds === true,
    skipTests: raw.skipTests === true,
    skipSchemaValidation: raw.skipSchemaValidation === true,
    kubeVersion: optionalString(raw, 'kubeVersion'),
    apiVersions: stringList(raw, 'apiVersions'),
  };
}
