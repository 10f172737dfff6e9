import type { ApplicationSet, BasicAuthBitbucketServer, BearerTokenBitbucket } from '../api/application-set.js';
import type { ConfigMapKeyRef, SecretRef } from '../api/meta.js';
import { ProviderSelectionError, type ConfigMapReader, type SecretReader } from '../generators/generator.js';
import type { GitHubAppCredentials } from './github-app.js';
import type { TlsTrust } from './scm-transport.js';

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

/** A Secret's token for a Bitbucket or Azure DevOps provider, in Argo CD's words when it cannot be read (`Bearer token` for Bitbucket's). */
export const token = (secrets: SecretReader, appSet: ApplicationSet, ref: SecretRef | undefined, scmCredsOnly: boolean, kind = 'token') =>
  secretToken(secrets, appSet, ref, scmCredsOnly, `error fetching Secret ${kind}`);

export const basic = (username: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` });

/** Bitbucket Server's credentials as Argo CD picks them: the bearer token when both are given, else basic auth, else none. */
export async function bitbucketAuth(
  secrets: SecretReader,
  appSet: ApplicationSet,
  spec: { basicAuth?: BasicAuthBitbucketServer; bearerToken?: BearerTokenBitbucket },
  scmCredsOnly: boolean,
): Promise<Record<string, string>> {
  if (spec.bearerToken) return { authorization: `Bearer ${(await token(secrets, appSet, spec.bearerToken.tokenRef, scmCredsOnly, 'Bearer token')) ?? ''}` };
  if (spec.basicAuth) return basic(spec.basicAuth.username, (await token(secrets, appSet, spec.basicAuth.passwordRef, scmCredsOnly)) ?? '');
  return {};
}

/** A provider's `insecure` and the certificates its `caRef` names, read from the ApplicationSet's namespace. */
export async function providerTls(
  configMaps: ConfigMapReader,
  appSet: ApplicationSet,
  spec: { insecure?: boolean; caRef?: ConfigMapKeyRef },
): Promise<TlsTrust> {
  return { insecure: spec.insecure === true, ca: spec.caRef && (await caCertificates(configMaps, appSet, spec.caRef)) };
}
