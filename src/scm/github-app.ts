import { createSign } from 'node:crypto';
import { requestTimeoutMs, ScmError, timeoutMessage } from './rate-limit.js';
import type { ScmHttp } from './scm-gateway.js';
import { isTimeout, type ScmAnswer } from './scm-transport.js';

export interface GitHubAppCredentials {
  appId: string;
  installationId: string;
  privateKey: string;
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/** The app's own JWT (RS256, valid 10 minutes, issued a minute early for clock skew), as GitHub requires. */
export function appJwt(credentials: GitHubAppCredentials, now = Date.now()): string {
  const issuedAt = Math.floor(now / 1000) - 60;
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify({ iat: issuedAt, exp: issuedAt + 600, iss: credentials.appId }));
  const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(credentials.privateKey);
  return `${header}.${payload}.${b64url(signature)}`;
}

/**
 * Exchanges the app's JWT for an installation token (what API calls then authenticate with),
 * through the SCM gateway: bounded in time and size, and counted in the GitHub API metrics as
 * Argo CD's client counts it.
 */
export async function installationToken(api: string, credentials: GitHubAppCredentials, http: ScmHttp): Promise<string> {
  let jwt: string;
  try {
    jwt = appJwt(credentials);
  } catch {
    throw new ScmError('GitHub App: the private key in the app Secret cannot sign (githubAppPrivateKey must be a PEM RSA key)');
  }
  const url = `${api.replace(/\/+$/, '')}/app/installations/${encodeURIComponent(credentials.installationId)}/access_tokens`;
  const headers = { accept: 'application/vnd.github+json', authorization: `Bearer ${jwt}`, 'user-agent': 'regatta' };
  let answer: ScmAnswer;
  try {
    answer = await http.gateway.post(url, headers, '', http.trust ?? {}, requestTimeoutMs(http.budget), http.caller);
  } catch (error) {
    const reason = isTimeout(error) ? timeoutMessage(http.budget) : ((error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).message);
    throw new ScmError(`GitHub App: requesting an installation token failed: ${reason}`);
  }
  if (answer.status < 200 || answer.status >= 300)
    throw new ScmError(`GitHub App: requesting an installation token for installation ${credentials.installationId} failed: HTTP ${answer.status}`);
  let token: unknown;
  try {
    token = (JSON.parse(answer.text) as { token?: unknown } | null)?.token;
  } catch {
    // Reported below.
  }
  if (typeof token !== 'string' || !token) throw new ScmError('GitHub App: the installation token answer holds no token');
  return token;
}
