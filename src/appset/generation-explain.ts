import { RESOURCES_FINALIZER, type Application } from '../api/application.js';
import type { ApplicationSet, GeneratorTemplate } from '../api/application-set.js';
import type { ParamSet } from '../generators/generator.js';
import { mergeTemplates } from '../generators/transform.js';
import { deepEqual, isPlainObject } from '../lib/json-values.js';
import { segment } from './generation-diff.js';

/**
 * Where each field of a generated Application came from (`regatta generate --explain`): the
 * template text, and for an expression the parameters it reads and the generator that produced them.
 */

/** One generator run during a generation, where it stands in the ApplicationSet and what it returned. */
export interface GeneratorCall {
  kind: string;
  /** The spec it ran with (a matrix's second child: rendered with the first child's parameters). */
  spec: unknown;
  /** e.g. `spec.generators[0].matrix.generators[1].clusters`. */
  path: string;
  outputs: ParamSet[];
  /** The calls a matrix, merge or placement made for its children. */
  children: GeneratorCall[];
}

export interface ParameterOrigin {
  name: string;
  /** The generator that produced it; undefined when no parameter set has it (the text stays as written). */
  generator?: string;
}

export interface FieldOrigin {
  path: string;
  value: unknown;
  /** `expression`: rendered from `template`; `literal`: the template's own text; the others: set outside the template. */
  origin: 'expression' | 'literal' | 'templatePatch' | 'controller';
  template?: string;
  parameters: ParameterOrigin[];
  /** Why a controller-set field is there. */
  note?: string;
}

export interface ApplicationExplanation {
  name: string;
  /** The `spec.generators[]` entry whose parameter set rendered it. */
  generator?: string;
  fields: FieldOrigin[];
}

/** Every generated Application of one ApplicationSet, explained; `roots` are the calls its generation made. */
export function explainGeneration(
  appSet: ApplicationSet,
  generated: { application: Application; params: ParamSet }[],
  roots: GeneratorCall[],
): ApplicationExplanation[] {
  const rootOf = new Map(roots.flatMap((call) => call.outputs.map((params) => [params, call] as const)));
  return generated.map(({ application, params }) => explainApplication(appSet, application, params, rootOf.get(params)));
}

function explainApplication(appSet: ApplicationSet, application: Application, params: ParamSet, root: GeneratorCall | undefined): ApplicationExplanation {
  const goTemplate = appSet.spec.goTemplate === true;
  const template = mergeTemplates((root?.spec as { template?: GeneratorTemplate } | undefined)?.template, appSet.spec.template);
  const { name, labels, annotations, finalizers } = template.metadata ?? {};
  const written = { metadata: { name, labels, annotations, finalizers }, spec: template.spec };
  const fields: FieldOrigin[] = [];
  const templateLeaves = leaves(written, []);

  for (const [path, text] of templateLeaves) {
    const display = pathText(path);
    const templatedKeys = path.filter((key): key is string => typeof key === 'string' && isExpression(key, goTemplate));
    const value = templatedKeys.length ? undefined : valueAt(application, path);
    const expression = templatedKeys.length > 0 || (typeof text === 'string' && isExpression(text, goTemplate));
    if (!expression) {
      const patched = appSet.spec.templatePatch != null && !deepEqual(value, text);
      fields.push({
        path: display,
        value,
        origin: patched ? 'templatePatch' : 'literal',
        template: typeof text === 'string' ? text : undefined,
        parameters: [],
      });
      continue;
    }
    const sources = [...templatedKeys, ...(typeof text === 'string' && isExpression(text, goTemplate) ? [text] : [])];
    const names = [...new Set(sources.flatMap((t) => references(t, goTemplate)))];
    fields.push({
      path: display,
      value,
      origin: 'expression',
      template: sources.join(' '),
      parameters: names.map((ref) => {
        const found = lookup(params, ref, goTemplate);
        return { name: ref, ...(found === undefined ? {} : { generator: root && producer(root, ref, found, goTemplate).path }) };
      }),
    });
  }

  const inTemplate = new Set(templateLeaves.map(([path]) => pathText(path)));
  // A map with a templated key holds fields named by what it rendered to: those are its expressions' lines.
  const renderedKeyMaps = new Set(
    templateLeaves.flatMap(([path]) => {
      const at = path.findIndex((key) => typeof key === 'string' && isExpression(key, goTemplate));
      return at < 0 ? [] : [pathText(path.slice(0, at))];
    }),
  );
  for (const [path, value] of leaves({ metadata: application.metadata, spec: application.spec }, [])) {
    const display = pathText(path);
    if (inTemplate.has(display) || path.some((_, i) => renderedKeyMaps.has(pathText(path.slice(0, i))))) continue;
    const note = controllerNote(path, value);
    fields.push(
      note ? { path: display, value, origin: 'controller', parameters: [], note } : { path: display, value, origin: 'templatePatch', parameters: [] },
    );
  }
  return { name: application.metadata.name, ...(root ? { generator: root.path } : {}), fields };
}

