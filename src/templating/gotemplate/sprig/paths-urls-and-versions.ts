import path from 'node:path';
import { goQuote } from '../fmt.js';
import type { FuncMap } from '../func-map.js';
import { parseSemver, semverCompare } from '../semver.js';
import type { GoValue } from '../value.js';
import { asDict, asString, NIL_LIST_PANIC } from './arguments.js';
import { goKind } from './conversion-and-reflection.js';

type EscapeMode = 'path' | 'host' | 'userinfo' | 'fragment';

/** net/url's shouldEscape for the modes URL.String uses. */
function shouldEscape(byte: number, mode: EscapeMode): boolean {
  const c = String.fromCharCode(byte);
  if (/[A-Za-z0-9]/.test(c)) return false;
  if (mode === 'host' && `!$&'()*+,;=:[]<>"`.includes(c)) return false;
  if ('-_.~'.includes(c)) return false;
  if ('$&+,/:;=?@'.includes(c)) {
    if (mode === 'path') return c === '?';
    if (mode === 'userinfo') return '@/?:'.includes(c);
    if (mode === 'fragment') return false;
  }
  if (mode === 'fragment' && '!()*'.includes(c)) return false;
  return true;
}

function urlEscape(bytes: Buffer, mode: EscapeMode): string {
  let out = '';
  for (const byte of bytes) out += shouldEscape(byte, mode) ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte);
  return out;
}

/** net/url's unescape of userinfo: %XX to its byte; a malformed escape is an error. */
function unescapeUserinfo(text: string): Buffer {
  const bytes: number[] = [];
  const raw = Buffer.from(text, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== 0x25) {
      bytes.push(raw[i]);
      continue;
    }
    const hex = raw.subarray(i + 1, i + 3).toString('latin1');
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new Error(`invalid URL escape ${goQuote(raw.subarray(i, i + 3).toString('latin1'))}`);
    bytes.push(parseInt(hex, 16));
    i += 2;
  }
  return Buffer.from(bytes);
}

/** What url.Parse("proto://" + userinfo + "@host") makes of the userinfo, as sprig's urlJoin reads it. */
function parseUserinfo(userinfo: string): { username: Buffer; password?: Buffer } | null {
  const raw = `proto://${userinfo}@host`;
  const fail = (reason: string) => new Error(`unable to parse userinfo in dict: parse ${goQuote(raw)}: ${reason}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001F\u007F]/.test(raw)) throw fail('net/url: invalid control character in URL');
  const authority = raw.slice('proto://'.length).split('#')[0].split('?')[0].split('/')[0];
  const at = authority.lastIndexOf('@');
  if (at < 0) return null;
  const info = authority.slice(0, at);
  if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(info)) throw fail('net/url: invalid userinfo');
  const colon = info.indexOf(':');
  try {
    if (colon < 0) return { username: unescapeUserinfo(info) };
    return { username: unescapeUserinfo(info.slice(0, colon)), password: unescapeUserinfo(info.slice(colon + 1)) };
  } catch (error) {
    throw fail((error as Error).message);
  }
}

/** Sprig's dictGetOrEmpty: a missing key is "", anything but a string is an error. */
function urlPart(d: Record<string, unknown>, key: string): string {
  const value = d[key];
  if (value === undefined) return '';
  if (value === null) throw new Error(NIL_LIST_PANIC);
  if (typeof value !== 'string') throw new Error(`unable to parse ${key} key, must be of type string, but ${goKind(value)} found`);
  return value;
}

/** Sprig's urlJoin: a net/url URL from the dict's parts, printed by URL.String with its escaping. */
function urlJoin(d: Record<string, unknown>): string {
  const [scheme, host, path, query, opaque, fragment] = ['scheme', 'host', 'path', 'query', 'opaque', 'fragment'].map((key) => urlPart(d, key));
  const userinfo = urlPart(d, 'userinfo');
  const user = userinfo ? parseUserinfo(userinfo) : null;
  let out = scheme ? `${scheme}:` : '';
  if (opaque) out += opaque;
  else {
    if (scheme || host || user) {
      if (host || path || user) out += '//';
      if (user) out += `${urlEscape(user.username, 'userinfo')}${user.password ? `:${urlEscape(user.password, 'userinfo')}` : ''}@`;
      out += urlEscape(Buffer.from(host), 'host');
    }
    const escapedPath = path === '*' ? '*' : urlEscape(Buffer.from(path), 'path');
    if (escapedPath && !escapedPath.startsWith('/') && host) out += '/';
    // A first segment with a colon would read as a scheme.
    if (!out && escapedPath.split('/')[0].includes(':')) out += './';
    out += escapedPath;
  }
  if (query) out += `?${query}`;
  if (fragment) out += `#${urlEscape(Buffer.from(fragment), 'fragment')}`;
  return out;
}

/** Sprig's path, URL and semantic version functions. */
export const pathUrlAndVersionFunctions: FuncMap = {
  // Paths (forward slashes, as Go's path package)
  base: (p: GoValue) => path.posix.basename(asString(p)) || '.',
  dir: (p: GoValue) => path.posix.dirname(asString(p)),
  clean: (p: GoValue) => path.posix.normalize(asString(p)).replace(/(.)\/$/, '$1'),
  ext: (p: GoValue) => path.posix.extname(asString(p)),
  isAbs: (p: GoValue) => path.posix.isAbsolute(asString(p)),
  osBase: (p: GoValue) => path.posix.basename(asString(p)) || '.',
  osDir: (p: GoValue) => path.posix.dirname(asString(p)),
  osClean: (p: GoValue) => path.posix.normalize(asString(p)).replace(/(.)\/$/, '$1'),
  osExt: (p: GoValue) => path.posix.extname(asString(p)),
  osIsAbs: (p: GoValue) => path.posix.isAbsolute(asString(p)),

  // URLs
  urlParse: (s: GoValue) => {
    const url = new URL(asString(s));
    return {
      scheme: url.protocol.replace(/:$/, ''),
      host: url.host,
      hostname: url.hostname,
      path: decodeURIComponent(url.pathname),
      query: url.search.replace(/^\?/, ''),
      opaque: '',
      // url.URL.Fragment is unescaped, as Path is.
      fragment: decodeURIComponent(url.hash.replace(/^#/, '')),
      userinfo: url.username ? `${url.username}${url.password ? `:${url.password}` : ''}` : '',
    };
  },
  urlJoin: (parts: GoValue) => urlJoin(asDict(parts)),

  // Semantic versions
  semver: (s: GoValue) => parseSemver(asString(s)),
  semverCompare: (constraint: GoValue, version: GoValue) => semverCompare(asString(constraint), asString(version)),
};
