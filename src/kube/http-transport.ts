import * as http from 'node:http';
import * as https from 'node:https';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import * as k8s from '@kubernetes/client-node';
import { openRequestFence } from './request-fence.js';

/** Thrown when a request is cancelled: its fence closed, or it had no answer within its timeout. */
export class RequestAbortedError extends Error {
  override readonly name = 'AbortError';
  readonly code = 'ABORT_ERR';
}

const gunzipped = promisify(gunzip);

function headersOf(response: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  return headers;
}

/**
 * Where a request goes, as the few options Node's HTTP client needs. Given a URL, Node copies it into
 * a dozen options, and its agent copies every option again into a dictionary for each request:
 * a few kilobytes of garbage per request at thousands of requests a second.
 */
function targetOf(url: URL): Pick<http.RequestOptions, 'hostname' | 'port' | 'path' | 'auth'> {
  // An IPv6 address is written in brackets in a URL, not in a host name.
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const auth = url.username || url.password ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined;
  return { hostname, ...(url.port ? { port: Number(url.port) } : {}), path: `${url.pathname}${url.search}`, ...(auth ? { auth } : {}) };
}

/**
 * Sends client-node's requests (built, authenticated and answered through client-node's own API
 * classes and middleware) over Node's HTTP client directly. client-node's default transport is
 * node-fetch, which puts every answer through streams, a Headers object and a Body before the text
 * is read: at fleet scale, thousands of requests a second, a large share of the controller's CPU.
 *
 * Each request is held to the request fence around it (request-fence.ts), checked here, as it
 * leaves: cancelled when the fence closes or after the fence's timeout without a whole answer.
 */
export class NodeHttpTransport implements k8s.PromiseHttpLibrary {
  send(request: k8s.RequestContext): Promise<k8s.ResponseContext> {
    const fence = openRequestFence();
    const body = request.getBody();
    if (body !== undefined && typeof body !== 'string') return Promise.reject(new Error('only string request bodies are supported'));
    const url = new URL(request.getUrl());
    const client = url.protocol === 'https:' ? https : http;
    const target = targetOf(url);
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let pendingAbort: NodeJS.Immediate | undefined;
      let done = false;
      const finish = () => {
        done = true;
        clearTimeout(timer);
        clearImmediate(pendingAbort);
        fence?.signal?.removeEventListener('abort', onFenceClosed);
      };
      const fail = (error: unknown) => {
        if (done) return;
        finish();
        outgoing.destroy();
        reject(error);
      };
      const onFenceClosed = () => fail(new RequestAbortedError('the request was cancelled: its fence closed', { cause: fence?.signal?.reason }));

      const outgoing = client.request(
        { ...target, method: request.getHttpMethod(), headers: { 'accept-encoding': 'gzip', ...request.getHeaders() }, agent: request.getAgent() },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', fail);
          response.on('aborted', () => fail(Object.assign(new Error('the connection closed before the whole answer came'), { code: 'ECONNRESET' })));
          response.on('end', () => {
            if (done) return;
            finish();
            const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
            const decoded = response.headers['content-encoding'] === 'gzip' ? gunzipped(raw) : Promise.resolve(raw);
            resolve(
              new k8s.ResponseContext(response.statusCode ?? 0, headersOf(response), {
                binary: () => decoded,
                text: async () => (await decoded).toString('utf8'),
              }),
            );
          });
        },
      );
      outgoing.on('error', fail);
      fence?.signal?.addEventListener('abort', onFenceClosed, { once: true });
      // The timeout fires only after the I/O already waiting has been read: a process that was paused (SIGSTOP, a long GC)
      // past it wakes up to the answers that came in meanwhile, not to a timeout of requests that were answered.
      if (fence?.requestTimeoutMs !== undefined)
        timer = setTimeout(() => {
          pendingAbort = setImmediate(() => fail(new RequestAbortedError(`no answer within ${fence.requestTimeoutMs} ms: the request was cancelled`)));
        }, fence.requestTimeoutMs).unref();
      outgoing.end(body);
    });
  }
}
