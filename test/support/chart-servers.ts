import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A chart packed as `helm package` packs it: a gzipped tar whose top directory is the chart's name. */
export function packChart(name: string, files: Record<string, string>): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'regatta-chart-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name, path)), { recursive: true });
      writeFileSync(join(dir, name, path), text);
    }
    execFileSync('tar', ['-czf', join(dir, 'chart.tgz'), '-C', dir, name]);
    return readFileSync(join(dir, 'chart.tgz'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A simple chart whose one ConfigMap shows the chart's version, the release and a value. */
export function configMapChart(name: string, version: string, extra: Record<string, string> = {}): Buffer {
  return packChart(name, {
    'Chart.yaml': `apiVersion: v2\nname: ${name}\nversion: ${version}\n`,
    'values.yaml': 'colour: blue\n',
    'templates/config.yaml': [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: {{ .Release.Name }}-{{ .Chart.Name }}',
      'data:',
      '  version: {{ .Chart.Version | quote }}',
      '  colour: {{ .Values.colour }}',
      '',
    ].join('\n'),
    ...extra,
  });
}

const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A Helm repository over HTTP on 127.0.0.1 with Basic auth: index.yaml and the charts it lists. */
export class HelmRepositoryServer {
  /** Requests by path, e.g. `/charts/index.yaml`. */
  readonly requests: string[] = [];
  private readonly charts = new Map<string, { name: string; version: string; archive: Buffer; url: string }>();

  private constructor(
    private readonly server: Server,
    readonly host: string,
    private readonly username: string,
    private readonly password: string,
    private readonly scheme: string,
  ) {}

  /**
   * With `tls`, the repository serves HTTPS with that certificate and wants a client certificate
   * the same CA signed, as a repository behind mutual TLS does.
   */
  static async start(username: string, password: string, tls?: { caPem: string; certPem: string; keyPem: string }): Promise<HelmRepositoryServer> {
    const handler = (req: IncomingMessage, res: ServerResponse) => self.handle(req, res);
    const server = tls
      ? createTlsServer({ key: tls.keyPem, cert: tls.certPem, ca: tls.caPem, requestCert: true, rejectUnauthorized: true }, handler)
      : createServer(handler);
    const self = new HelmRepositoryServer(server, await listen(server), username, password, tls ? 'https' : 'http');
    return self;
  }

  /** The repository's URL (its index is at `<url>/index.yaml`). */
  get url(): string {
    return `${this.scheme}://${this.host}/charts`;
  }

  /** Lists a chart version in index.yaml; its URL relative to the repository, or absolute (under another path) when asked. */
  publish(name: string, version: string, archive: Buffer, absolute = false): void {
    const file = `${name}-${version}.tgz`;
    this.charts.set(`${name}@${version}`, { name, version, archive, url: absolute ? `${this.scheme}://${this.host}/downloads/${file}` : file });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    this.requests.push(path);
    if (req.headers.authorization !== basic(this.username, this.password)) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="charts"' }).end();
      return;
    }
    if (path === '/charts/index.yaml') {
      res.writeHead(200, { 'Content-Type': 'application/x-yaml' }).end(this.index());
      return;
    }
    for (const chart of this.charts.values()) {
      const file = `${chart.name}-${chart.version}.tgz`;
      if (path === `/charts/${file}` || path === `/downloads/${file}`) {
        res.writeHead(200, { 'Content-Type': 'application/gzip' }).end(chart.archive);
        return;
      }
    }
    res.writeHead(404).end();
  }

  private index(): string {
    const lines = ['apiVersion: v1', 'entries:'];
    const names = [...new Set([...this.charts.values()].map((c) => c.name))];
    for (const name of names) {
      lines.push(`  ${name}:`);
      for (const chart of [...this.charts.values()].filter((c) => c.name === name)) {
        const digest = createHash('sha256').update(chart.archive).digest('hex');
        lines.push(`  - name: ${name}`, `    version: ${chart.version}`, `    digest: ${digest}`, `    urls:`, `    - ${chart.url}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }
}

/**
 * An OCI registry (distribution API) over HTTP on 127.0.0.1 that wants a bearer token: a request
 * without one is answered 401 with a Bearer challenge naming its token realm, which hands out the
 * token for the right Basic credentials. With `basicAuth`, it challenges for Basic credentials
 * on every request instead, as a registry without a token service does.
 */
export class OciRegistryServer {
  readonly requests: string[] = [];
  private readonly manifests = new Map<string, Buffer>();
  private readonly blobs = new Map<string, Buffer>();
  private readonly tags = new Map<string, string[]>();

  private constructor(
    private readonly server: Server,
    readonly host: string,
    private readonly username: string,
    private readonly password: string,
    readonly token: string,
    private readonly basicAuth: boolean,
  ) {}

  static async start(username: string, password: string, token: string, basicAuth = false): Promise<OciRegistryServer> {
    const server = createServer((req, res) => self.handle(req, res));
    const self = new OciRegistryServer(server, await listen(server), username, password, token, basicAuth);
    return self;
  }

  /**
   * Pushes a chart as `helm push` does: a manifest whose layer of the Helm chart media type is
   * the archive. With `corrupt`, the blob served under the layer's digest is another content.
   */
  push(repository: string, version: string, archive: Buffer, corrupt = false): void {
    const digest = `sha256:${createHash('sha256').update(archive).digest('hex')}`;
    this.blobs.set(`${repository}@${digest}`, corrupt ? Buffer.concat([archive, Buffer.from('tampered')]) : archive);
    const config = Buffer.from('{}');
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: `sha256:${createHash('sha256').update(config).digest('hex')}`, size: 2 },
      layers: [{ mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest, size: archive.length }],
    };
    const tag = version.replace(/\+/g, '_');
    this.manifests.set(`${repository}:${tag}`, Buffer.from(JSON.stringify(manifest)));
    this.tags.set(repository, [...(this.tags.get(repository) ?? []), tag]);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push(url.pathname);
    if (url.pathname === '/token') {
      if (req.headers.authorization !== basic(this.username, this.password)) {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: this.token, expires_in: 300 }));
      return;
    }
    const match = /^\/v2\/(.+)\/(manifests|blobs|tags)\/(.+)$/.exec(url.pathname);
    if (this.basicAuth && req.headers.authorization !== basic(this.username, this.password)) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="registry"' }).end();
      return;
    }
    if (!this.basicAuth && req.headers.authorization !== `Bearer ${this.token}`) {
      const scope = match ? `repository:${match[1]}:pull` : '';
      res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://${this.host}/token",service="${this.host}",scope="${scope}"` }).end();
      return;
    }
    if (!match) {
      res.writeHead(404).end();
      return;
    }
    const [, repository, kind, reference] = match;
    if (kind === 'tags' && reference === 'list') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ name: repository, tags: this.tags.get(repository) ?? [] }));
      return;
    }
    const found = kind === 'manifests' ? this.manifests.get(`${repository}:${reference}`) : this.blobs.get(`${repository}@${reference}`);
    if (!found) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': kind === 'manifests' ? 'application/vnd.oci.image.manifest.v1+json' : 'application/octet-stream' }).end(found);
  }
}
