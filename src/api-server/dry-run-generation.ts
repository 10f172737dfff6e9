import { Writable } from 'node:stream';
import type { Application } from '../api/application.js';
import type { KubeObject, Secret } from '../api/meta.js';
import { generateLocally } from '../cli/local-generation.js';
import type { ObjectClient } from '../kube/object-client.js';

const SOURCE = 'request body';

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
  ) {}

  async generate(appSet: KubeObject): Promise<DryRunResult> {
    const secrets = await this.client.list<Secret>('v1', 'Secret', this.argocdNamespace);
    const lines: string[] = [];
    const stderr = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const manifest = { object: appSet, file: SOURCE };
    const { outputs } = await generateLocally([manifest, ...secrets.map((s) => ({ object: { ...s, kind: 'Secret' }, file: 'cluster' }))], [manifest], {
      namespace: this.argocdNamespace,
      command: 'generate',
      stderr,
    });
    // Lines read `generate: [warning: ]request body: ApplicationSet NAME: FIELD: message`.
    const messages = lines.map((line) => line.replace(/^generate: /, ''));
    return {
      applications: outputs.flatMap((o) => o.result.generated.map((g) => g.application)),
      errors: messages.filter((m) => !m.startsWith('warning: ')).map((m) => m.replace(`${SOURCE}: `, '')),
      warnings: messages.filter((m) => m.startsWith('warning: ')).map((m) => m.slice('warning: '.length).replace(`${SOURCE}: `, '')),
    };
  }
}