function controllerNote(path: Path, value: unknown): string | undefined {
  if (pathText(path) === 'metadata.namespace') return "the ApplicationSet's namespace";
  if (path[0] === 'metadata' && path[1] === 'finalizers' && value === RESOURCES_FINALIZER)
    return 'added unless the template sets finalizers or preserveResourcesOnDeletion is set';
  return undefined;
}

/** Fasttemplate runs on strings with `{{…}}` on one line; Go templates on any `{{`. */
function isExpression(text: string, goTemplate: boolean): boolean {
  return goTemplate ? text.includes('{{') : /\{\{.*\}\}/.test(text);
}

/** The parameters a template string reads: fasttemplate tags, or Go's `.a.b` fields and `index .a "b"`. */
export function references(text: string, goTemplate: boolean): string[] {
  const actions = [...text.matchAll(/\{\{([\s\S]*?)\}\}/g)].map((m) => m[1]);
  if (!goTemplate) return actions.map((tag) => tag.trim());
  const found: string[] = [];
  for (const action of actions) {
    const indexed = /\bindex\s+\$?\.([\w.]*)((?:\s+"[^"]*")+)/g;
    for (const m of action.matchAll(indexed)) {
      const keys = [...m[2].matchAll(/"([^"]*)"/g)].map((k) => k[1]);
      found.push([m[1], ...keys].filter(Boolean).join('.'));
    }
    const withoutStrings = action.replace(indexed, ' ').replace(/"(?:[^"\\]|\\.)*"|`[^`]*`/g, '""');
    for (const m of withoutStrings.matchAll(/(?:^|[\s($|])\$?\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)/g)) found.push(m[1]);
  }
  return [...new Set(found)];
}

/** A parameter's value: flat keys in fasttemplate mode; in goTemplate mode nested, or a flat dotted key. */
function lookup(params: ParamSet, ref: string, goTemplate: boolean): unknown {
  if (Object.hasOwn(params, ref)) return params[ref];
  if (!goTemplate) return undefined;
  let value: unknown = params;
  for (const key of ref.split('.')) {
    if (!isPlainObject(value) || !Object.hasOwn(value, key)) return undefined;
    value = value[key];
  }
  return value;
}

/**
 * The generator below `call` whose own parameter sets hold this value: a matrix's first child
 * wins (its values override the second's), a merge's later children override the base.
 */
function producer(call: GeneratorCall, ref: string, value: unknown, goTemplate: boolean): GeneratorCall {
  const children = call.kind === 'merge' ? [...call.children].reverse() : call.children;
  const child = children.find((c) => c.outputs.some((o) => deepEqual(lookup(o, ref, goTemplate), value)));
  return child ? producer(child, ref, value, goTemplate) : call;
}

type Path = (string | number)[];

function leaves(value: unknown, path: Path): [Path, unknown][] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => leaves(item, [...path, i]));
  if (isPlainObject(value)) return Object.entries(value).flatMap(([key, item]) => leaves(item, [...path, key]));
  return [[path, value]];
}

/** `spec.source.helm.valueFiles[0]`, `metadata.labels["app.kubernetes.io/name"]`. */
function pathText(path: Path): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? key : segment(key))).join('');
}

function valueAt(value: unknown, path: Path): unknown {
  for (const key of path) {
    if (typeof key === 'number') value = Array.isArray(value) ? value[key] : undefined;
    else value = isPlainObject(value) ? value[key] : undefined;
  }
  return value;
}
