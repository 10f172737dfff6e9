import { createHash } from 'node:crypto';
import { isPlainObject } from '../lib/json-values.js';
import { HelmError } from './helm-error.js';
import { basicAuthorization, registryGet, type RegistryResponse, type RegistryTransport } from './registry-http.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const HELM_CHART_LAYER = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_TAG_LIST_BYTES = 8 * 1024 * 1024;
const MAX_TOKEN_BYTES = 1024 * 1024;
/** Pages of a tag listing followed at most: a registry cannot keep a refresh listing forever. */
const MAX_TAG_PAGES = 50;

export interface OciConnection {
  /** `registry.example.com/charts`, as Argo CD's repoURL for an OCI Helm repository (no scheme; `oci://` tolerated). */
  repoURL: string;
  username?: string;
  password?: string;
  /** insecureOCIForceHttp: talk plain HTTP to the registry. */
  plainHTTP: boolean;
  transport: RegistryTransport;
  timeoutMs: number;
}

/** Where a chart lives in a registry: its base URL and repository name (`charts/guestbook`). */
interface ChartReference {
  base: string;
  name: string;
  /** How errors name it: `registry.example.com/charts/guestbook`. */
  label: string;
}

function chartReference(connection: OciConnection, chart: string): ChartReference {
  const stripped = connection.repoURL.replace(/^oci:\/\//i, '').replace(/\/+$/, '');
  const slash = stripped.indexOf('/');
  const host = slash < 0 ? stripped : stripped.slice(0, slash);
  const path = slash < 0 ? '' : stripped.slice(slash + 1);
  if (!host || /[\s@\\]/.test(host)) throw new HelmError(`invalid OCI registry ${JSON.stringify(connection.repoURL)}: no registry host`);
  const name = path ? `${path}/${chart}` : chart;
  if (name.split('/').some((segment) => !segment || segment === '.' || segment === '..'))
    throw new HelmError(`invalid OCI reference ${host}/${name}: empty or relative path segment`);
  return { base: `${connection.plainHTTP ? 'http' : 'https'}://${host}`, name, label: `${host}/${name}` };
}

/** The parameters of a `WWW-Authenticate: Bearer realm="…",service="…",scope="…"` challenge. */
function bearerChallenge(header: string | undefined): Record<string, string> | undefined {
  if (!header || !/^\s*bearer\s/i.test(header)) return undefined;
  const params: Record<string, string> = {};
  for (const match of header.replace(/^\s*bearer\s+/i, '').matchAll(/([a-zA-Z_]+)\s*=\s*(?:"([^"]*)"|([^,\s]*))/g)) params[match[1].toLowerCase()] = match[2] ?? match[3];
  return params;
}

/**
 * A registry session for one chart repository: requests go without credentials until the
 * registry challenges; a Basic challenge is answered with the repository's credentials, a Bearer
 * one with a token from the realm it names (fetched with those credentials), reused for the session.
 */
class RegistrySession {
  private authorization?: string;

  constructor(
    private readonly connection: OciConnection,
    private readonly reference: ChartReference,
  ) {}

  async get(path: string, accept: string | undefined, maxBytes: number, what: string): Promise<RegistryResponse> {
    const url = path.startsWith('http') ? path : `${this.reference.base}${path}`;
    const send = () =>
      registryGet(url, {
        headers: { ...(accept ? { Accept: accept } : {}), ...(this.authorization ? { Authorization: this.authorization } : {}) },
        maxBytes,
        timeoutMs: this.connection.timeoutMs,
        transport: this.connection.transport,
        label: `${what} ${this.reference.label}`,
      });
    let response = await send();
    if (response.status === 401 && !this.authorization) {
      this.authorization = await this.answerChallenge(response);
      if (this.authorization) response = await send();
    }
    if (response.status === 401 || response.status === 403)
      throw new HelmError(`${what} ${this.reference.label}: the registry answered ${response.status} (it refused the credentials, or needs some)`);
    return response;
  }

  private async answerChallenge(response: RegistryResponse): Promise<string | undefined> {
    const header = response.headers['www-authenticate'];
    const challenge = bearerChallenge(Array.isArray(header) ? header[0] : header);
    const { username = '', password = '' } = this.connection;
    if (!challenge) return username || password ? basicAuthorization(username, password) : undefined;
    if (!challenge.realm) throw new HelmError(`${this.reference.label}: the registry's Bearer challenge names no realm`);
    let realm: URL;
    try {
      realm = new URL(challenge.realm);
    } catch {
      throw new HelmError(`${this.reference.label}: the registry's token realm is not a URL`);
    }
    if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && this.connection.plainHTTP))
      throw new HelmError(`${this.reference.label}: the registry's token realm is not https`);
    if (challenge.service) realm.searchParams.set('service', challenge.service);
    realm.searchParams.set('scope', challenge.scope || `repository:${this.reference.name}:pull`);
    const answer = await registryGet(realm.toString(), {
      headers: username || password ? { Authorization: basicAuthorization(username, password) } : {},
      maxBytes: MAX_TOKEN_BYTES,
      timeoutMs: this.connection.timeoutMs,
      transport: this.connection.transport,
      label: `token for ${this.reference.label}`,
    });
    if (answer.status !== 200)
      throw new HelmError(`token for ${this.reference.label}: the token service answered ${answer.status} (it refused the credentials, or needs some)`);
    let token: unknown;
    try {
      const body: unknown = JSON.parse(answer.body.toString('utf8'));
      token = isPlainObject(body) ? (body.token ?? body.access_token) : undefined;
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string' || !token) throw new HelmError(`token for ${this.reference.label}: the token service's answer holds no token`);
    return `Bearer ${token}`;
  }
}

/** Helm stores a chart version's `+` as `_` in its OCI tag (tags may not hold `+`). */
const tagOf = (version: string) => version.replace(/\+/g, '_');
const versionOf = (tag: string) => tag.replace(/_/g, '+');

/** The next page a tag listing's `Link: <…>; rel="next"` header names. */
function nextPage(link: string | string[] | undefined): string | undefined {
  const text = Array.isArray(link) ? link.join(',') : link;
  return text ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(text)?.[1] : undefined;
}

/** The chart's versions: the repository's tags (`/v2/<name>/tags/list`, every page), `_` read back as `+`. */
export async function listChartTags(connection: OciConnection, chart: string): Promise<string[]> {
  const reference = chartReference(connection, chart);
  const session = new RegistrySession(connection, reference);
  const tags: string[] = [];
  let path: string | undefined = `/v2/${reference.name}/tags/list`;
  for (let page = 0; path; page++) {
    if (page >= MAX_TAG_PAGES) throw new HelmError(`unable to get tags of ${reference.label}: more than ${MAX_TAG_PAGES} pages`);
    const response = await session.get(path, 'application/json', MAX_TAG_LIST_BYTES, 'unable to get tags of');
    if (response.status !== 200) throw new HelmError(`unable to get tags of ${reference.label}: the registry answered ${response.status}`);
    let body: unknown;
    try {
      body = JSON.parse(response.body.toString('utf8'));
    } catch {
      throw new HelmError(`unable to get tags of ${reference.label}: the answer is not JSON`);
    }
    if (isPlainObject(body) && Array.isArray(body.tags)) tags.push(...body.tags.map(String));
    const next = nextPage(response.headers.link);
    path = next && new URL(next, reference.base).origin === reference.base ? new URL(next, reference.base).toString() : undefined;
  }
  return tags.map(versionOf);
}

/**
 * A chart version's archive from the registry: the manifest of its tag, the layer holding the
 * chart, then that blob, refused unless its sha256 is the digest the manifest gives.
 */
export async function pullChartArchive(connection: OciConnection, chart: string, version: string, maxBytes: number): Promise<Buffer> {
  const reference = chartReference(connection, chart);
  const session = new RegistrySession(connection, reference);
  const what = `failed to pull ${version} of`;
  const manifestResponse = await session.get(`/v2/${reference.name}/manifests/${encodeURIComponent(tagOf(version))}`, OCI_MANIFEST, MAX_MANIFEST_BYTES, what);
  if (manifestResponse.status === 404) throw new HelmError(`${reference.label}:${version}: not found`);
  if (manifestResponse.status !== 200) throw new HelmError(`${reference.label}:${version}: the registry answered ${manifestResponse.status}`);
  let manifest: unknown;
  try {
    manifest = JSON.parse(manifestResponse.body.toString('utf8'));
  } catch {
    throw new HelmError(`${reference.label}:${version}: the manifest is not JSON`);
  }
  const layers = isPlainObject(manifest) && Array.isArray(manifest.layers) ? manifest.layers.filter(isPlainObject) : [];
  const layer = layers.find((l) => l.mediaType === HELM_CHART_LAYER);
  if (!layer) throw new HelmError(`${reference.label}:${version}: the manifest has no layer of type ${HELM_CHART_LAYER}: not a Helm chart`);
  const digest = String(layer.digest ?? '');
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new HelmError(`${reference.label}:${version}: the chart layer's digest ${JSON.stringify(digest)} is not a sha256 digest`);
  if (typeof layer.size === 'number' && layer.size > maxBytes)
    throw new HelmError(`${reference.label}:${version}: the chart is ${layer.size} bytes, more than the ${maxBytes} allowed`);
  const blob = await session.get(`/v2/${reference.name}/blobs/${digest}`, undefined, maxBytes, what);
  if (blob.status !== 200) throw new HelmError(`${reference.label}:${version}: fetching the chart layer: the registry answered ${blob.status}`);
  const actual = `sha256:${createHash('sha256').update(blob.body).digest('hex')}`;
  if (actual !== digest) throw new HelmError(`${reference.label}:${version}: the chart layer's content does not match its digest ${digest} (got ${actual})`);
  return blob.body;
}
