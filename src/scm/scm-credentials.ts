import type { ApplicationSet } from '../api/application-set.js';
import { ProviderSelectionError, type ConfigMapReader, type SecretReader } from '../generators/generator.js';
import type { GitHubAppCredentials } from './github-app.js';

/**
 * A Secret's token for a provider, from the ApplicationSet's namespace; what goes wrong reading it
 * means the provider cannot be used, reported after `failure` (the generator's own wording).
 */
export async function secretToken(
  secrets: SecretReader,
  appSet: ApplicationSet,
  ref: { secretName: string; key: string } | undefined,
  scmCredsOnly: boolean,
  failure: string,
): Promise<string | undefined> {
  if (!ref) return undefined;
  try {
    return await secrets.getSecretValue(appSet.metadata.namespace ?? '', ref.secretName, ref.key, scmCredsOnly);
  } catch (error) {
    throw new ProviderSelectionError(`${failure}: ${(error as Error).message}`);
  }
}

/** GitHub App credentials from the Secret `appSecretName` names (Argo CD's githubApp* keys). */
export async function githubAppCredentials(secrets: SecretReader, secretName: string, appSet: ApplicationSet, failure: string): Promise<GitHubAppCredentials> {
  const read = (key: string) =>
    secrets.getSecretValue(appSet.metadata.namespace ?? '', secretName, key).catch((error: Error) => {
      throw new ProviderSelectionError(`${failure}: ${error.message}`);
    });
  return { appId: await read('githubAppID'), installationId: await read('githubAppInstallationID'), privateKey: await read('githubAppPrivateKey') };
}

/** Where ConfigMaps cannot be read (a provider's `caRef` then fails, naming why). */
export const NO_CONFIG_MAPS: ConfigMapReader = { configMapData: () => Promise.reject(new Error('ConfigMaps cannot be read here')) };

/** The CA certificates (PEM) a provider's `caRef` names, from a ConfigMap of the ApplicationSet's namespace, as Argo CD reads them. */
export async function caCertificates(configMaps: ConfigMapReader, appSet: ApplicationSet, ref: { configMapName: string; key: string }): Promise<string> {
  const failure = (message: string) => new ProviderSelectionError(`error fetching CA certificates from ConfigMap: ${message}`);
  const data = await configMaps.configMapData(appSet.metadata.namespace ?? '', ref.configMapName).catch((error: Error) => {
    throw failure(error.message);
  });
  if (!Object.hasOwn(data, ref.key)) throw failure(`key ${ref.key} not found in ConfigMap ${ref.configMapName}`);
  return data[ref.key];
}
