import { posix } from 'node:path';
import { goMethod, toKubeYaml } from '../templating/gotemplate/index.js';
import { globMatch } from '../projects/glob.js';
import type { ChartFile } from './chart.js';

/**
 * Helm's .Files: a chart's non-template files, read through methods (Get, GetBytes, Glob,
 * AsConfig, AsSecrets, Lines). The methods are not enumerable: ranging over .Files finds nothing,
 * where Go would range over the file map.
 */
export function chartFilesObject(files: ReadonlyMap<string, Buffer>): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  const text = (name: unknown) => files.get(String(name))?.toString('utf8') ?? '';
  const methods = {
    Get: goMethod((name: unknown) => text(name)),
    GetBytes: goMethod((name: unknown) => text(name)),
    Glob: goMethod((pattern: unknown) => {
      const matched = new Map<string, Buffer>();
      for (const [name, data] of files) if (globMatch(String(pattern), name, '/')) matched.set(name, data);
      return chartFilesObject(matched);
    }),
    AsConfig: goMethod(() => {
      if (files.size === 0) return '';
      const config: Record<string, string> = {};
      for (const [name, data] of files) config[posix.basename(name)] = data.toString('utf8');
      return toKubeYaml(config);
    }),
    AsSecrets: goMethod(() => {
      if (files.size === 0) return '';
      const secrets: Record<string, string> = {};
      for (const [name, data] of files) secrets[posix.basename(name)] = data.toString('base64');
      return toKubeYaml(secrets);
    }),
    Lines: goMethod((name: unknown) => {
      const data = files.get(String(name));
      if (!data || data.length === 0) return [];
      const content = data.toString('utf8');
      return (content.endsWith('\n') ? content.slice(0, -1) : content).split('\n');
    }),
  };
  for (const [name, method] of Object.entries(methods)) Object.defineProperty(object, name, { value: method, enumerable: false });
  return object;
}

export function chartFileMap(files: readonly ChartFile[]): Map<string, Buffer> {
  return new Map(files.map((f) => [f.name, f.data]));
}
