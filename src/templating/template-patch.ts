import type { Application } from '../api/application.js';
import { parseKubeYaml } from '../api/kube-yaml.js';
import { isPlainObject, ownEntry, setEntry } from '../lib/json-values.js';
import { MAX_YAML_PARSE_BYTES } from './gotemplate/argo-functions.js';

export class TemplatePatchError extends Error {}

/**
 * Applies a rendered templatePatch (YAML or JSON) to a rendered Application as Argo CD does: a
 * strategic merge patch against the Application type, which declares no list merge keys, so maps
 * merge, lists and scalars are replaced and `null` removes a field. The project cannot be patched.
 */
export function applyTemplatePatch(application: Application, patchText: string): Application {
  if (patchText.length > MAX_YAML_PARSE_BYTES) {
    throw new TemplatePatchError(`the rendered templatePatch is ${patchText.length} bytes, more than the ${MAX_YAML_PARSE_BYTES} bytes of YAML Regatta parses`);
  }
  let patch: unknown;
  try {
    patch = parseKubeYaml(patchText);
  } catch (error) {
    throw new TemplatePatchError(`error while converting template to json ${JSON.stringify(patchText)}: ${(error as Error).message}`);
  }
  if (patch == null) return application;
  if (!isPlainObject(patch)) {
    throw new TemplatePatchError(`invalid templatePatch ${JSON.stringify(patchText)}: expected an object of Application fields`);
  }
  const patched = mergePatch(structuredClone(application), patch) as Application;
  patched.spec = { ...patched.spec, project: application.spec.project };
  return patched;
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const base: Record<string, unknown> = isPlainObject(target) ? target : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete base[key];
    else setEntry(base, key, mergePatch(ownEntry(base, key), value));
  }
  return base;
}
