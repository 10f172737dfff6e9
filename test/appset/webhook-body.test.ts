import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookBodyReader, type WebhookRequest } from '../../src/appset/webhook-body.js';

/** The reader in front of a plain HTTP server on 127.0.0.1 that answers with the size of the body it was handed. */
const LIMIT = 64 * 1024;
let server: Server;
let base: string;
const handled: number[] = [];

beforeAll(async () => {
  const read = webhookBodyReader(LIMIT);
  server = createServer((req, res) =>
    read(req as WebhookRequest, res, () => {
      const size = (req as WebhookRequest).rawBody?.length ?? -1;
      handled.push(size);
      res.end(JSON.stringify({ size }));
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A POST streamed in chunks without a Content-Length, as a client hiding the size would send it. */
function streamed(chunks: number, chunkSize: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${base}/api/webhook`,
      { method: 'POST', headers: { 'transfer-encoding': 'chunked', 'content-type': 'application/json' } },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
      },
    );
    // The server may close the connection once it has refused; what matters is its answer.
    req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
    const chunk = Buffer.alloc(chunkSize, 0x61);
    let sent = 0;
    const write = () => {
      while (sent < chunks) {
        sent++;
        if (!req.write(chunk)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

describe('webhookBodyReader', () => {
  it('hands the exact bytes of a body within the limit to the handler, whatever its content type', async () => {
    const body = Buffer.from('payload=%7B%7D');
    const response = await fetch(`${base}/api/webhook`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect(await response.json()).toEqual({ size: body.length });
    const exact = await fetch(`${base}/api/webhook`, { method: 'POST', body: Buffer.alloc(LIMIT, 0x20) });
    expect(await exact.json()).toEqual({ size: LIMIT });
  });

  it('answers 413 to a body declared larger than the limit, without handing it on', async () => {
    const before = handled.length;
    const response = await fetch(`${base}/api/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(LIMIT + 1, 0x20),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ statusCode: 413, error: 'Payload Too Large', message: `webhook payload is larger than ${LIMIT} bytes` });
    expect(handled.length).toBe(before);
  });

  it('answers 413 to a streamed body once it passes the limit, without handing it on', async () => {
    const before = handled.length;
    const response = await streamed(40, 4096);
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body).statusCode).toBe(413);
    expect(handled.length).toBe(before);
    // A streamed body under the limit still goes through.
    expect(JSON.parse((await streamed(4, 4096)).body)).toEqual({ size: 4 * 4096 });
  });
});
