import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';

/**
 * A git smart-HTTP server on 127.0.0.1 (git http-backend behind Node's HTTP server) that
 * requires Basic authentication, as a private Git host does.
 */
export class GitHttpServer {
  readonly requests: { path: string; authorized: boolean }[] = [];

  private constructor(
    private readonly server: Server,
    readonly base: string,
  ) {}

  static async start(projectRoot: string, username: string, password: string): Promise<GitHttpServer> {
    const expected = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    const holder: { server?: GitHttpServer } = {};
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://git');
      const authorized = req.headers.authorization === expected;
      holder.server!.requests.push({ path: url.pathname, authorized });
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
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    holder.server = new GitHttpServer(server, `http://127.0.0.1:${port}`);
    return holder.server;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
