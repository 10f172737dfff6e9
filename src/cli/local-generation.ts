import { generateApplicationSets, problemText, type GenerationProblem, type PreviewGeneration } from '../appset/preview-generation.js';
import type { GeneratorContext } from '../generators/generator.js';
import type { GeneratorRegistry } from '../generators/registry.js';
import { inClusterEnabled } from '../projects/destination-cluster.js';
import { createGenerateContext } from './generate-context.js';
import { ManifestError, readManifests, type Manifest } from './manifest-files.js';

export interface LocalGenerationOptions {
  namespace: string;
  kubeconfig?: string;
  context?: string;
  /** Read the live namespace even without --kubeconfig (from the usual kubeconfig), and check every destination against its clusters. */
  live?: boolean;
  /** Told every problem found: a CLI prints it (`problemLine`), the API returns it. */
  report: (problem: GenerationProblem) => void;
  /** Time the template engine may spend rendering one Application (default 1 s). */
  templateTimeoutSeconds?: number;
  /** The generators to run (default: Argo CD's). */
  registry?: GeneratorRegistry;
  /** Runs on the generation while its context (repositories, credentials) is still open. */
  withContext?: (generation: PreviewGeneration, context: GeneratorContext) => Promise<void>;
}

/** How a CLI prints a problem on stderr: `regatta generate: [warning: ]FILE: ApplicationSet NAME: FIELD: message`. */
export function problemLine(command: string, problem: GenerationProblem): string {
  return `${command}: ${problem.severity === 'warning' ? 'warning: ' : ''}${problem.file ? `${problem.file}: ` : ''}${problemText(problem)}\n`;
}

/**
 * The `-f` inputs and the ApplicationSets among them; or, having said why on stderr, the exit
 * code: 2 for a usage error (no such file), 1 for unreadable input or no ApplicationSet.
 */
export async function readApplicationSets(
  files: string[],
  command: string,
  stderr: NodeJS.WritableStream,
): Promise<{ manifests: Manifest[]; appSets: Manifest[] } | number> {
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

/** argocd-cm among the inputs, else (reading the cluster) the live one. */
async function argocdConfigMap(manifests: Manifest[], context: GeneratorContext): Promise<{ data?: Record<string, string> } | undefined> {
  const given = manifests.find((m) => m.object.kind === 'ConfigMap' && m.object.metadata?.name === 'argocd-cm')?.object as
    { data?: Record<string, string> } | undefined;
  if (given) return given;
  const live = await context.settings.configMapData('argocd-cm');
  return live && { data: live };
}

/**
 * Runs the generators of each ApplicationSet manifest as the controller would, without a
 * controller: schema problems, generator failures and a disabled local cluster are reported
 * with the file, the ApplicationSet and the field. Throws only when the cluster given
 * with --kubeconfig cannot be read.
 */
export async function generateLocally(manifests: Manifest[], appSets: Manifest[], options: LocalGenerationOptions): Promise<PreviewGeneration> {
  const generateContext = await createGenerateContext(manifests, {
    namespace: options.namespace,
    kubeconfig: options.kubeconfig,
    context: options.context,
    live: options.live,
    warn: (message) => options.report({ severity: 'warning', message }),
    templateTimeoutSeconds: options.templateTimeoutSeconds,
  });
  const { projects } = generateContext;
  try {
    const generation = await generateApplicationSets(appSets, generateContext.context, {
      namespace: options.namespace,
      report: options.report,
      inClusterEnabled: inClusterEnabled(await argocdConfigMap(manifests, generateContext.context)),
      liveFleet: options.live,
      registry: options.registry,
      // An offline preview without any AppProject checks none; with some (inputs or live), every Application's.
      ...(projects.length
        ? { projects: (name: string) => projects.find((p) => p.metadata.name === name && (p.metadata.namespace ?? options.namespace) === options.namespace) }
        : {}),
    });
    await options.withContext?.(generation, generateContext.context);
    return generation;
  } finally {
    await generateContext.close();
  }
}
