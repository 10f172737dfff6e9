import { createSign } from 'node:crypto';
import { ScmError } from './rate-limit.js';

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

/** Exchanges the app's JWT for an installation token (what API calls then authenticate with). */
export async function installationToken(api: string, credentials: GitHubAppCredentials): Promise<string> {
  let jwt: string;
  try {
    jwt = appJwt(credentials);
  } catch {
    throw new ScmError('GitHub App: the private key in the app Secret cannot sign (githubAppPrivateKey must be a PEM RSA key)');
  }
  const url = `${api.replace(/\/+$/, '')}/app/installations/${encodeURIComponent(credentials.installationId)}/access_tokens`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { accept: 'application/vnd.github+json', authorization: `Bearer ${jwt}`, 'user-agent': 'regatta' },
    });
  } catch (error) {
    throw new ScmError(
      `GitHub App: requesting an installation token failed: ${(error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).message}`,
    );
  }
  if (!response.ok)
    throw new ScmError(`GitHub App: requesting an installation token for installation ${credentials.installationId} failed: HTTP ${response.status}`);
  const body = (await response.json()) as { token?: string };
  if (!body.token) throw new ScmError('GitHub App: the installation token answer holds no token');
  return body.token;
}
