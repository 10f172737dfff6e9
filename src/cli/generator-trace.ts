import { AsyncLocalStorage } from 'node:async_hooks';
import type { ApplicationSetNestedGenerator } from '../api/application-set.js';
import type { GeneratorCall } from '../appset/generation-explain.js';
import { createDefaultRegistry } from '../generators/default-registry.js';
import type { Generator } from '../generators/generator.js';
import type { GeneratorRegistry } from '../generators/registry.js';

/**
 * Argo CD's generators, each call recorded with where it stands in the ApplicationSet and what it
 * returned, so `regatta generate --explain` can say which generator produced a parameter. `roots`
 * holds the calls made for `spec.generators[]` entries; a matrix's, merge's or placement's calls
 * hang below it.
 */
export function tracedRegistry(): { registry: GeneratorRegistry; roots: GeneratorCall[] } {
  const roots: GeneratorCall[] = [];
  const parentCall = new AsyncLocalStorage<GeneratorCall>();
  const decorate = (generator: Generator<any>): Generator<any> => ({
    kind: generator.kind,
    requeueAfterSeconds: (spec) => generator.requeueAfterSeconds(spec),
    async generateParams(spec, appSet, context) {
      const parent = parentCall.getStore();
      const call: GeneratorCall = {
        kind: generator.kind,
        spec,
        path: callPath(parent, appSet.spec.generators ?? [], generator.kind, spec),
        outputs: [],
        children: [],
      };
      (parent ? parent.children : roots).push(call);
      call.outputs = await parentCall.run(call, () => generator.generateParams(spec, appSet, context));
      return call.outputs;
    },
  });
  return { registry: createDefaultRegistry(decorate), roots };
}

/** e.g. `spec.generators[0].matrix.generators[1].clusters`, or `….placement.items.list` below a placement. */
function callPath(parent: GeneratorCall | undefined, topLevel: ApplicationSetNestedGenerator[], kind: string, spec: unknown): string {
  if (parent?.kind === 'placement') return `${parent.path}.items.${kind}`;
  const entries = parent ? ((parent.spec as { generators?: ApplicationSetNestedGenerator[] }).generators ?? []) : topLevel;
  return `${parent ? `${parent.path}.generators` : 'spec.generators'}[${entryIndex(entries, kind, spec)}].${kind}`;
}

/**
 * The entry a call's spec came from: the same object, except for a matrix's second child, which
 * is run from a copy rendered with the first child's parameters (hence the last entry of its kind).
 */
function entryIndex(entries: ApplicationSetNestedGenerator[], kind: string, spec: unknown): number | string {
  const candidates = entries.map((entry, i) => ((entry as Record<string, unknown>)[kind] != null ? i : -1)).filter((i) => i >= 0);
  const same = candidates.find((i) => (entries[i] as Record<string, unknown>)[kind] === spec);
  return same ?? candidates.at(-1) ?? '?';
}
