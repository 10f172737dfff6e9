import YAML from 'yaml';
import { parseKubeYaml } from '../../api/kube-yaml.js';
import { isPlainObject } from '../../lib/json-values.js';
import { arity } from './builtins.js';
import type { FuncMap } from './func-map.js';
import { allocate } from './render-budget.js';
import { boundedSize, typeName, type GoValue } from './value.js';

/**
 * The yaml library reads about 1 MB and writes about 3 MB a second on an idle core, where Go's is
 * many times faster: larger documents would hold the event loop for a long single call.
 */
export const MAX_YAML_PARSE_BYTES = 128 * 1024;
const MAX_YAML_WRITE_BYTES = 512 * 1024;

function yamlToParse(text: GoValue): string {
  const yaml = String(text ?? '');
  if (yaml.length > MAX_YAML_PARSE_BYTES) throw new Error(`${yaml.length} bytes of YAML, more than the ${MAX_YAML_PARSE_BYTES} a template may parse`);
  return yaml;
}

/** Argo CD's `normalize`: a valid DNS-1123 subdomain from any string. */
export function sanitizeName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^-a-z0-9.]/g, '-')
    .slice(0, 253)
    .replace(/^[-.]+|[-.]+$/g, '');
}

/** Argo CD's `slugify [maxSize] [smartTruncate] name` (gosimple/slug over the normalized name). */
export function slugify(name: string, maxSize = 50, smartTruncate = true): string {
  let slug = sanitizeName(name)
    .replace(/[^a-zA-Z0-9-_]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '');
  if (maxSize > 0 && slug.length > maxSize) {
    if (smartTruncate) {
      const cut = slug.lastIndexOf('-', maxSize);
      slug = cut >= 0 ? slug.slice(0, cut) : slug.slice(0, maxSize);
    } else slug = slug.slice(0, maxSize).replace(/[-_]+$/, '');
  }
  return slug;
}

/** YAML as sigs.k8s.io/yaml writes it: sorted keys, sequences not indented under their key, no trailing newline. */
export function toKubeYaml(value: GoValue): string {
  const plain = (v: GoValue): unknown => {
    if (typeof v === 'bigint') return Number(v);
    if (Array.isArray(v)) return v.map(plain);
    if (isPlainObject(v))
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, plain(v[k])]),
      );
    return v === undefined ? null : v;
  };
  return YAML.stringify(plain(value), { version: '1.1', indentSeq: false, lineWidth: 0 }).replace(/\n$/, '');
}

export const argoFunctions: FuncMap = {
  normalize: (name: GoValue) => sanitizeName(String(name)),
  slugify: arity(
    (...args: GoValue[]) => {
      const name = args.at(-1);
      if (typeof name !== 'string') throw new Error(`wrong type for value; expected string; got ${typeName(name)}`);
      const maxSize = args.length > 1 ? Number(args[0]) : 50;
      const smart = args.length > 2 ? args[1] === true : true;
      return slugify(name, maxSize, smart);
    },
    1,
    3,
  ),
  toYaml: (value: GoValue) => {
    const size = boundedSize(value, MAX_YAML_WRITE_BYTES);
    if (size > MAX_YAML_WRITE_BYTES) throw new Error(`would write more than the ${MAX_YAML_WRITE_BYTES} bytes of YAML a template may write`);
    allocate(size);
    return toKubeYaml(value);
  },
  fromYaml: (text: GoValue) => {
    const parsed = parseKubeYaml(yamlToParse(text));
    if (parsed == null) return {};
    if (!isPlainObject(parsed)) throw new Error('error unmarshaling JSON: json: cannot unmarshal array into Go value of type map[string]interface {}');
    return parsed;
  },
  fromYamlArray: (text: GoValue) => {
    const parsed = parseKubeYaml(yamlToParse(text));
    if (parsed == null) return [];
    if (!Array.isArray(parsed)) throw new Error('error unmarshaling JSON: json: cannot unmarshal object into Go value of type []interface {}');
    return parsed;
  },
};
