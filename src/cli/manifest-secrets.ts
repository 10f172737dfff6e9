import type { KubeObject, Secret } from '../api/meta.js';
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

  async getSecretValue(namespace: string, name: string, key: string): Promise<string> {
    const secret = this.secrets.find((s) => s.metadata?.name === name && (s.metadata?.namespace ?? this.defaultNamespace) === namespace);
    if (!secret) throw new Error(`secret ${namespace}/${name} not found`);
    if (secret.stringData && Object.hasOwn(secret.stringData, key)) return secret.stringData[key];
    if (secret.data && Object.hasOwn(secret.data, key)) return Buffer.from(secret.data[key], 'base64').toString('utf8');
    throw new Error(`key ${JSON.stringify(key)} in secret ${namespace}/${name} not found`);
  }
}
