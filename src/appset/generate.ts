import { API_VERSION, APPLICATION_KIND, RESOURCES_FINALIZER, type Application } from '../api/application.js';
import { Reason } from '../api/application-set-conditions.js';
import type { ApplicationSet, ApplicationSetTemplate } from '../api/application-set.js';
import { GeneratorError, type GeneratorContext, type ParamSet } from '../generators/generator.js';
import type { GeneratorRegistry } from '../generators/registry.js';
import { kindsIn, locate, renderOptionsOf, transformGenerator, type TransformResult } from '../generators/transform.js';
import { hasKeys, setEntry } from '../lib/json-values.js';
import { compileTemplate, RenderError, renderString, type CompiledRender } from '../templating/render.js';
import { applyTemplatePatch } from '../templating/template-patch.js';

/** Argo CD's reasons for a failed generation, as they appear on the ErrorOccurred condition. */
export type GenerationFailureReason = (typeof Reason)['ApplicationGenerationFromParamsError' | 'RenderTemplateParamsError' | 'ApplicationValidationError'];

export interface GenerationFailure {
  reason: GenerationFailureReason;
  message: string;
  /** Path in the ApplicationSet of what was wrong, e.g. `spec.generators[1].matrix.generators[0].list.elements[2].env`. */
  field?: string;
}

export interface GeneratedApplication {
  application: Application;
  /** The parameter set the Application was rendered from. */
  params: ParamSet;
}

export interface GenerationResult {
  generated: GeneratedApplication[];
  /** The first failure; when set, `generated` is incomplete and must not drive deletions. */
  failure?: GenerationFailure;
  /**
   * Every parameter set the generators produced, in order, whether or not its Application rendered
   * or validated (what `regatta generate --params` shows); undefined when a generator failed.
   */
  params?: ParamSet[];
  /** The soonest any generator asks to be run again, in seconds. */
  requeueAfterSeconds?: number;
}

/**
 * The last generation of each ApplicationSet, by what it was rendered from: a reconcile whose
 * generators answered exactly as before (same spec, same parameter sets) reuses the rendered
 * Applications instead of rendering them again. Callers must not mutate what they are given.
 */
export class GenerationCache {
  private readonly entries = new Map<string, { inputs: string; result: GenerationResult }>();

  /** The result rendered from `inputs` for `key`, when that is what was rendered last. */
  reusable(key: string, inputs: string): GenerationResult | undefined {
    const entry = this.entries.get(key);
    return entry?.inputs === inputs ? entry.result : undefined;
  }

  remember(key: string, inputs: string, result: GenerationResult): void {
    this.entries.set(key, { inputs, result });
  }

  /** The last result kept for `key`: a generation that is not this object was rendered anew. */
  last(key: string): GenerationResult | undefined {
    return this.entries.get(key)?.result;
  }

  forget(key: string): void {
    this.entries.delete(key);
  }
}

/**
 * ApplicationSet → desired Applications, as Argo CD's GenerateApplications followed by its
 * validation of generated names. Pure apart from what the context reaches. With a cache, a
 * generation whose parameter sets and spec are unchanged since the last one is not rendered again.
 */
export async function generateApplications(
  appSet: ApplicationSet,
  registry: GeneratorRegistry,
  context: GeneratorContext,
  cache?: GenerationCache,
): Promise<GenerationResult> {
  const result: GenerationResult = { generated: [], requeueAfterSeconds: requeueAfter(appSet, registry) };
  const transformed: TransformResult[] = [];
  let generatorFailure: GenerationFailure | undefined;
  for (const [index, entry] of (appSet.spec.generators ?? []).entries()) {
    const field = `spec.generators[${index}]`;
    try {
      // Argo CD only logs CheckInvalidGenerators' warning and generates nothing from such an entry,
      // which would delete every Application it had generated: here it fails the generation.
      if (kindsIn(entry, field).length === 0) throw new GeneratorError(`ApplicationSet ${appSet.metadata.name} contains unrecognized generators`, field);
      transformed.push(...(await transformGenerator(entry, appSet.spec.template, appSet, registry, context, {}, field)));
    } catch (error) {
      const located = locate(error, field);
      generatorFailure = { reason: Reason.ApplicationGenerationFromParamsError, message: located.message, field: located.field };
      break;
    }
  }
  const key = `${appSet.metadata.namespace}/${appSet.metadata.name}`;
  // Plain JSON, not canonical: the same informer object serializes the same way, and a spurious difference only renders again.
  const inputs = generatorFailure || !cache ? undefined : JSON.stringify([appSet.metadata.uid, appSet.spec, transformed]);
  const reused = inputs === undefined ? undefined : cache?.reusable(key, inputs);
  // The spec is part of the inputs, so the requeue it asks for is the same too.
  if (reused) return reused;

  const rendered = await renderAll(appSet, transformed, context);
  // A render failure in an earlier entry is the one reported, as when entries are rendered as they are generated.
  if (generatorFailure) return { ...result, generated: rendered.generated, failure: rendered.failure ?? generatorFailure };
  const complete = { ...result, generated: rendered.generated, params: transformed.flatMap((t) => t.params) };
  if (rendered.failure) return { ...complete, failure: rendered.failure };
  const failure = nameProblem(appSet, complete.generated);
  if (failure) return { ...complete, failure };
  if (inputs !== undefined) cache?.remember(key, inputs, complete);
  return complete;
}

