import YAML, { type DocumentOptions, type ParseOptions, type SchemaOptions, type ToJSOptions } from 'yaml';

/**
 * YAML as Kubernetes tools and Argo CD read it (sigs.k8s.io/yaml over go-yaml v2): YAML 1.1
 * scalars (`yes`/`no`/`on`/`off` are booleans, `0777` is octal), merge keys, but no timestamps
 * and no sexagesimal numbers (go-yaml v2 keeps those as strings), and map keys as strings.
 */
const options: ParseOptions & DocumentOptions & SchemaOptions & ToJSOptions = {
  version: '1.1',
  merge: true,
  uniqueKeys: false,
  customTags: (tags) =>
    tags.filter((tag) => {
      const { tag: name, format } = tag as { tag: string; format?: string };
      return name !== 'tag:yaml.org,2002:timestamp' && format !== 'TIME';
    }),
};

export class YamlError extends Error {}

export function parseKubeYaml(text: string): unknown {
  const doc = YAML.parseDocument(text, options);
  if (doc.errors.length) throw new YamlError(doc.errors[0].message);
  return doc.toJS(options);
}

/** Every document of a multi-document stream, empty documents left out. */
export function parseKubeYamlStream(text: string): unknown[] {
  const docs = YAML.parseAllDocuments(text, options);
  const values: unknown[] = [];
  for (const doc of docs) {
    if (doc.errors.length) throw new YamlError(doc.errors[0].message);
    const value = doc.toJS(options);
    if (value != null) values.push(value);
  }
  return values;
}
