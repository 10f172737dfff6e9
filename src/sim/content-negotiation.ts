import { ApiError } from './api-error.js';
import { PROTOBUF_MEDIA_TYPE } from './protobuf-codec.js';

export type ResponseFormat = 'json' | 'protobuf';

interface AcceptClause {
  mediaType: string;
  params: Map<string, string>;
  q: number;
}

function parseAccept(header: string): AcceptClause[] {
  return header
    .split(',')
    .map((clause) => {
      const [mediaType, ...rest] = clause.split(';').map((part) => part.trim());
      const params = new Map(rest.map((p) => p.split('=').map((s) => s.trim().toLowerCase()) as [string, string]));
      const q = Number(params.get('q') ?? '1');
      return { mediaType: mediaType.toLowerCase(), params, q: Number.isFinite(q) ? q : 0 };
    })
    .filter((c) => c.mediaType && c.q > 0)
    .sort((a, b) => b.q - a.q);
}

const JSON_FAMILY = new Set(['application/json', 'application/*', '*/*']);

/**
 * The format of a response as kube-apiserver picks it: the first media type in the client's
 * Accept order it can write (a kind without a protobuf codec — a custom resource — is JSON
 * only). A client asking for protobuf alone for such a kind gets 406. Clauses asking for another
 * form (`as=Table`, discovery documents) are passed over, and anything else falls back to JSON.
 */
export function negotiateResponse(accept: string | undefined, protobufAvailable: boolean): ResponseFormat {
  const clauses = parseAccept(accept ?? '');
  for (const clause of clauses) {
    if (clause.params.has('as')) continue;
    if (clause.mediaType === PROTOBUF_MEDIA_TYPE && protobufAvailable) return 'protobuf';
    if (JSON_FAMILY.has(clause.mediaType)) return 'json';
  }
  const onlyProtobuf = clauses.length > 0 && clauses.every((c) => c.mediaType === PROTOBUF_MEDIA_TYPE);
  if (onlyProtobuf) {
    const served = protobufAvailable ? `application/json, ${PROTOBUF_MEDIA_TYPE}` : 'application/json';
    throw new ApiError(406, 'NotAcceptable', `only the following media types are accepted: ${served}`);
  }
  return 'json';
}

export function isProtobufBody(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0].trim().toLowerCase() === PROTOBUF_MEDIA_TYPE;
}

/** The 415 a request body of a media type the endpoint does not read gets. */
export function unsupportedBody(protobufAvailable: boolean): ApiError {
  const accepted = ['application/json', 'application/yaml', ...(protobufAvailable ? [PROTOBUF_MEDIA_TYPE] : [])].join(', ');
  return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted}`);
}
