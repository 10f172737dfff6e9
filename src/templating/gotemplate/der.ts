/** The slice of ASN.1 DER that X.509 certificates and private keys need, both ways. */

export function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  let header: number[];
  if (length < 0x80) header = [tag, length];
  else {
    const bytes: number[] = [];
    for (let rest = length; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
    header = [tag, 0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from(header), content]);
}

export const sequence = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
export const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
export const octetString = (content: Buffer) => tlv(0x04, content);
export const nullValue = () => Buffer.from([0x05, 0x00]);
export const boolean = (value: boolean) => Buffer.from([0x01, 0x01, value ? 0xff : 0x00]);
/** A context-specific tag: explicit wraps a whole element, implicit replaces its tag. */
export const explicit = (n: number, content: Buffer) => tlv(0xa0 | n, content);
export const implicit = (n: number, content: Buffer, constructed = false) => tlv((constructed ? 0xa0 : 0x80) | n, content);

export function bitString(content: Buffer, unusedBits = 0): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), content]));
}

export function integer(value: bigint): Buffer {
  if (value < 0n) throw new Error('negative integers are not needed here');
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(0x02, bytes);
}

export function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const chunk: number[] = [arc & 0x7f];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128)) chunk.unshift((value & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** Go's asn1 picks PrintableString when every character allows it, UTF8String otherwise. */
export function directoryString(text: string): Buffer {
  const printable = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text);
  return tlv(printable ? 0x13 : 0x0c, Buffer.from(text, 'utf8'));
}

/** UTCTime for 1950–2049 and GeneralizedTime outside it, to the second, as Go writes Validity. */
export function time(date: Date): Buffer {
  const iso = date.toISOString();
  const year = date.getUTCFullYear();
  const rest = `${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return year >= 1950 && year < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2, 4)}${rest}`)) : tlv(0x18, Buffer.from(`${String(year).padStart(4, '0')}${rest}`));
}

export interface DerElement {
  tag: number;
  /** The whole element, header included. */
  raw: Buffer;
  content: Buffer;
}

export function readElement(data: Buffer, offset = 0): DerElement {
  if (offset + 2 > data.length) throw new Error('asn1: syntax error: data truncated');
  const tag = data[offset];
  let length = data[offset + 1];
  let headerLength = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || offset + 2 + count > data.length) throw new Error('asn1: syntax error: invalid length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + data[offset + 2 + i];
    headerLength += count;
  }
  const end = offset + headerLength + length;
  if (end > data.length) throw new Error('asn1: syntax error: data truncated');
  return { tag, raw: data.subarray(offset, end), content: data.subarray(offset + headerLength, end) };
}

/** The elements directly inside a constructed element. */
export function children(element: DerElement): DerElement[] {
  const items: DerElement[] = [];
  for (let offset = 0; offset < element.content.length;) {
    const item = readElement(element.content, offset);
    items.push(item);
    offset += item.raw.length;
  }
  return items;
}

export function readInteger(element: DerElement): bigint {
  if (element.tag !== 0x02) throw new Error("asn1: structure error: tags don't match");
  return element.content.length === 0 ? 0n : BigInt(`0x${element.content.toString('hex')}`);
}

export function readOid(element: DerElement): string {
  const bytes = element.content;
  const arcs = [Math.floor(bytes[0] / 40), bytes[0] % 40];
  let value = 0;
  for (const byte of bytes.subarray(1)) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  return arcs.join('.');
}

export function pemEncode(type: string, der: Buffer): string {
  const body = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${type}-----\n${body}\n-----END ${type}-----\n`;
}

/** Go's pem.Decode: the first block anywhere in the text, or undefined. */
export function pemDecode(text: string): { type: string; der: Buffer } | undefined {
  const match = /-----BEGIN ([^-\n]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text);
  if (!match) return undefined;
  const body = match[2]
    .split(/\r?\n/)
    .filter((line) => !line.includes(':'))
    .join('');
  if (!/^[A-Za-z0-9+/=\s]*$/.test(body)) return undefined;
  return { type: match[1], der: Buffer.from(body, 'base64') };
}
