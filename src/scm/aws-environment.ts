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

/** AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN; throws, naming only the variables, when a key is missing. */
export function environmentCredentials(env: AwsEnvironment): AwsCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID ?? '';
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY ?? '';
  if (accessKeyId === '' || secretAccessKey === '') {
    throw new Error("no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set in Regatta's environment");
  }
  return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined };
}

/** The temporary credentials of an STS AssumeRole answer (XML); throws when it holds none. */
export function assumedRoleCredentials(xml: string): AwsCredentials {
  const result = /<AssumeRoleResult>[\s\S]*<\/AssumeRoleResult>/.exec(xml)?.[0] ?? '';
  const field = (tag: string) => xmlText(result, tag);
  const credentials = { accessKeyId: field('AccessKeyId'), secretAccessKey: field('SecretAccessKey'), sessionToken: field('SessionToken') };
  if (!credentials.accessKeyId || !credentials.secretAccessKey || !credentials.sessionToken) throw new Error('the AssumeRole answer holds no credentials');
  return credentials;
}

/**
 * Credentials for the CodeCommit provider: the environment's, or with `role` those STS AssumeRole
 * gives for it (signed with the environment's), fetched once at the first call and then reused.
 */
export function codeCommitCredentials(role: string, region: string, env: AwsEnvironment, http: ScmHttp): () => Promise<AwsCredentials> {
  const base = environmentCredentials(env);
  if (role === '') return () => Promise.resolve(base);
  const sts = new AwsClient(awsEndpoint('sts', region, env), () => Promise.resolve(base), http);
  let assumed: Promise<AwsCredentials> | undefined;
  return () => {
    assumed ??= sts
      .query('AssumeRole', { RoleArn: role, RoleSessionName: `regatta-${Date.now()}`, Version: '2011-06-15' })
      .then(assumedRoleCredentials)
      .catch((error: Error) => {
        throw new Error(`failed to refresh cached credentials, ${error.message}`);
      });
    return assumed;
  };
}
