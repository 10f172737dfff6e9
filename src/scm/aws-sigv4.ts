import { createHash, createHmac } from 'node:crypto';

/** Long-term (access key) or temporary (with a session token) AWS credentials. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsRequestToSign {
  method: string;
  url: URL;
  /** Header names in lower case; all of them are signed. */
  headers: Record<string, string>;
  body: string;
  region: string;
  /** The signing name: `codecommit`, `tagging`, `sts`. */
  service: string;
}

const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 encoding, which SigV4 requires (encodeURIComponent leaves !'()* alone). */
const uriEncode = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** `20150830T123600Z`: SigV4's basic ISO 8601 time. */
export const amzDate = (now: Date) =>
  now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

function canonicalQuery(url: URL): string {
  return [...url.searchParams]
    .map(([key, value]) => [uriEncode(key), uriEncode(value)])
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : x > y ? 1 : 0) : a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}

/**
 * The request's headers signed with AWS Signature Version 4: with `x-amz-date`, the session token
 * when there is one and `authorization`. `host` is signed but left to the HTTP client to send.
 */
export function signAwsRequest(request: AwsRequestToSign, credentials: AwsCredentials, now = new Date()): Record<string, string> {
  const date = amzDate(now);
  const headers: Record<string, string> = { ...request.headers, host: request.url.host, 'x-amz-date': date };
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const names = Object.keys(headers)
    .map((name) => name.toLowerCase())
    .sort();
  const lowered = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    request.method,
    request.url.pathname.split('/').map(uriEncode).join('/') || '/',
    canonicalQuery(request.url),
    names.map((name) => `${name}:${lowered[name].trim().replace(/\s+/g, ' ')}\n`).join(''),
    signedHeaders,
    sha256Hex(request.body),
  ].join('\n');
  const scope = `${date.slice(0, 8)}/${request.region}/${request.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = [date.slice(0, 8), request.region, request.service, 'aws4_request'].reduce<Buffer>(
    (key, part) => hmac(key, part),
    Buffer.from(`AWS4${credentials.secretAccessKey}`, 'utf8'),
  );
  const signature = hmac(signingKey, stringToSign).toString('hex');
  const { host: _host, ...sent } = headers;
  return {
    ...sent,
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}
