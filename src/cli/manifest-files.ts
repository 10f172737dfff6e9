import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { KubeObject } from '../api/meta.js';
import { parseKubeYamlStream } from '../api/kube-yaml.js';

export interface Manifest {
  object: KubeObject;
  /** The file it was read from, for error messages. */
  file: string;
}

export class ManifestError extends Error {
  constructor(
    message: string,
    readonly usage = false,
  ) {
    super(message);
  }
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Reads YAML/JSON files (multi-document) and directories (recursively, in name order); `kind: List` is unpacked. */
export async function readManifests(paths: string[]): Promise<Manifest[]> {
  const manifests: Manifest[] = [];
  for (const path of paths) {
    for (const file of await manifestFiles(path)) {
      let documents: unknown[];
      try {
        documents = parseKubeYamlStream(await readFile(file, 'utf8'));
      } catch (error) {
        throw new ManifestError(`${file}: cannot parse: ${(error as Error).message}`);
      }
      for (const document of documents) {
        for (const object of unpackLists(document)) {
          if (typeof object !== 'object' || object === null || Array.isArray(object)) {
            throw new ManifestError(`${file}: expected Kubernetes objects, found ${Array.isArray(object) ? 'a list' : typeof object}`);
          }
          manifests.push({ object: object as KubeObject, file });
        }
      }
    }
  }
  return manifests;
}

function unpackLists(document: unknown): unknown[] {
  const list = document as { kind?: string; items?: unknown[] };
  if (list && typeof list.kind === 'string' && list.kind.endsWith('List') && Array.isArray(list.items)) return list.items;
  return Array.isArray(document) ? document : [document];
}

async function manifestFiles(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new ManifestError(`${path}: no such file or directory`, true);
  }
  if (!info.isDirectory()) return [path];
  const files: string[] = [];
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) files.push(...(await manifestFiles(child)));
    else if (MANIFEST_EXTENSIONS.has(extname(entry.name))) files.push(child);
  }
  return files;
}
