import type { IncomingMessage, ServerResponse } from 'node:http';

/** Where Git providers deliver webhooks. */
export const WEBHOOK_PATH = '/api/webhook';

export type WebhookRequest = IncomingMessage & { rawBody?: Buffer };

/**
 * Reads a webhook's body, whatever its content type, into `rawBody` (signatures are over the exact
 * bytes), keeping at most `maxBytes` in memory: a larger body, declared or streamed, is answered
 * 413 at once and the rest discarded unread, before anyone has checked a signature.
 */
export function webhookBodyReader(maxBytes: number): (request: WebhookRequest, response: ServerResponse, next: (error?: unknown) => void) => void {
  const refuse = (response: ServerResponse) => {
    const message = `webhook payload is larger than ${maxBytes} bytes`;
    response.writeHead(413, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
    response.end(JSON.stringify({ statusCode: 413, error: 'Payload Too Large', message }));
  };
  return (request, response, next) => {
    if (request.method !== 'POST') return next();
    if (Number(request.headers['content-length']) > maxBytes) {
      refuse(response);
      request.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    request.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      settled = true;
      chunks.length = 0;
      refuse(response);
    });
    request.on('end', () => {
      if (settled) return;
      settled = true;
      request.rawBody = Buffer.concat(chunks);
      next();
    });
    request.on('error', (error) => {
      if (settled) return;
      settled = true;
      next(error);
    });
  };
}
