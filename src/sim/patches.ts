import { childOf, ownEntry, setEntry } from '../lib/json-values.js';
import { ApiError } from './api-error.js';
import { childSchema, type OpenApiSchema } from './openapi-schemas.js';

type Obj = Record<string, any>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Obj = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else setEntry(out, key, mergePatch(ownEntry(out, key), value));
  }
  return out;
}

/** Merge keys for lists the kind's schema leaves undeclared (status conditions, open pod specs). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  ports: 'containerPort',
  volumes: 'name',
  volumeMounts: 'mountPath',
  conditions: 'type',
  imagePullSecrets: 'name',
};

/**
 * Strategic merge patch: like a merge patch, but lists with a merge key (the schema's
 * `x-kubernetes-patch-merge-key`, e.g. a Service's ports by `port`) merge item by item;
 * `$patch: delete` removes one.
 */
export function strategicMergePatch(target: unknown, patch: unknown, schema?: OpenApiSchema, field?: string): unknown {
  const key: string | undefined =
    schema?.['x-kubernetes-patch-merge-key'] ?? (schema || !field ? undefined : (ownEntry(MERGE_KEYS, field) as string | undefined));
  if (Array.isArray(patch) && key && Array.isArray(target)) {
    const out = structuredClone(target) as Obj[];
    for (const item of patch as Obj[]) {
      const index = out.findIndex((existing) => isObject(existing) && existing[key] === item[key]);
      if (item.$patch === 'delete') {
        if (index >= 0) out.splice(index, 1);
      } else if (index >= 0) out[index] = strategicMergePatch(out[index], item, schema?.items) as Obj;
      else out.push(item);
    }
    return out;
  }
  if (!isObject(patch)) return structuredClone(patch);
  const out: Obj = isObject(target) ? { ...target } : {};
  for (const [name, value] of Object.entries(patch)) {
    if (name.startsWith('$')) continue;
    if (value === null) delete out[name];
    else setEntry(out, name, strategicMergePatch(ownEntry(out, name), value, childSchema(schema, name), name));
  }
  return out;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new ApiError(422, 'Invalid', `invalid JSON pointer ${JSON.stringify(path)}`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** RFC 6902 JSON patch: add, remove, replace, move, copy, test. */
export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw new ApiError(400, 'BadRequest', 'json patch must be a list of operations');
  let doc = structuredClone(target);
  const parentOf = (path: string[]): [any, string] => {
    let current: any = doc;
    for (const key of path.slice(0, -1)) {
      // A document's own members only: a pointer through `__proto__` reaches no inherited object.
      current = childOf(current, key);
      if (current === undefined)
        throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: missing path /${path.join('/')}`);
    }
    return [current, path[path.length - 1]];
  };
  const get = (path: string[]) => path.reduce<any>(childOf, doc);
  const add = (path: string[], value: unknown) => {
    if (path.length === 0) {
      doc = value;
      return;
    }
    const [parent, key] = parentOf(path);
    if (Array.isArray(parent)) parent.splice(key === '-' ? parent.length : Number(key), 0, structuredClone(value));
    else setEntry(parent, key, structuredClone(value));
  };
  const remove = (path: string[]) => {
    const [parent, key] = parentOf(path);
    if (parent === undefined || !(Array.isArray(parent) ? Number(key) < parent.length : Object.hasOwn(parent, key))) {
      throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: remove of missing path /${path.join('/')}`);
    }
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  };
  for (const op of operations as Obj[]) {
    const path = pointer(op.path);
    switch (op.op) {
      case 'add':
        add(path, op.value);
        break;
      case 'remove':
        remove(path);
        break;
      case 'replace':
        remove(path);
        add(path, op.value);
        break;
      case 'move': {
        const value = get(pointer(op.from));
        remove(pointer(op.from));
        add(path, value);
        break;
      }
      case 'copy':
        add(path, get(pointer(op.from)));
        break;
      case 'test':
        if (JSON.stringify(get(path)) !== JSON.stringify(op.value))
          throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: testing value ${op.path} failed`);
        break;
      default:
        throw new ApiError(400, 'BadRequest', `unknown json patch operation ${JSON.stringify(op.op)}`);
    }
  }
  return doc;
}
