import path from 'node:path';
import type { FuncMap } from '../func-map.js';
import { parseSemver, semverCompare } from '../semver.js';
import type { GoValue } from '../value.js';
import { asDict, asString, strval } from './arguments.js';

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
      fragment: url.hash.replace(/^#/, ''),
      userinfo: url.username ? `${url.username}${url.password ? `:${url.password}` : ''}` : '',
    };
  },
  urlJoin: (parts: GoValue) => {
    const d = asDict(parts);
    const scheme = strval(d.scheme);
    const query = strval(d.query);
    const fragment = strval(d.fragment);
    const user = strval(d.userinfo);
    return `${scheme ? `${scheme}:` : ''}${d.host ? `//${user ? `${user}@` : ''}${strval(d.host)}` : ''}${strval(d.path)}${query ? `?${query}` : ''}${fragment ? `#${fragment}` : ''}`;
  },

  // Semantic versions
  semver: (s: GoValue) => parseSemver(asString(s)),
  semverCompare: (constraint: GoValue, version: GoValue) => semverCompare(asString(constraint), asString(version)),
};
