import { readFile } from 'node:fs/promises';
import type { AwsCredentials } from './aws-sigv4.js';
import { AwsClient, xmlText, type AwsEndpoint } from './aws-json-client.js';
import type { ScmHttp } from './scm-gateway.js';

/** The environment AWS settings are read from, as the AWS SDK's default chain reads them (process.env in Regatta). */
export type AwsEnvironment = Readonly<Record<string, string | undefined>>;

/** The services the CodeCommit provider calls, with the AWS SDK's names for their endpoint variables. */
const SERVICES = {
  codecommit: { host: 'codecommit', signingName: 'codecommit', serviceId: 'CodeCommit', variable: 'AWS_ENDPOINT_URL_CODECOMMIT' },
  tagging: { host: 'tagging', signingName: 'tagging', serviceId: 'Resource Groups Tagging API', variable: 'AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API' },
  sts: { host: 'sts', signingName: 'sts', serviceId: 'STS', variable: 'AWS_ENDPOINT_URL_STS' },
} as const;

export type AwsService = keyof typeof SERVICES;

/** A region is a DNS label of the endpoint's host name, so a tenant's `region` cannot point it elsewhere. */
const REGION = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** The generator's `region`, else AWS_REGION (then AWS_DEFAULT_REGION, as the SDK reads them); throws when none or malformed. */
export function awsRegion(specRegion: string | undefined, env: AwsEnvironment): string {
  const region = specRegion || env.AWS_REGION || env.AWS_DEFAULT_REGION || '';
  if (region === '') throw new Error('an AWS region is required, but was not found: set awsCodeCommit.region or AWS_REGION');
  if (!REGION.test(region)) throw new Error(`awsCodeCommit.region ${JSON.stringify(region.slice(0, 64))} is not an AWS region name`);
  return region;
}

export function awsEndpoint(service: AwsService, region: string, env: AwsEnvironment): AwsEndpoint {
  const { host, signingName, serviceId, variable } = SERVICES[service];
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  const url = env[variable] || env.AWS_ENDPOINT_URL || `https://${host}.${region}.${domain}`;
  return { url, region, signingName, serviceId };
}

/** Largest web identity token file read: an OIDC token is a few kilobytes. */
const MAX_WEB_IDENTITY_TOKEN_BYTES = 64 * 1024;

/** The temporary credentials of an STS AssumeRole or AssumeRoleWithWebIdentity answer (XML); throws when it holds none. */
function assumedRoleCredentials(xml: string): AwsCredentials {
  const result = /<(AssumeRole|AssumeRoleWithWebIdentity)Result>[\s\S]*<\/\1Result>/.exec(xml)?.[0] ?? '';
  const field = (tag: string) => xmlText(result, tag);
  const credentials = { accessKeyId: field('AccessKeyId'), secretAccessKey: field('SecretAccessKey'), sessionToken: field('SessionToken') };
  if (!credentials.accessKeyId || !credentials.secretAccessKey || !credentials.sessionToken) throw new Error('the AssumeRole answer holds no credentials');
  return credentials;
}

/** Fetched once, at the first call; a failure is worded as the AWS SDK words it. */
function cachedOnce(fetch: () => Promise<AwsCredentials>): () => Promise<AwsCredentials> {
  let fetched: Promise<AwsCredentials> | undefined;
  return () =>
    (fetched ??= fetch().catch((error: Error) => {
      throw new Error(`failed to refresh cached credentials, ${error.message}`);
    }));
}

async function webIdentityToken(path: string): Promise<string> {
  let token: Buffer;
  try {
    token = await readFile(path);
  } catch (error) {
    throw new Error(`failed to retrieve jwt from provide source, unable to read file at ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, {
      cause: error,
    });
  }
  if (token.byteLength > MAX_WEB_IDENTITY_TOKEN_BYTES)
    throw new Error(`the web identity token file ${path} is larger than ${MAX_WEB_IDENTITY_TOKEN_BYTES} bytes`);
  return token.toString('utf8').trim();
}

/**
 * The credentials the AWS SDK's default chain finds in the environment, in its order:
 * AWS_ACCESS_KEY_ID with AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN); else a web identity
 * (AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN, as EKS sets them for IRSA) exchanged at STS
 * through the unsigned AssumeRoleWithWebIdentity. Throws, naming only the variables, when there are none.
 */
function environmentCredentials(region: string, env: AwsEnvironment, http: ScmHttp): () => Promise<AwsCredentials> {
  const accessKeyId = env.AWS_ACCESS_KEY_ID ?? '';
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY ?? '';
  if (accessKeyId !== '' && secretAccessKey !== '') {
    const keys = { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined };
    return () => Promise.resolve(keys);
  }
  const tokenFile = env.AWS_WEB_IDENTITY_TOKEN_FILE ?? '';
  const roleArn = env.AWS_ROLE_ARN ?? '';
  if (tokenFile !== '' && roleArn !== '') {
    const sts = new AwsClient(awsEndpoint('sts', region, env), () => Promise.resolve(undefined), http);
    return cachedOnce(async () => {
      const parameters = { RoleArn: roleArn, RoleSessionName: env.AWS_ROLE_SESSION_NAME || `regatta-${Date.now()}`, Version: '2011-06-15' };
      return assumedRoleCredentials(await sts.query('AssumeRoleWithWebIdentity', { ...parameters, WebIdentityToken: await webIdentityToken(tokenFile) }));
    });
  }
  throw new Error(
    "no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, must be set in Regatta's environment",
  );
}

/**
 * Credentials for the CodeCommit provider: the environment's, or with `role` those STS AssumeRole
 * gives for it (signed with the environment's), fetched once at the first call and then reused.
 */
export function codeCommitCredentials(role: string, region: string, env: AwsEnvironment, http: ScmHttp): () => Promise<AwsCredentials> {
  const base = environmentCredentials(region, env, http);
  if (role === '') return base;
  const sts = new AwsClient(awsEndpoint('sts', region, env), base, http);
  return cachedOnce(async () =>
    assumedRoleCredentials(await sts.query('AssumeRole', { RoleArn: role, RoleSessionName: `regatta-${Date.now()}`, Version: '2011-06-15' })),
  );
}
