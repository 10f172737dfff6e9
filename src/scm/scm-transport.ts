import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { BodyTooLargeError, readBodyWithin } from '../lib/bounded-body.js';

/** Largest answer (one page) read from an SCM provider: a page of 100 repositories is well under 1 MB. */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

/** One HTTP answer, its body read whole (within MAX_ANSWER_BYTES). */
export interface ScmAnswer {
  status: number;
  statusText: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  text: string;
}

/** How a provider's HTTPS server is trusted: not verified (`insecure: true`), or also by the CA certificates (PEM) of a `caRef`. */
export interface TlsTrust {
  insecure?: boolean;
  ca?: string;
}

/** Whether a failed request was one that took longer than its budget allows. */
export const isTimeout = (error: unknown) => (error as { name?: string } | undefined)?.name === 'TimeoutError';

/** Most redirects one GET follows, each on the origin it was sent to. */
const MAX_REDIRECTS = 5;

/**
 * One GET, trusting the server as `trust` says, answered within `timeoutMs`. Redirects are
 * followed only within the origin asked: a provider's credential headers must not travel to
 * wherever an answer points.
 */
export async function sendGet(url: string, headers: Record<string, string>, trust: TlsTrust, timeoutMs: number): Promise<ScmAnswer> {
  if ((trust.insecure || trust.ca) && url.startsWith('https:')) return sendTrusting(url, headers, trust, timeoutMs);
  const signal = AbortSignal.timeout(timeoutMs);
  for (let redirects = 0; ; redirects++) {
    const response = await fetch(url, { headers, redirect: 'manual', signal });
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location && redirects < MAX_REDIRECTS) {
      const next = new URL(location, url);
      if (next.origin === new URL(url).origin) {
        await response.body?.cancel();
        url = next.href;
        continue;
      }
    }
    return {
      status: response.status,
      statusText: response.statusText,
      headers: Object.fromEntries(response.headers.entries()),
      text: await readBodyWithin(response, MAX_ANSWER_BYTES),
    };
  }
}

/**
 * One POST (a JSON body unless `headers`, lower-cased, name another content type), answered
 * within `timeoutMs`. Never redirected: a write goes where it was addressed or not at all.
 */
export async function sendPost(url: string, headers: Record<string, string>, body: string, trust: TlsTrust, timeoutMs: number): Promise<ScmAnswer> {
  const json = { 'content-type': 'application/json', ...headers };
  if ((trust.insecure || trust.ca) && url.startsWith('https:')) return sendTrusting(url, json, trust, timeoutMs, body);
  const response = await fetch(url, { method: 'POST', headers: json, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  return {
    status: response.status,
    statusText: response.statusText,
    headers: Object.fromEntries(response.headers.entries()),
    text: await readBodyWithin(response, MAX_ANSWER_BYTES),
  };
}

/** A GET (or, with a body, a POST) through node:https, for a server verified against extra CA certificates or not verified at all. */
function sendTrusting(url: string, headers: Record<string, string>, trust: TlsTrust, timeoutMs: number, body?: string): Promise<ScmAnswer> {
  return new Promise((resolve, reject) => {
    // An abort (the timeout) surfaces as an error naming the signal's reason as its cause.
    const fail = (error: Error) => reject(isTimeout(error.cause) ? error.cause : Object.assign(new Error(error.message), { cause: error }));
    const request = httpsRequest(
      url,
      {
        method: body === undefined ? 'GET' : 'POST',
        headers,
        rejectUnauthorized: !trust.insecure,
        ca: trust.ca ? [...rootCertificates, trust.ca] : undefined,
        signal: AbortSignal.timeout(timeoutMs),
      },
      (response) => {
        response.on('error', fail);
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.byteLength;
          if (size > MAX_ANSWER_BYTES) {
            response.destroy();
            reject(new BodyTooLargeError(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`));
          } else chunks.push(chunk);
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            statusText: response.statusMessage ?? '',
            headers: Object.fromEntries(Object.entries(response.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')])),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    request.on('error', fail);
    request.end(body);
  });
}
