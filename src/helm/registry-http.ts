import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { HelmError } from './helm-error.js';

/** How one registry or Helm repository is reached: TLS trust and client certificate, as its repository Secret says. */
export interface RegistryTransport {
  /** `insecure` in the repository Secret: the server's certificate is not verified. */
  insecure: boolean;
  /** The PEM bundle registered for the server (argocd-tls-certs-cm), trusted instead of the system's. */
  ca?: string;
  clientCert?: string;
  clientKey?: string;
}

export interface RegistryResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RegistryRequest {
  headers?: Record<string, string>;
  /** Bytes the answer may hold; a longer one is cut off and refused. */
  maxBytes: number;
  timeoutMs: number;
  transport: RegistryTransport;
  /** How the URL is named in errors: without credentials, and as the user wrote it. */
  label: string;
}

const MAX_REDIRECTS = 5;

/**
 * One GET of a registry or repository URL, bounded in bytes and time. Redirects are followed
 * (blob stores answer with one), but credentials go only to the host they were given for.
 */
export async function registryGet(url: string, options: RegistryRequest): Promise<RegistryResponse> {
  const deadline = Date.now() + options.timeoutMs;
  let current = new URL(url);
  let headers = { ...options.headers };
  for (let redirects = 0; ; redirects++) {
    const response = await getOnce(current, headers, options, deadline);
    const location = response.headers.location;
    if (response.status < 300 || response.status >= 400 || !location) return response;
    if (redirects >= MAX_REDIRECTS) throw new HelmError(`${options.label}: more than ${MAX_REDIRECTS} redirects`);
    const next = new URL(location, current);
    if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new HelmError(`${options.label}: redirected to an unsupported scheme ${next.protocol}`);
    if (next.host !== current.host) headers = Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'authorization'));
    current = next;
  }
}

function getOnce(url: URL, headers: Record<string, string>, options: RegistryRequest, deadline: number): Promise<RegistryResponse> {
  const remaining = deadline - Date.now();
  if (remaining <= 0) return Promise.reject(new HelmError(`${options.label}: no answer within ${options.timeoutMs} ms`));
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const fail = (error: Error) => {
      settle(() => reject(error instanceof HelmError ? error : new HelmError(`${options.label}: ${error.message}`)));
      req.destroy();
    };
    const secure = url.protocol === 'https:';
    const tls = secure
      ? {
          rejectUnauthorized: !options.transport.insecure,
          ...(options.transport.ca ? { ca: options.transport.ca } : {}),
          ...(options.transport.clientCert && options.transport.clientKey ? { cert: options.transport.clientCert, key: options.transport.clientKey } : {}),
        }
      : {};
    const req = (secure ? httpsRequest : httpRequest)(url, { method: 'GET', headers: { 'User-Agent': 'regatta', ...headers }, ...tls }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) fail(new HelmError(`${options.label}: the answer is larger than the ${options.maxBytes} bytes allowed`));
        else chunks.push(chunk);
      });
      res.on('end', () => settle(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })));
      res.on('error', fail);
    });
    const timer = setTimeout(() => fail(new HelmError(`${options.label}: no answer within ${options.timeoutMs} ms`)), remaining);
    req.on('error', fail);
    req.end();
  });
}

/** A Basic authorization header for a username and password. */
export const basicAuthorization = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
