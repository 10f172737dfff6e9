import type { ApplicationSet } from '../api/application-set.js';
import { validateApplicationSet } from '../api/application-set-schema.js';
import type { AppProject } from '../api/app-project.js';
import { projectProblem } from '../appset/application-validation.js';
import { destinationProblem, inClusterEnabled } from '../appset/destinations.js';
import { generateApplications, type GenerationResult } from '../appset/generate.js';
import { IN_CLUSTER_NAME, IN_CLUSTER_SERVER } from '../clusters/cluster-secret.js';
import { createDefaultRegistry } from '../generators/default-registry.js';
import type { GeneratorContext } from '../generators/generator.js';
import { createGenerateContext } from './generate-context.js';
import { ManifestError, readManifests, type Manifest } from './manifest-files.js';

export interface LocalGenerationOptions {
  namespace: string;
  kubeconfig?: string;
  context?: string;
  /** Told every problem found: a CLI prints it (`problemLine`), the API returns it. */
  report: (problem: GenerationProblem) => void;
  /** Time the template engine may spend rendering one Application (default 1 s). */
  templateTimeoutSeconds?: number;
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

/** How a CLI prints a problem on stderr: `regatta generate: [warning: ]FILE: ApplicationSet NAME: FIELD: message`. */
export function problemLine(command: string, problem: GenerationProblem): string {
  return `${command}: ${problem.severity === 'warning' ? 'warning: ' : ''}${problem.file ? `${problem.file}: ` : ''}${problemText(problem)}\n`;
}

export interface LocalGeneration {
  outputs: { appSet: ApplicationSet; result: GenerationResult }[];
  /** 1 when any ApplicationSet failed; the others are still in `outputs`. */
  exitCode: number;
}

/**
 * The `-f` inputs and the ApplicationSets among them; or, having said why on stderr, the exit
 * code: 2 for a usage error (no such file), 1 for unreadable input or no ApplicationSet.
 */
export async function readApplicationSets(files: string[], command: string, stderr: NodeJS.WritableStream): Promise<{ manifests: Manifest[]; appSets: Manifest[] } | number> {
  let manifests: Manifest[];
  try {
    manifests = await readManifests(files);
  } catch (error) {
    stderr.write(`${command}: ${(error as Error).message}\n`);
    return error instanceof ManifestError && error.usage ? 2 : 1;
  }
  const appSets = manifests.filter((m) => m.object.kind === 'ApplicationSet');
  if (appSets.length === 0) {
    stderr.write(`${command}: no ApplicationSet found in ${files.join(', ')}\n`);
    return 1;
  }
  return { manifests, appSets };
}

/**
 * Runs the generators of each ApplicationSet manifest as the controller would, without a
 * controller: schema problems, generator failures and a disabled local cluster are reported
 * with the file, the ApplicationSet and the field. Throws only when the cluster given
 * with --kubeconfig cannot be read.
 */
export async function generateLocally(manifests: Manifest[], appSets: Manifest[], options: LocalGenerationOptions): Promise<LocalGeneration> {
  const generateContext = await createGenerateContext(manifests, {
    namespace: options.namespace,
    kubeconfig: options.kubeconfig,
    context: options.context,
    warn: (message) => options.report({ severity: 'warning', message }),
    templateTimeoutSeconds: options.templateTimeoutSeconds,
  });
  const argocdCm = manifests.find((m) => m.object.kind === 'ConfigMap' && m.object.metadata?.name === 'argocd-cm')?.object as { data?: Record<string, string> } | undefined;
  const { projects } = generateContext;
  try {
    return await generateApplicationSets(appSets, generateContext.context, {
      namespace: options.namespace,
      report: options.report,
      inClusterEnabled: inClusterEnabled(argocdCm),
      // An offline preview without any AppProject checks none; with some (inputs or live), every Application's.
      ...(projects.length ? { projects: (name: string) => projects.find((p) => p.metadata.name === name && (p.metadata.namespace ?? options.namespace) === options.namespace) } : {}),
    });
  } finally {
    await generateContext.close();
  }
}

export interface GenerationOptions {
  /** Where ApplicationSets without a namespace are, and Secrets they name are read. */
  namespace: string;
  report: (problem: GenerationProblem) => void;
  /** Whether argocd-cm lets Applications target the local cluster. */
  inClusterEnabled: boolean;
  /** Argo CD's AppProjects, when known (live, or among the inputs): each Application's project is checked as the controller checks it. */
  projects?: (name: string) => AppProject | undefined;
}

/** The generation part of generateLocally, over any GeneratorContext (the CLI's, or the API's dry run with its caller's rights). */
export async function generateApplicationSets(appSets: Manifest[], context: GeneratorContext, options: GenerationOptions): Promise<LocalGeneration> {
  let exitCode = 0;
  const report = (manifest: Manifest, field: string | undefined, message: string, severity: GenerationProblem['severity'] = 'error') => {
    options.report({ severity, file: manifest.file, appSet: manifest.object.metadata?.name ?? '<unnamed>', field, message });
    if (severity === 'error') exitCode = 1;
  };
  const registry = createDefaultRegistry();
  const fleet = { clusters: await context.clusters.list(), inClusterEnabled: options.inClusterEnabled };
  const outputs: LocalGeneration['outputs'] = [];
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
    if (result.failure) {
      report(manifest, result.failure.field, result.failure.message);
      continue;
    }
    // Without a live fleet only the local cluster can be checked: argocd-cm may disable it.
    const localProblems = result.generated
      .map((g) => g.application)
      .filter((a) => a.spec.destination?.server === IN_CLUSTER_SERVER || a.spec.destination?.name === IN_CLUSTER_NAME)
      .map((a) => [a.metadata.name, destinationProblem(a.spec.destination, fleet)] as const)
      .filter(([, problem]) => problem);
    for (const [name, problem] of localProblems) report(manifest, `Application ${name}: spec.destination`, problem!);
    const projects = options.projects;
    const projectProblems = projects
      ? result.generated.map(({ application: a }) => [a.metadata.name, projectProblem(a, { project: projects, argocdNamespace: options.namespace })] as const).filter(([, problem]) => problem)
      : [];
    for (const [name, problem] of projectProblems) report(manifest, `Application ${name}: spec.project`, problem!);
    const rejected = new Set([...localProblems, ...projectProblems].map(([name]) => name));
    outputs.push({ appSet, result: { ...result, generated: result.generated.filter((g) => !rejected.has(g.application.metadata.name)) } });
  }
  return { outputs, exitCode };
}
