import type { Application } from '../api/application.js';
import type { KubeObject } from '../api/meta.js';
import { namespaceSecrets } from '../cli/generate-context.js';
import { generateLocally, problemText, type GenerationProblem } from '../cli/local-generation.js';
import type { ObjectClient } from '../kube/object-client.js';

export interface DryRunResult {
  applications: Application[];
  /** What is wrong, naming the ApplicationSet and the field; none when generation succeeded. */
  errors: string[];
  warnings: string[];
}

/**
 * `regatta generate` for one ApplicationSet posted to the API: the same generators, over the live
 * fleet and repository credentials in Argo CD's namespace, writing nothing.
 */
export class DryRunGeneration {
  constructor(
    private readonly client: ObjectClient,
    private readonly argocdNamespace: string,
    private readonly templateTimeoutSeconds?: number,
  ) {}

  async generate(appSet: KubeObject): Promise<DryRunResult> {
    const secrets = await namespaceSecrets(this.client, this.argocdNamespace);
    const problems: GenerationProblem[] = [];
    const manifest = { object: appSet, file: 'request body' };
    const { outputs } = await generateLocally([manifest, ...secrets.map((object) => ({ object, file: 'cluster' }))], [manifest], {
      namespace: this.argocdNamespace,
      report: (problem) => problems.push(problem),
      templateTimeoutSeconds: this.templateTimeoutSeconds,
    });
    return {
      applications: outputs.flatMap((o) => o.result.generated.map((g) => g.application)),
      errors: problems.filter((p) => p.severity === 'error').map(problemText),
      warnings: problems.filter((p) => p.severity === 'warning').map(problemText),
    };
  }
}
