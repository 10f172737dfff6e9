import type { Application } from '../api/application.js';
import type { ApplicationSet } from '../api/application-set.js';
import { validateApplicationSet } from '../api/application-set-schema.js';
import type { AppProject } from '../api/app-project.js';
import { IN_CLUSTER_NAME, IN_CLUSTER_SERVER } from '../api/cluster-secret.js';
import type { KubeObject } from '../api/meta.js';
import { createDefaultRegistry } from '../generators/default-registry.js';
import type { GeneratorContext, ParamSet } from '../generators/generator.js';
import type { GeneratorRegistry } from '../generators/registry.js';
import { destinationProblem } from '../projects/destination-cluster.js';
import { projectProblem } from './application-validation.js';
import { generateApplications, type GenerationResult } from './generate.js';

/**
 * A preview of what ApplicationSets generate, without a controller: what `regatta generate` prints
 * and the API's dry run answers. Nothing is written anywhere.
 */

/** An ApplicationSet to preview, with where it came from (a file, or the request body). */
export interface PreviewInput {
  object: KubeObject;
  file?: string;
}

/** Something wrong with an input, located as precisely as known. */
export interface GenerationProblem {
  severity: 'error' | 'warning';
  /** Where the ApplicationSet came from (a file, or the request body). */
  file?: string;
  appSet?: string;
  field?: string;
  message: string;
}

/** The problem without its source: `ApplicationSet NAME: FIELD: message`. */
export function problemText(problem: GenerationProblem): string {
  return `${problem.appSet !== undefined ? `ApplicationSet ${problem.appSet}: ` : ''}${problem.field ? `${problem.field}: ` : ''}${problem.message}`;
}

export interface PreviewGeneration {
  /** `rejected`: generated Applications left out of `result` because the controller would refuse to write them (destination, project). */
  outputs: { appSet: ApplicationSet; result: GenerationResult; rejected: Application[] }[];
  /**
   * What each ApplicationSet's templates see, for every ApplicationSet whose generators ran: also
   * when Applications rendered from them were invalid or failed to render, as that is when a user needs them.
   */
  params: { applicationSet: string; params: ParamSet[] }[];
  /** 1 when any ApplicationSet failed; the others are still in `outputs`. */
  exitCode: number;
}

export interface GenerationOptions {
  /** Where ApplicationSets without a namespace are, and Secrets they name are read. */
  namespace: string;
  report: (problem: GenerationProblem) => void;
  /** Whether argocd-cm lets Applications target the local cluster. */
  inClusterEnabled: boolean;
  /** Argo CD's AppProjects, when known (live, or among the inputs): each Application's project is checked as the controller checks it. */
  projects?: (name: string) => AppProject | undefined;
  /** The context's clusters are the live registry: every destination is checked as the controller checks it, not only the local cluster. */
  liveFleet?: boolean;
  /** The generators to run (default: Argo CD's); `regatta generate --explain` passes traced ones. */
  registry?: GeneratorRegistry;
}

/** Generates each ApplicationSet as the controller would, over any GeneratorContext (the CLI's, or the API's dry run with its caller's rights). */
export async function generateApplicationSets(appSets: PreviewInput[], context: GeneratorContext, options: GenerationOptions): Promise<PreviewGeneration> {
  let exitCode = 0;
  const report = (manifest: PreviewInput, field: string | undefined, message: string, severity: GenerationProblem['severity'] = 'error') => {
    options.report({ severity, file: manifest.file, appSet: manifest.object.metadata?.name ?? '<unnamed>', field, message });
    if (severity === 'error') exitCode = 1;
  };
  const registry = options.registry ?? createDefaultRegistry();
  const fleet = { clusters: await context.clusters.list(), inClusterEnabled: options.inClusterEnabled };
  const outputs: PreviewGeneration['outputs'] = [];
  const params: PreviewGeneration['params'] = [];
  for (const manifest of appSets) {
    const problems = validateApplicationSet(manifest.object);
    for (const warning of problems.filter((p) => p.severity === 'warning')) report(manifest, warning.field, warning.message, 'warning');
    const errors = problems.filter((p) => p.severity === 'error');
    if (errors.length) {
      for (const problem of errors) report(manifest, problem.field, problem.message);
      continue;
    }
    const appSet = structuredClone(manifest.object) as ApplicationSet;
    appSet.metadata.namespace ??= options.namespace;
    const result = await generateApplications(appSet, registry, context);
    if (result.params) params.push({ applicationSet: appSet.metadata.name, params: result.params });
    if (result.failure) {
      report(manifest, result.failure.field, result.failure.message);
      continue;
    }
    // Without a live fleet only the local cluster can be checked: argocd-cm may disable it.
    const localProblems = result.generated
      .map((g) => g.application)
      .filter((a) => options.liveFleet || a.spec.destination?.server === IN_CLUSTER_SERVER || a.spec.destination?.name === IN_CLUSTER_NAME)
      .map((a) => [a.metadata.name, destinationProblem(a.spec.destination, fleet)] as const)
      .filter(([, problem]) => problem);
    for (const [name, problem] of localProblems) report(manifest, `Application ${name}: spec.destination`, problem!);
    const projects = options.projects;
    const projectProblems = projects
      ? result.generated
          .map(({ application: a }) => [a.metadata.name, projectProblem(a, { project: projects, argocdNamespace: options.namespace })] as const)
          .filter(([, problem]) => problem)
      : [];
    for (const [name, problem] of projectProblems) report(manifest, `Application ${name}: spec.project`, problem!);
    const rejected = new Set([...localProblems, ...projectProblems].map(([name]) => name));
    outputs.push({
      appSet,
      result: { ...result, generated: result.generated.filter((g) => !rejected.has(g.application.metadata.name)) },
      rejected: result.generated.filter((g) => rejected.has(g.application.metadata.name)).map((g) => g.application),
    });
  }
  return { outputs, params, exitCode };
}
