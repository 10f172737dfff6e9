import type { ApplicationSet } from '../api/application-set.js';
import { ProviderSelectionError, type SecretReader } from '../generators/generator.js';
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
