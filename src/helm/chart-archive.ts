import { gunzipSync } from 'node:zlib';
import { HelmError } from './helm-error.js';

/** A packaged chart (.tgz) is tenant input: what it may unpack to, at most. */
const MAX_UNPACKED_BYTES = 32 * 1024 * 1024;
const MAX_ENTRIES = 10_000;
const BLOCK = 512;

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? raw.length : end).toString('utf8');
}

function octal(header: Buffer, start: number, length: number): number {
  const text = field(header, start, length).trim();
  return text ? parseInt(text, 8) : 0;
}

/** A PAX extended header's `path` record, which names the next entry. */
function paxPath(data: Buffer): string | undefined {
  const match = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
  return match?.[1];
}

/**
 * The files of a packaged chart, as Helm's archive loader reads them: regular files of the tar
 * inside the gzip, the top directory (the chart's name) removed from their paths.
 */
export function unpackChartArchive(name: string, archive: Buffer): Map<string, Buffer> {
  let tar: Buffer;
  try {
    tar = gunzipSync(archive, { maxOutputLength: MAX_UNPACKED_BYTES });
  } catch (error) {
    throw new HelmError(`${name}: not a gzipped chart archive within ${MAX_UNPACKED_BYTES} bytes: ${(error as Error).message}`);
  }
  const files = new Map<string, Buffer>();
  let offset = 0;
  let longName: string | undefined;
  for (let entries = 0; offset + BLOCK <= tar.length; entries++) {
    if (entries > MAX_ENTRIES) throw new HelmError(`${name}: more than ${MAX_ENTRIES} entries`);
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156] || 48);
    const data = tar.subarray(offset + BLOCK, offset + BLOCK + size);
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') {
      longName = paxPath(data) ?? longName;
      continue;
    }
    if (type === 'L') {
      longName = data.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    const prefix = field(header, 345, 155);
    const path = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = undefined;
    if (type !== '0' && type !== '7') continue;
    const inner = path.split('/').slice(1).join('/');
    if (!inner || inner.split('/').includes('..')) continue;
    files.set(inner, Buffer.from(data));
  }
  return files;
}
