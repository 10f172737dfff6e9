import { unpackChartArchive } from './chart-archive.js';
import { isExactChartVersion, resolveChartVersion } from './chart-version.js';
import { HelmError } from './helm-error.js';
import { chartVersions, fetchChartArchive, fetchRepositoryIndex, withoutCredentials, type HelmRepositoryConnection, type RepositoryIndex } from './helm-repository.js';
import { listChartTags, pullChartArchive, type OciConnection } from './oci-registry.js';
import type { RegistryTransport } from './registry-http.js';

/** How a project reaches a chart repository, from Argo CD's `type: helm` repository (or repo-creds) Secret. */
export interface ChartRepositoryAccess {
  credentials?: { username?: string; password?: string; tlsClientCertData?: string; tlsClientCertKey?: string };
  /** Namespace/name of the Secret the credentials come from: reads under the same Secret share cached indexes and charts. */
  secret?: string;
  insecure: boolean;
  /** `enableOCI`: the repository is an OCI registry. */
  enableOCI?: boolean;
  /** `insecureOCIForceHttp`: the registry speaks plain HTTP. */
  insecureOCIForceHttp?: boolean;
}

export interface ChartRepositoriesOptions {
  /** The access Argo CD would give `project` to `repoURL`; may throw for a Secret Argo CD would refuse. */
  access?: (repoURL: string, project: string) => ChartRepositoryAccess;
  /** The PEM bundle registered for a TLS server name (argocd-tls-certs-cm), if any. */
  tlsCertificates?: (serverName: string) => string | undefined;
  /** How long an index.yaml or tag list is reused before it is read again (default 60 s). */
  indexMaxAgeMs?: number;
  /** Time for one request to a repository or registry (default 60 s). */
  timeoutMs?: number;
  /** Bytes an index.yaml or a chart archive may hold (defaults 64 MiB and 16 MiB). */
  maxIndexBytes?: number;
  maxArchiveBytes?: number;
  /** Bytes of chart archives kept in memory; the least recently used beyond are dropped (default 256 MiB). */
  maxCachedBytes?: number;
}

/**
 * As Argo CD decides it: an OCI registry when the Secret says `enableOCI`, or when the repoURL
 * names no host as a URL does (`registry.example.com/charts`, no scheme); `oci://` is read as OCI too.
 */
