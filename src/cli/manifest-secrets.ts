import type { KubeObject, Secret } from '../api/meta.js';
import { secretRefValue } from '../api/cluster-secret.js';
import type { SecretReader } from '../generators/generator.js';

/** Secrets given as `-f` inputs, read as a SecretReader; values never appear in errors. */
export class ManifestSecretReader implements SecretReader {
  private readonly secrets: Secret[];

  constructor(
    objects: KubeObject[],
    private readonly defaultNamespace: string,
  ) {
    this.secrets = objects.filter((o) => o.kind === 'Secret') as Secret[];
  }

  async getSecretValue(namespace: string, name: string, key: string, scmCredsOnly?: boolean): Promise<string> {
    const secret = this.secrets.find((s) => s.metadata?.name === name && (s.metadata?.namespace ?? this.defaultNamespace) === namespace);
    return secretRefValue(secret, namespace, name, key, scmCredsOnly);
  }
}
