import { createHash, randomBytes } from 'node:crypto';
import type { FuncMap } from '../func-map.js';
import { checkValueSize } from '../render-budget.js';
import type { GoValue } from '../value.js';
import { asInt, strval } from './arguments.js';

/** Sprig's encodings (base64, base32), hashes and random bytes. */
export const encodingFunctions: FuncMap = {
  b64enc: (s: GoValue) => Buffer.from(strval(s), 'utf8').toString('base64'),
  b64dec: (s: GoValue) => {
    const text = strval(s);
    const decoded = Buffer.from(text, 'base64');
    return decoded.toString('base64').replace(/=+$/, '') === text.replace(/=+$/, '') ? decoded.toString('utf8') : 'illegal base64 data at input byte 0';
  },
  b32enc: (s: GoValue) => base32Encode(Buffer.from(strval(s), 'utf8')),
  b32dec: (s: GoValue) => base32Decode(strval(s)),
  sha1sum: (s: GoValue) => createHash('sha1').update(strval(s)).digest('hex'),
  sha256sum: (s: GoValue) => createHash('sha256').update(strval(s)).digest('hex'),
  sha512sum: (s: GoValue) => createHash('sha512').update(strval(s)).digest('hex'),
  adler32sum: (s: GoValue) => String(adler32(Buffer.from(strval(s), 'utf8'))),
  randBytes: (n: GoValue) => {
    checkValueSize(Math.ceil(asInt(n) / 3) * 4);
    return randomBytes(asInt(n)).toString('base64');
  },
};

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32Encode(data: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  while (out.length % 8) out += '=';
  return out;
}

function base32Decode(text: string): string {
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const c of text.replace(/=+$/, '')) {
    const index = BASE32.indexOf(c);
    if (index < 0) return `illegal base32 data at input byte ${text.indexOf(c)}`;
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}
