import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';

export interface GitHttpServerOptions {
  /** Serve HTTPS with this certificate (e.g. from generateSimTls) instead of plain HTTP. */
  tls?: { keyPem: string; certPem: string };
  /** Listen on this port instead of an ephemeral one (rejects when it is taken). */
  port?: number;
}

/** One request as the server saw it; `authorization` is the header's value, when one was sent. */
export interface RecordedRequest {
  path: string;
  authorized: boolean;
  authorization?: string;
}

/**
 * A git smart-HTTP server on 127.0.0.1 (git http-backend behind Node's HTTP server) that
 * requires Basic authentication, as a private Git host does, and records every request.
 */
export class GitHttpServer {
  readonly requests: RecordedRequest[] = [];

  private constructor(
    private readonly server: Server | TlsServer,
    readonly base: string,
    readonly port: number,
  ) {}

  static async start(projectRoot: string, username: string, password: string, options: GitHttpServerOptions = {}): Promise<GitHttpServer> {
    const expected = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    const holder: { server?: GitHttpServer } = {};
    const handle = (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', 'http://git');
      const authorized = req.headers.authorization === expected;
      holder.server!.requests.push({ path: url.pathname, authorized, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
      if (!authorized) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' });
        res.end();
        return;
      }
      const cgi = spawn('git', ['http-backend'], {
        env: {
          ...process.env,
          GIT_PROJECT_ROOT: projectRoot,
          GIT_HTTP_EXPORT_ALL: '1',
          PATH_INFO: url.pathname,
          QUERY_STRING: url.search.replace(/^\?/, ''),
          REQUEST_METHOD: req.method ?? 'GET',
          CONTENT_TYPE: req.headers['content-type'] ?? '',
          REMOTE_USER: username,
          GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        },
      });
      req.pipe(cgi.stdin);
      const chunks: Buffer[] = [];
      cgi.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
      cgi.on('close', () => {
        const output = Buffer.concat(chunks);
        const split = output.indexOf('\r\n\r\n');
        const head = output.subarray(0, split).toString('utf8');
        const headers: Record<string, string> = {};
        let status = 200;
        for (const line of head.split('\r\n')) {
          const [name, ...rest] = line.split(':');
          const value = rest.join(':').trim();
          if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
          else if (name) headers[name] = value;
        }
        res.writeHead(status, headers);
        res.end(output.subarray(split + 4));
      });
    };
    const server = options.tls ? createTlsServer({ key: options.tls.keyPem, cert: options.tls.certPem }, handle) : createServer(handle);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as { port: number };
    holder.server = new GitHttpServer(server, `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`, port);
    return holder.server;
  }

  /** Requests that carried these credentials (or, without arguments, any Authorization header). */
  credentialedRequests(username?: string, password?: string): RecordedRequest[] {
    const header = username === undefined ? undefined : `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`;
    return this.requests.filter((r) => (header === undefined ? r.authorization !== undefined : r.authorization === header));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
