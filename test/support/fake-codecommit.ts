import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface FakeCodeCommitRepository {
  name: string;
  id: string;
  /** An empty repository has none. */
  defaultBranch?: string;
  branches: string[];
  /** Paths of every branch; their folders exist too. */
  files?: string[];
  symbolicLinks?: string[];
  subModules?: string[];
  tags?: Record<string, string>;
}

export interface FakeAwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** One request the fake accepted (its signature verified). */
export interface FakeAwsCall {
  operation: string;
  accessKeyId: string;
  sessionToken?: string;
}

export interface FakeCodeCommitBehaviour {
  /** How many of the next CodeCommit/Tagging requests are throttled, and how. */
  throttle?: number;
  throttleAs?: 'ThrottlingException' | '429' | '503';
  /** Answers ListRepositories with this many bytes of JSON. */
  oversizedBytes?: number;
}

const ACCOUNT = '111111111111';
const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const rfc3986 = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * A SigV4 check written apart from Regatta's signer, from the request as it arrived: the canonical
 * request is rebuilt from the method, path, query, the headers the client says it signed and the
 * body's hash, and signed again with the secret the fake knows for the access key.
 */
function verifySignature(
  req: IncomingMessage,
  body: Buffer,
  secretFor: (accessKeyId: string) => { secret: string; sessionToken?: string } | undefined,
  region: string,
): { ok: true; accessKeyId: string; service: string; sessionToken?: string } | { ok: false; code: string; message: string } {
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
    req.headers.authorization ?? '',
  );
  if (!match) return { ok: false, code: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  const [, accessKeyId, day, scopeRegion, service, signedHeaders, signature] = match;
  const known = secretFor(accessKeyId);
  if (!known) return { ok: false, code: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  const names = signedHeaders.split(';');
  const date = String(req.headers['x-amz-date'] ?? '');
  if (!names.includes('host') || !names.includes('x-amz-date') || !date.startsWith(day) || scopeRegion !== region) {
    return { ok: false, code: 'IncompleteSignatureException', message: 'The request signature is incomplete.' };
  }
  const signedAt = Date.parse(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`);
  if (!(Math.abs(Date.now() - signedAt) < 5 * 60_000)) return { ok: false, code: 'InvalidSignatureException', message: 'Signature expired.' };
  if (known.sessionToken !== undefined && (req.headers['x-amz-security-token'] !== known.sessionToken || !names.includes('x-amz-security-token'))) {
    return { ok: false, code: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  }
  const url = new URL(req.url ?? '/', 'http://fake');
  const query = [...url.searchParams]
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
    .sort()
    .join('&');
  const headerLines = names
    .map(
      (name) =>
        `${name}:${String(req.headers[name] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const canonical = [req.method, url.pathname, query, headerLines, signedHeaders, sha256Hex(body)].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', date, `${day}/${scopeRegion}/${service}/aws4_request`, sha256Hex(canonical)].join('\n');
  let key: Buffer = hmac(`AWS4${known.secret}`, day);
  for (const part of [scopeRegion, service, 'aws4_request']) key = hmac(key, part);
  const expected = hmac(key, stringToSign);
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
    return {
      ok: false,
      code: 'InvalidSignatureException',
      message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    };
  }
  return { ok: true, accessKeyId, service, sessionToken: known.sessionToken };
}

/** Pages of `pageSize` items; the token is the next item's index, opaque to clients. */
function page<T>(items: T[], token: unknown, pageSize: number): { items: T[]; next?: string } {
  const start = typeof token === 'string' && token !== '' ? Number(Buffer.from(token, 'base64url').toString()) : 0;
  const end = start + pageSize;
  return { items: items.slice(start, end), next: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined };
}

/**
 * CodeCommit's, the Resource Groups Tagging API's and STS's APIs on one HTTP server on 127.0.0.1,
 * each request's SigV4 signature verified (403 InvalidSignatureException for a wrong secret, as AWS
 * answers), listings paged by token `pageSize` items at a time, and AssumeRole issuing temporary
 * credentials that later calls must be signed with, session token included.
 */
export class FakeCodeCommit {
  readonly calls: FakeAwsCall[] = [];
  behaviour: FakeCodeCommitBehaviour = {};
  /** Temporary credentials issued by AssumeRole: access key → secret and session token. */
  private readonly issued = new Map<string, { secret: string; sessionToken: string; role: string }>();

  private constructor(
    private readonly server: Server,
    readonly base: string,
    private readonly options: {
      region: string;
      credentials: FakeAwsCredentials;
      repositories: FakeCodeCommitRepository[];
      roles: string[];
      pageSize: number;
      webIdentityToken?: string;
    },
  ) {}

  static async start(options: {
    region: string;
    credentials: FakeAwsCredentials;
    repositories: FakeCodeCommitRepository[];
    /** Role ARNs AssumeRole and AssumeRoleWithWebIdentity accept. */
    roles?: string[];
    pageSize?: number;
    /** The OIDC token AssumeRoleWithWebIdentity accepts (an EKS service account's). */
    webIdentityToken?: string;
  }): Promise<FakeCodeCommit> {
    const holder: { fake?: FakeCodeCommit } = {};
    const server = createServer((req, res) => holder.fake!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    holder.fake = new FakeCodeCommit(server, `http://127.0.0.1:${port}`, { roles: [], pageSize: 2, ...options });
    return holder.fake;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The access keys the temporary credentials were issued as, in order. */
  get issuedAccessKeys(): string[] {
    return [...this.issued.keys()];
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => this.answer(req, Buffer.concat(chunks), res));
  }

  private secretFor(accessKeyId: string): { secret: string; sessionToken?: string } | undefined {
    if (accessKeyId === this.options.credentials.accessKeyId) return { secret: this.options.credentials.secretAccessKey };
    const issued = this.issued.get(accessKeyId);
    return issued && { secret: issued.secret, sessionToken: issued.sessionToken };
  }

  private answer(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const target = String(req.headers['x-amz-target'] ?? '');
    const isSts = target === '';
    const json = (status: number, answer: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(answer));
    };
    const jsonError = (status: number, code: string, message: string) => json(status, { __type: code, message });
    const xmlError = (status: number, code: string, message: string) => {
      res.writeHead(status, { 'content-type': 'text/xml' });
      res.end(`<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>fake</RequestId></ErrorResponse>`);
    };
    const fail = isSts ? xmlError : jsonError;
    if (req.method !== 'POST' || req.url !== '/') return fail(404, 'UnknownOperationException', 'not found');
    // AssumeRoleWithWebIdentity is the one call made unsigned: the web identity token is the proof.
    if (isSts && req.headers.authorization === undefined && new URLSearchParams(body.toString()).get('Action') === 'AssumeRoleWithWebIdentity') {
      this.calls.push({ operation: 'AssumeRoleWithWebIdentity', accessKeyId: '' });
      return this.sts(body, res, xmlError);
    }
    const verified = verifySignature(req, body, (key) => this.secretFor(key), this.options.region);
    if (!verified.ok) return fail(403, verified.code, verified.message);
    const [prefix, operation] = isSts ? ['STS', new URLSearchParams(body.toString()).get('Action') ?? ''] : target.split('.');
    const expectedService = { STS: 'sts', CodeCommit_20150413: 'codecommit', ResourceGroupsTaggingAPI_20170126: 'tagging' }[prefix];
    if (verified.service !== expectedService)
      return fail(403, 'InvalidSignatureException', `Credential should be scoped to correct service: '${expectedService}'.`);
    this.calls.push({ operation, accessKeyId: verified.accessKeyId, sessionToken: verified.sessionToken });
    if (isSts) return this.sts(body, res, xmlError);
    if (this.behaviour.throttle) {
      this.behaviour.throttle--;
      if (this.behaviour.throttleAs === '429') return jsonError(429, 'TooManyRequestsException', 'Too Many Requests');
      if (this.behaviour.throttleAs === '503') return jsonError(503, 'ServiceUnavailableException', 'Service unavailable');
      return jsonError(400, 'ThrottlingException', 'Rate exceeded');
    }
    if (req.headers['content-type'] !== 'application/x-amz-json-1.1') return jsonError(400, 'SerializationException', 'wrong content type');
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body.toString()) as Record<string, unknown>;
    } catch {
      return jsonError(400, 'SerializationException', 'not JSON');
    }
    const { region, pageSize, repositories } = this.options;
    const repo = repositories.find((r) => r.name === input.repositoryName);
    const arn = (r: FakeCodeCommitRepository) => `arn:aws:codecommit:${region}:${ACCOUNT}:${r.name}`;
    const noRepo = () => jsonError(400, 'RepositoryDoesNotExistException', `${String(input.repositoryName)} does not exist`);
    switch (`${prefix}.${operation}`) {
      case 'CodeCommit_20150413.ListRepositories': {
        if (this.behaviour.oversizedBytes) return json(200, { repositories: [], padding: 'x'.repeat(this.behaviour.oversizedBytes) });
        const { items, next } = page(repositories, input.nextToken, pageSize);
        return json(200, { repositories: items.map((r) => ({ repositoryName: r.name, repositoryId: r.id })), nextToken: next });
      }
      case 'CodeCommit_20150413.GetRepository':
        if (!repo) return noRepo();
        return json(200, {
          repositoryMetadata: {
            accountId: ACCOUNT,
            repositoryId: repo.id,
            repositoryName: repo.name,
            defaultBranch: repo.defaultBranch,
            cloneUrlHttp: `https://git-codecommit.${region}.amazonaws.com/v1/repos/${repo.name}`,
            cloneUrlSsh: `ssh://git-codecommit.${region}.amazonaws.com/v1/repos/${repo.name}`,
            Arn: arn(repo),
          },
        });
      case 'CodeCommit_20150413.ListBranches': {
        if (!repo) return noRepo();
        const { items, next } = page(repo.branches, input.nextToken, pageSize);
        return json(200, { branches: items, nextToken: next });
      }
      case 'CodeCommit_20150413.GetFolder': {
        if (!repo) return noRepo();
        if (!repo.branches.includes(String(input.commitSpecifier))) return jsonError(400, 'CommitDoesNotExistException', 'no such commit');
        const folder = String(input.folderPath);
        if (!folder.startsWith('/')) return jsonError(400, 'InvalidPathException', 'the path must be absolute');
        const prefixOf = folder === '/' ? '/' : `${folder}/`;
        const under = (paths: string[] = []) => paths.map((p) => `/${p}`).filter((p) => p.startsWith(prefixOf));
        const direct = (paths: string[]) =>
          paths.filter((p) => !p.slice(prefixOf.length).includes('/')).map((p) => ({ absolutePath: p, relativePath: p.slice(prefixOf.length) }));
        const all = [...under(repo.files), ...under(repo.symbolicLinks), ...under(repo.subModules)];
        if (folder !== '/' && all.length === 0) return jsonError(400, 'FolderDoesNotExistException', `${folder} does not exist`);
        const subFolders = [...new Set(all.filter((p) => p.slice(prefixOf.length).includes('/')).map((p) => p.slice(prefixOf.length).split('/')[0]))];
        return json(200, {
          folderPath: folder,
          files: direct(under(repo.files)),
          symbolicLinks: direct(under(repo.symbolicLinks)),
          subModules: direct(under(repo.subModules)),
          subFolders: subFolders.map((name) => ({ absolutePath: `${prefixOf}${name}`, relativePath: name })),
        });
      }
      case 'ResourceGroupsTaggingAPI_20170126.GetResources': {
        const types = input.ResourceTypeFilters;
        if (!Array.isArray(types) || !types.includes('codecommit:repository'))
          return jsonError(400, 'InvalidParameterException', 'expected codecommit:repository');
        const filters = (Array.isArray(input.TagFilters) ? input.TagFilters : []) as { Key: string; Values?: string[] }[];
        const tagged = repositories.filter((r) =>
          filters.every((f) => r.tags?.[f.Key] !== undefined && (!f.Values || f.Values.length === 0 || f.Values.includes(r.tags[f.Key]))),
        );
        const { items, next } = page(tagged, input.PaginationToken, pageSize);
        return json(200, {
          ResourceTagMappingList: items.map((r) => ({ ResourceARN: arn(r), Tags: Object.entries(r.tags ?? {}).map(([Key, Value]) => ({ Key, Value })) })),
          PaginationToken: next ?? '',
        });
      }
      default:
        return jsonError(400, 'UnknownOperationException', `unknown operation ${target}`);
    }
  }

  private sts(body: Buffer, res: ServerResponse, xmlError: (status: number, code: string, message: string) => void): void {
    const form = new URLSearchParams(body.toString());
    const action = form.get('Action') ?? '';
    if (!['AssumeRole', 'AssumeRoleWithWebIdentity'].includes(action) || form.get('Version') !== '2011-06-15')
      return xmlError(400, 'InvalidAction', 'unknown action');
    const role = form.get('RoleArn') ?? '';
    if (!this.options.roles.includes(role) || !form.get('RoleSessionName'))
      return xmlError(403, 'AccessDenied', `not authorized to perform sts:${action} on ${role}`);
    if (action === 'AssumeRoleWithWebIdentity' && (!this.options.webIdentityToken || form.get('WebIdentityToken') !== this.options.webIdentityToken))
      return xmlError(400, 'InvalidIdentityToken', "Couldn't retrieve verification key from your identity provider");
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const secret = randomBytes(20).toString('base64');
    const sessionToken = randomBytes(48).toString('base64');
    this.issued.set(accessKeyId, { secret, sessionToken, role });
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(
      `<${action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><${action}Result><AssumedRoleUser><Arn>${role}/${form.get('RoleSessionName')}</Arn></AssumedRoleUser>` +
        `<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>${secret}</SecretAccessKey><SessionToken>${sessionToken}</SessionToken>` +
        `<Expiration>${new Date(Date.now() + 3600_000).toISOString()}</Expiration></Credentials></${action}Result></${action}Response>`,
    );
  }
}
