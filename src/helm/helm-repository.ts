import { parseKubeYaml } from '../api/kube-yaml.js';
import { isPlainObject } from '../lib/json-values.js';
import { HelmError } from './helm-error.js';
import { basicAuthorization, registryGet, type RegistryTransport } from './registry-http.js';

/** One chart version an index.yaml lists: where its archive is (URLs as written, maybe relative to the repository). */
export interface IndexEntry {
  version: string;
  urls: string[];
}

/** A Helm repository's index.yaml: chart name → its versions. */
export type RepositoryIndex = ReadonlyMap<string, IndexEntry[]>;

export interface HelmRepositoryConnection {
  repoURL: string;
  username?: string;
  password?: string;
  transport: RegistryTransport;
  timeoutMs: number;
}

/** `<repoURL>/index.yaml`, the repository URL's path joined with the file name as Argo CD joins it. */
export function indexURL(repoURL: string): string {
  const url = new URL(repoURL);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/index.yaml`;
  return url.toString();
}

/** The repository URL as errors name it: never with credentials. */
export function withoutCredentials(repoURL: string): string {
  try {
    const url = new URL(repoURL);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return repoURL.replace(/\/\/[^/@]*@/, '//');
  }
}

/** Basic credentials go to the repository's own host only, as Helm sends them unless pass-credentials is set. */
function authorization(connection: HelmRepositoryConnection, url: string): Record<string, string> {
  if (!connection.username && !connection.password) return {};
  if (new URL(url).host !== new URL(connection.repoURL).host) return {};
  return { Authorization: basicAuthorization(connection.username ?? '', connection.password ?? '') };
}

function failedStatus(what: string, status: number): HelmError {
  const reason = status === 401 || status === 403 ? ' (the repository refused the credentials, or needs some)' : '';
  return new HelmError(`${what}: the server answered ${status}${reason}`);
}

/** Reads a repository's index.yaml, bounded to `maxBytes`. */
export async function fetchRepositoryIndex(connection: HelmRepositoryConnection, maxBytes: number): Promise<RepositoryIndex> {
  const url = indexURL(connection.repoURL);
  const label = `error loading repo index ${withoutCredentials(url)}`;
  const response = await registryGet(url, {
    headers: authorization(connection, url),
    maxBytes,
    timeoutMs: connection.timeoutMs,
    transport: connection.transport,
    label,
  });
  if (response.status !== 200) throw failedStatus(label, response.status);
  let parsed: unknown;
  try {
    parsed = parseKubeYaml(response.body.toString('utf8'));
  } catch (error) {
    throw new HelmError(`error decoding index of ${withoutCredentials(connection.repoURL)}: ${(error as Error).message}`);
  }
  const entries = isPlainObject(parsed) && isPlainObject(parsed.entries) ? parsed.entries : {};
  const index = new Map<string, IndexEntry[]>();
  for (const [chart, versions] of Object.entries(entries)) {
    if (!Array.isArray(versions)) continue;
    index.set(
      chart,
      versions.filter(isPlainObject).map((v) => ({ version: String(v.version ?? ''), urls: Array.isArray(v.urls) ? v.urls.map(String) : [] })),
    );
  }
  return index;
}

/** The chart's versions in the index, or Argo CD's error when the index does not list the chart. */
export function chartVersions(index: RepositoryIndex, chart: string): string[] {
  const entries = index.get(chart);
  if (!entries) throw new HelmError(`chart '${chart}' not found in index`);
  return entries.map((e) => e.version);
}

/** Downloads one chart version's archive from the URL the index gives (resolved against the repository URL when relative). */
export async function fetchChartArchive(
  connection: HelmRepositoryConnection,
  index: RepositoryIndex,
  chart: string,
  version: string,
  maxBytes: number,
): Promise<Buffer> {
  const repository = withoutCredentials(connection.repoURL);
  const entry = index.get(chart)?.find((e) => e.version === version);
  if (!entry || entry.urls.length === 0) throw new HelmError(`chart "${chart}" version "${version}" not found in ${repository} repository`);
  let url: URL;
  try {
    url = new URL(entry.urls[0], `${connection.repoURL.replace(/\/+$/, '')}/`);
  } catch {
    throw new HelmError(`chart "${chart}" version "${version}": invalid chart URL in the index of ${repository}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new HelmError(`chart "${chart}" version "${version}": the index gives a ${url.protocol} URL`);
  const label = `failed to fetch chart ${chart}-${version} from ${repository}`;
  const response = await registryGet(url.toString(), {
    headers: authorization(connection, url.toString()),
    maxBytes,
    timeoutMs: connection.timeoutMs,
    transport: connection.transport,
    label,
  });
  if (response.status !== 200) throw failedStatus(label, response.status);
  return response.body;
}
