import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './api-error.js';
import type { ClusterStore } from './cluster-store.js';
import { documentHash, openApiV2Document, openApiV3Document, openApiV3Index } from './openapi.js';
import { encodeOpenApiV2 } from './openapi-protobuf.js';

/** The media type a real server answers with; clients still ask by the older `spec.v2@v1.0+protobuf` too (kubectl 1.32 does). */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
const PROTOBUF_ACCEPTED = /application\/com\.github\.proto-openapi\.spec\.v2(@|\.)v1\.0\+protobuf/;

/**
 * `/openapi/v2` (JSON, or gnostic protobuf when the client accepts it), `/openapi/v3` and
 * `/openapi/v3/GROUP-VERSION`. `prefix` is the cluster's path on the shared server: the v3 index
 * names each document by its server-relative URL, as a real server does.
 */
export function sendOpenApi(store: ClusterStore, path: string, prefix: string, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET') throw new ApiError(405, 'MethodNotAllowed', `${req.method} is not supported`);
  if (path === '/openapi/v2') {
    const document = openApiV2Document(store);
    if (PROTOBUF_ACCEPTED.test(req.headers.accept ?? '')) return write(res, OPENAPI_V2_PROTOBUF, encodeOpenApiV2(document), documentHash(document));
    return write(res, 'application/json', Buffer.from(JSON.stringify(document)), documentHash(document));
  }
  if (path === '/openapi/v3') return write(res, 'application/json', Buffer.from(JSON.stringify(openApiV3Index(store, prefix))));
  const groupVersion = /^\/openapi\/v3\/(.+)$/.exec(path)?.[1];
  if (!groupVersion) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  const document = openApiV3Document(store, groupVersion);
  return write(res, 'application/json', Buffer.from(JSON.stringify(document)), documentHash(document));
}

function write(res: ServerResponse, contentType: string, body: Buffer, etag?: string): void {
  res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': body.length, ...(etag ? { ETag: `"${etag}"` } : {}) });
  res.end(body);
}
