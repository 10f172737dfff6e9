/** Raised when an answer is larger than its reader allows. */
export class BodyTooLargeError extends Error {}

/**
 * The body of an HTTP answer as text, read no further than `maxBytes`: a service that answers
 * without end costs this much memory at most, and the request is cancelled there.
 */
export async function readBodyWithin(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new BodyTooLargeError(`the answer is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
