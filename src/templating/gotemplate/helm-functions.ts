import { isPlainObject } from '../../lib/json-values.js';
import { parseKubeYaml } from '../../api/kube-yaml.js';
import { argoFunctions, MAX_YAML_PARSE_BYTES } from './argo-functions.js';
import { builtinFunctions } from './builtins.js';
import type { FuncMap } from './func-map.js';
import { allocate } from './render-budget.js';
import { sprigCryptoFunctions, sprigFunctions } from './sprig/index.js';
import { goJson } from './sprig/defaults.js';
import { boundedSize, type GoValue } from './value.js';

const MAX_TOML_WRITE_BYTES = 512 * 1024;

/** Helm's from* functions report a document that does not parse in the value they return, not as an error. */
function parsedOr<T>(text: GoValue, parse: (text: string) => T, onError: (message: string) => T): T {
  const source = String(text ?? '');
  if (source.length > MAX_YAML_PARSE_BYTES) return onError(`${source.length} bytes, more than the ${MAX_YAML_PARSE_BYTES} a template may parse`);
  try {
    return parse(source);
  } catch (error) {
    return onError((error as Error).message);
  }
}

function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

function tomlValue(value: GoValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return Number.isInteger(value) ? value.toFixed(1) : String(value);
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(', ')}]`;
  if (isPlainObject(value))
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${tomlKey(k)} = ${tomlValue(value[k])}`)
      .join(', ')}}`;
  throw new Error(`toml: cannot encode a nil value`);
}

/** TOML as BurntSushi/toml encodes a map: plain keys first, then each sub-table under its dotted header. */
function toToml(value: Record<string, unknown>, path: string[] = []): string {
  const keys = Object.keys(value).sort();
  const plain = keys.filter((k) => value[k] != null && !isPlainObject(value[k]));
  const tables = keys.filter((k) => isPlainObject(value[k]));
  let out = plain.map((k) => `${path.length ? '  '.repeat(path.length - 1) + '  ' : ''}${tomlKey(k)} = ${tomlValue(value[k])}\n`).join('');
  for (const key of tables) {
    const inner = [...path, key];
    out += `${out ? '\n' : ''}${'  '.repeat(path.length)}[${inner.map(tomlKey).join('.')}]\n`;
    out += toToml(value[key] as Record<string, unknown>, inner);
  }
  return out;
}

/**
 * The functions of Helm's engine that need no chart: Go's builtins, sprig (all of it but env and
 * expandenv, getHostByName answering nothing as Helm's does without --enable-dns) and Helm's
 * YAML, JSON and TOML conversions. include, tpl, required, fail and lookup belong to a render.
 */
export const helmFunctions: FuncMap = {
  ...builtinFunctions,
  ...sprigFunctions,
  ...sprigCryptoFunctions,
  getHostByName: (_name: GoValue) => '',
  toYaml: (value: GoValue) => {
    try {
      return argoFunctions.toYaml(value) as string;
    } catch (error) {
      if (/bytes of YAML/.test((error as Error).message)) throw error;
      return '';
    }
  },
  mustToYaml: argoFunctions.toYaml,
  toYamlPretty: argoFunctions.toYaml,
  fromYaml: (text: GoValue) =>
    parsedOr(
      text,
      (source) => {
        const parsed = parseKubeYaml(source);
        if (parsed == null) return {};
        if (!isPlainObject(parsed)) throw new Error('error unmarshaling JSON: json: cannot unmarshal array into Go value of type map[string]interface {}');
        return parsed;
      },
      (message): Record<string, unknown> => ({ Error: message }),
    ),
  fromYamlArray: (text: GoValue) =>
    parsedOr(
      text,
      (source) => {
        const parsed = parseKubeYaml(source);
        if (parsed == null) return [];
        if (!Array.isArray(parsed)) throw new Error('error unmarshaling JSON: json: cannot unmarshal object into Go value of type []interface {}');
        return parsed;
      },
      (message): unknown[] => [message],
    ),
  toJson: (value: GoValue) => {
    try {
      return goJson(value);
    } catch {
      return '';
    }
  },
  mustToJson: (value: GoValue) => goJson(value),
  fromJson: (text: GoValue) =>
    parsedOr(
      text,
      (source) => {
        const parsed: unknown = JSON.parse(source);
        if (!isPlainObject(parsed)) throw new Error('json: cannot unmarshal into Go value of type map[string]interface {}');
        return parsed;
      },
      (message): Record<string, unknown> => ({ Error: message }),
    ),
  fromJsonArray: (text: GoValue) =>
    parsedOr(
      text,
      (source) => {
        const parsed: unknown = JSON.parse(source);
        if (!Array.isArray(parsed)) throw new Error('json: cannot unmarshal object into Go value of type []interface {}');
        return parsed;
      },
      (message): unknown[] => [message],
    ),
  toToml: (value: GoValue) => {
    if (!isPlainObject(value)) return '';
    const size = boundedSize(value, MAX_TOML_WRITE_BYTES);
    if (size > MAX_TOML_WRITE_BYTES) throw new Error(`would write more than the ${MAX_TOML_WRITE_BYTES} bytes of TOML a template may write`);
    allocate(size);
    try {
      return toToml(value);
    } catch (error) {
      return (error as Error).message;
    }
  },
};