/** Every parameter set through its template; stops at the first that fails to render. */
async function renderAll(
  appSet: ApplicationSet,
  transformed: TransformResult[],
  context: GeneratorContext,
): Promise<{ generated: GeneratedApplication[]; failure?: GenerationFailure }> {
  const options = renderOptionsOf(appSet, context);
  const generated: GeneratedApplication[] = [];
  for (const { params: paramSets, template } of transformed) {
    // Compiled once for all the entry's parameter sets; with no parameters the template itself is the Application.
    let renderApplication: CompiledRender<Application> | undefined;
    for (const params of paramSets) {
      try {
        renderApplication ??= compileTemplate(templateApplication(template), options);
        const hasParams = hasKeys(params);
        const rendered = hasParams ? renderApplication(params) : templateApplication(template);
        let application = rendered instanceof Promise ? await rendered : rendered;
        if (hasParams) addDefaultFinalizer(application, appSet);
        if (appSet.spec.templatePatch != null) {
          const patch = await renderString(appSet.spec.templatePatch, params, options, 'templatePatch');
          application = applyTemplatePatch(application, patch);
        }
        // Always the ApplicationSet's namespace: Argo CD's boundary for ApplicationSets in any namespace.
        application.metadata = inNamespace(application.metadata, appSet.metadata.namespace);
        generated.push({ application, params });
      } catch (error) {
        const inTemplate = error instanceof RenderError && error.field !== 'templatePatch';
        const where = inTemplate ? `spec.template.${error.field}` : 'spec.templatePatch';
        return { generated, failure: { reason: Reason.RenderTemplateParamsError, message: (error as Error).message, field: where } };
      }
    }
  }
  return { generated };
}

/** Argo CD's validation of generated names: each set and unique. */
function nameProblem(appSet: ApplicationSet, generated: GeneratedApplication[]): GenerationFailure | undefined {
  const names = new Set<string>();
  for (const { application } of generated) {
    const name = application.metadata.name;
    if (!name) {
      return {
        reason: Reason.ApplicationValidationError,
        message: `ApplicationSet ${appSet.metadata.name} contains an application with no name; a name must be set in the template's metadata.name or via a templatePatch (generateName is not supported)`,
        field: 'spec.template.metadata.name',
      };
    }
    if (names.has(name)) {
      return {
        reason: Reason.ApplicationValidationError,
        message: `ApplicationSet ${appSet.metadata.name} contains applications with duplicate name: ${name}`,
        field: 'spec.template.metadata.name',
      };
    }
    names.add(name);
  }
  return undefined;
}

function templateApplication(template: ApplicationSetTemplate): Application {
  const { name, namespace, labels, annotations, finalizers } = template.metadata ?? {};
  const metadata: Application['metadata'] = { name: name ?? '' };
  if (namespace) metadata.namespace = namespace;
  if (labels && Object.keys(labels).length) metadata.labels = labels;
  if (annotations && Object.keys(annotations).length) metadata.annotations = annotations;
  if (finalizers?.length) metadata.finalizers = finalizers;
  return { apiVersion: API_VERSION, kind: APPLICATION_KIND, metadata, spec: template.spec };
}

/** The metadata with `namespace` set, second after the name. Built key by key, visited with for…in: object rest (`...rest`) and Object.keys allocate, for every Application. */
function inNamespace(metadata: Application['metadata'], namespace: string | undefined): Application['metadata'] {
  const placed: Record<string, unknown> = { name: metadata.name, namespace };
  for (const key in metadata)
    if (Object.hasOwn(metadata, key) && key !== 'name' && key !== 'namespace') setEntry(placed, key, metadata[key as keyof typeof metadata]);
  return placed as unknown as Application['metadata'];
}

/** Argo CD adds its cascade-delete finalizer unless the template sets finalizers or resources are preserved. */
function addDefaultFinalizer(application: Application, appSet: ApplicationSet): void {
  if (appSet.spec.syncPolicy?.preserveResourcesOnDeletion) return;
  if (application.metadata.finalizers?.length) return;
  application.metadata.finalizers = [RESOURCES_FINALIZER];
}

function requeueAfter(appSet: ApplicationSet, registry: GeneratorRegistry): number | undefined {
  let soonest: number | undefined;
  for (const entry of appSet.spec.generators ?? []) {
    for (const [kind, spec] of Object.entries(entry)) {
      if (kind === 'selector' || spec == null) continue;
      const seconds = registry.get(kind)?.requeueAfterSeconds(spec);
      if (seconds !== undefined && (soonest === undefined || seconds < soonest)) soonest = seconds;
    }
  }
  return soonest;
}