export function isOciRepository(repoURL: string, access: Pick<ChartRepositoryAccess, 'enableOCI'>): boolean {
  if (access.enableOCI || /^oci:\/\//i.test(repoURL)) return true;
  try {
    return !new URL(repoURL).host;
  } catch {
    return true;
  }
}

interface Timed<T> {
  at?: number;
  value: Promise<T>;
}

/**
 * Helm charts from Helm repositories (index.yaml and .tgz over HTTP(S)) and OCI registries, as
 * Argo CD's repo-server pulls them. Indexes and tag lists are kept for a short time, chart archives
 * by (repository, access, chart, version) — a version's archive does not change — each read with
 * the access of the project asking, so no project reads what only another's credentials could.
 */
export class ChartRepositories {
  private readonly listings = new Map<string, Timed<RepositoryIndex | string[]>>();
  private readonly archives = new Map<string, { value: Promise<Buffer>; bytes: number }>();
  private cachedBytes = 0;

  constructor(private readonly options: ChartRepositoriesOptions = {}) {}

  /** The chart version a targetRevision names: itself when an exact version, else the highest listed version its constraint allows. */
  async resolveVersion(repoURL: string, chart: string, revision: string, project = ''): Promise<string> {
    if (!revision) throw new HelmError(`chart ${chart}: targetRevision must name a chart version or a semver constraint`);
    if (isExactChartVersion(revision)) return revision;
    const slot = this.slot(repoURL, project);
    const versions = slot.oci ? ((await this.listing(slot, chart)) as string[]) : chartVersions((await this.listing(slot, '')) as RepositoryIndex, chart);
    return resolveChartVersion(revision, versions);
  }

  /** The files of one chart version (paths from the chart's root), downloaded once and kept. */
  async chartFiles(repoURL: string, chart: string, version: string, project = ''): Promise<Map<string, Buffer>> {
    const slot = this.slot(repoURL, project);
    const key = JSON.stringify([slot.key, chart, version]);
    let entry = this.archives.get(key);
    if (entry) {
      this.archives.delete(key);
      this.archives.set(key, entry);
    } else {
      entry = { value: this.download(slot, chart, version), bytes: 0 };
      this.archives.set(key, entry);
      const stored = entry;
      entry.value.then(
        (archive) => {
          if (this.archives.get(key) !== stored) return;
          stored.bytes = archive.length;
          this.cachedBytes += archive.length;
          this.evict();
        },
        () => this.archives.get(key) === stored && this.archives.delete(key),
      );
    }
    return unpackChartArchive(`${chart}-${version}.tgz`, await entry.value);
  }

  private download(slot: Slot, chart: string, version: string): Promise<Buffer> {
    const maxBytes = this.options.maxArchiveBytes ?? 16 * 1024 * 1024;
    if (slot.oci) return pullChartArchive(slot.oci, chart, version, maxBytes);
    return this.listing(slot, '').then((index) => fetchChartArchive(slot.http!, index as RepositoryIndex, chart, version, maxBytes));
  }

  private evict(): void {
    const limit = this.options.maxCachedBytes ?? 256 * 1024 * 1024;
    for (const [key, entry] of this.archives) {
      if (this.cachedBytes <= limit) break;
      if (!entry.bytes) continue;
      this.archives.delete(key);
      this.cachedBytes -= entry.bytes;
    }
  }

  /** An HTTP repository's index (`chart` ''), or an OCI chart's tags, reused for indexMaxAgeMs; concurrent readers share one read. */
  private listing(slot: Slot, chart: string): Promise<RepositoryIndex | string[]> {
    const key = JSON.stringify([slot.key, chart]);
    const maxAge = this.options.indexMaxAgeMs ?? 60_000;
    const cached = this.listings.get(key);
    if (cached && (cached.at === undefined || Date.now() - cached.at < maxAge)) return cached.value;
    const entry: Timed<RepositoryIndex | string[]> = {
      value: slot.oci ? listChartTags(slot.oci, chart) : fetchRepositoryIndex(slot.http!, this.options.maxIndexBytes ?? 64 * 1024 * 1024),
    };
    this.listings.set(key, entry);
    entry.value.then(
      () => (entry.at = Date.now()),
      () => this.listings.get(key) === entry && this.listings.delete(key),
    );
    if (this.listings.size > 1000) this.listings.delete(this.listings.keys().next().value!);
    return entry.value;
  }

  private slot(repoURL: string, project: string): Slot {
    const access = this.options.access?.(repoURL, project) ?? { insecure: false };
    const key = JSON.stringify([repoURL, access.secret ?? '', access.insecure, Boolean(access.enableOCI), Boolean(access.insecureOCIForceHttp)]);
    const { username, password, tlsClientCertData, tlsClientCertKey } = access.credentials ?? {};
    const timeoutMs = this.options.timeoutMs ?? 60_000;
    const transport = (host: string): RegistryTransport => ({
      insecure: access.insecure,
      ca: this.options.tlsCertificates?.(host.replace(/:\d+$/, '')),
      clientCert: tlsClientCertData,
      clientKey: tlsClientCertKey,
    });
    if (isOciRepository(repoURL, access)) {
      const host = repoURL.replace(/^oci:\/\//i, '').split('/')[0];
      return { key, oci: { repoURL, username, password, plainHTTP: Boolean(access.insecureOCIForceHttp), transport: transport(host), timeoutMs } };
    }
    const url = new URL(repoURL);
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new HelmError(`Helm repository ${withoutCredentials(repoURL)}: only http(s) repositories and OCI registries hold charts`);
    // Credentials in the URL itself are used as the repository's when its Secret gives none.
    const http: HelmRepositoryConnection = {
      repoURL: withoutCredentials(repoURL),
      username: username ?? (url.username ? decodeURIComponent(url.username) : undefined),
      password: password ?? (url.password ? decodeURIComponent(url.password) : undefined),
      transport: transport(url.host),
      timeoutMs,
    };
    return { key, http };
  }
}

interface Slot {
  key: string;
  oci?: OciConnection;
  http?: HelmRepositoryConnection;
}
