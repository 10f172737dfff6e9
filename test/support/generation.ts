import type { Application } from '../../src/api/application.js';
import type { ApplicationSet } from '../../src/api/application-set.js';
import { parseKubeYaml } from '../../src/api/kube-yaml.js';
import { generateApplications, type GenerationResult } from '../../src/appset/generate.js';
import { createDefaultRegistry } from '../../src/generators/default-registry.js';
import { GeneratorError, type GeneratorContext } from '../../src/generators/generator.js';

/** A context for generators that reach nothing outside the ApplicationSet (list, matrix, merge). */
export function offlineContext(overrides: Partial<GeneratorContext> = {}): GeneratorContext {
  const offline = (what: string) => () => Promise.reject(new GeneratorError(`${what} is not reachable in this test`));
  return {
    clusters: { list: offline('the cluster registry') },
    repositories: { getDirectories: offline('git'), getFiles: offline('git') },
    pullRequests: { list: offline('an SCM provider') },
    scmProviders: { provider: offline('an SCM provider') },
    secrets: { getSecretValue: offline('a Secret') },
    settings: { namespace: 'argocd', configMapData: offline('a ConfigMap') },
    resources: { list: offline('a custom resource') },
    ...overrides,
  };
}

export function appSetFromYaml(yaml: string): ApplicationSet {
  const appSet = parseKubeYaml(yaml) as ApplicationSet;
  appSet.metadata.namespace ??= 'argocd';
  return appSet;
}

export async function generate(yaml: string, context: GeneratorContext = offlineContext()): Promise<GenerationResult> {
  return generateApplications(appSetFromYaml(yaml), createDefaultRegistry(), context);
}

/** Generates and fails loudly when generation fails, returning the Applications. */
export async function applicationsOf(yaml: string, context?: GeneratorContext): Promise<Application[]> {
  const result = await generate(yaml, context);
  if (result.failure) throw new Error(`generation failed: ${result.failure.field}: ${result.failure.message}`);
  return result.generated.map((g) => g.application);
}
