import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { parseKubeYaml } from '../api/kube-yaml.js';
import {
  SELF_SUBJECT_ACCESS_REVIEWS_PATH,
  SELF_SUBJECT_RULES_REVIEWS_PATH,
  selfSubjectAccessReview,
  selfSubjectRulesReview,
  SUBJECT_ACCESS_REVIEWS_PATH,
  subjectAccessReview,
  TOKEN_REVIEWS_PATH,
  tokenReview,
} from './access-reviews.js';
import { ApiError } from './api-error.js';
import { isProtobufBody, negotiateResponse, unsupportedBody } from './content-negotiation.js';
import { writeAnnotations, type ClusterStore, type WatchEvent } from './cluster-store.js';
import { groupList, resourceList } from './discovery.js';
import { enforceSchema, parseFieldValidation } from './field-validation.js';
import { sendOpenApi } from './openapi-routes.js';
import { kindSchema } from './openapi-schemas.js';
import type { ClusterCounters, SimCluster } from './sim-cluster.js';
import { impersonatedUser, requireAllowed } from './impersonation.js';
import { jsonPatch, mergePatch, strategicMergePatch } from './patches.js';
import type { AccessAttributes, AccessUser } from './rbac-authorizer.js';
import { apiVersionOf, type ResourceType } from './resource-types.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.js';
import type { SimTls } from './sim-tls.js';
import { decodeProtobufObject, encodeProtobufObject, encodeWatchFrame, ProtobufError, protobufMessageOf, PROTOBUF_MEDIA_TYPE } from './protobuf-codec.js';

type Obj = Record<string, any>;

const random = () => Math.random();

interface Listener {
  port: number;
  server?: Server;
  sockets: Set<Socket>;
  /** The one cluster a cluster's own port serves. */
  cluster?: string;
}

/**
 * One HTTP server on 127.0.0.1 hosting many clusters under `/clusters/NAME` (and, for a fleet
 * with separate ports, a port per cluster), speaking the Kubernetes REST protocol: discovery,
 * CRUD, the status subresource, merge/JSON/strategic/apply patches, list with selectors and
 * paging, watches with bookmarks and 410 Gone, JSON or protobuf bodies as the client negotiates,
 * the TokenReview and SubjectAccessReview APIs and impersonation (decided by the RBAC objects each
 * cluster stores).
 */
export class SimServer {
  private main?: Listener;
  /** Clusters with a port of their own (serving only them), which can then refuse connections alone. */
  private readonly ownPorts = new Map<string, Listener>();
  private readonly watchClosers = new Set<() => void>();

  constructor(
    private readonly clusters: Map<string, SimCluster>,
    private readonly tls?: SimTls,
  ) {}

  async listen(port = 0): Promise<string> {
    this.main = { port, sockets: new Set() };
    await this.open(this.main);
    return this.baseUrl(this.main.port);
  }

  /** Opens a port serving only `cluster`; its base URL. */
  async listenFor(cluster: string): Promise<string> {
    const listener: Listener = { port: 0, sockets: new Set(), cluster };
    await this.open(listener);
    this.ownPorts.set(cluster, listener);
    return this.baseUrl(listener.port);
  }

  hasOwnPort(cluster: string): boolean {
    return this.ownPorts.has(cluster);
  }

  /**
   * A cluster's own port stops listening, its open connections cut (clients then get
   * ECONNREFUSED), or listens again on the same port.
   */
  async refuseConnections(cluster: string, refuse: boolean): Promise<void> {
    const listener = this.ownPorts.get(cluster);
    if (!listener) throw new Error(`simulated cluster ${cluster} shares the fleet's port: start the fleet with separatePorts to refuse its connections`);
    if (refuse) await this.shut(listener);
    else if (!listener.server) await this.open(listener);
  }

  async close(): Promise<void> {
    for (const close of this.watchClosers) close();
    await Promise.all([this.main, ...this.ownPorts.values()].map((listener) => listener && this.shut(listener)));
  }

  private async open(listener: Listener): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res, listener.cluster).catch((error: Error) => this.sendError(res, new ApiError(500, 'InternalError', error.message)));
    };
    const server = this.tls ? createTlsServer({ key: this.tls.keyPem, cert: this.tls.certPem }, handler) : createServer(handler);
    // As kube-apiserver: idle client connections stay open well beyond Node's 5 s default, so clients reuse them.
    server.keepAliveTimeout = 60_000;
    server.on('connection', (socket) => {
      listener.sockets.add(socket);
      socket.on('close', () => listener.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listener.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    listener.port = (server.address() as AddressInfo).port;
    listener.server = server;
  }

  private async shut(listener: Listener): Promise<void> {
    const server = listener.server;
    if (!server) return;
    listener.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of listener.sockets) socket.destroy();
    await closed;
  }

  private baseUrl(port: number): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, only?: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const match = /^\/clusters\/([^/]+)(\/.*)?$/.exec(url.pathname);
    const name = match ? decodeURIComponent(match[1]) : undefined;
    const cluster = name !== undefined && (only === undefined || only === name) ? this.clusters.get(name) : undefined;
    if (!match || !cluster)
      return this.sendError(res, new ApiError(404, 'NotFound', `the server could not find the requested resource (no cluster at ${url.pathname})`));
    const { faults } = cluster;
    if (faults.unreachable) {
      req.socket.destroy();
      return;
    }
    // A partitioned cluster: the connection is taken, the request never answered.
    if (faults.hang) return;
    if (faults.latencyMs) await new Promise((r) => setTimeout(r, faults.latencyMs));
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const identity = token ? cluster.tokens.get(token) : undefined;
    if (!identity || faults.tokenExpired) return this.sendError(res, new ApiError(401, 'Unauthorized', 'Unauthorized'));
    if (faults.errorRate && random() < faults.errorRate) {
      const status = faults.errorStatus ?? 503;
      if (status !== 500) res.setHeader('Retry-After', '1');
      return this.sendError(
        res,
        new ApiError(status, status === 429 ? 'TooManyRequests' : status === 503 ? 'ServiceUnavailable' : 'InternalError', 'injected fault'),
      );
    }
    const path = match[2] ?? '/';
    try {
      // An impersonating request acts as the impersonated user, and only that one is held to RBAC: every token keeps its full access otherwise.
      const impersonated = impersonatedUser(cluster, identity, req.headers);
      const writing = req.method !== 'GET' && !path.endsWith('reviews');
      const leaseHolder = writing && cluster.leaseHolder ? await cluster.leaseHolder() : undefined;
      const route = () => this.route(cluster, impersonated?.username ?? identity, path, url, req, res, impersonated);
      await (leaseHolder !== undefined ? writeAnnotations.run({ leaseHolder }, route) : route());
    } catch (error) {
      if (error instanceof ApiError) return this.sendError(res, error);
      if (error instanceof SelectorError) return this.sendError(res, new ApiError(400, 'BadRequest', error.message));
      throw error;
    }
  }

  private async route(
    cluster: SimCluster,
    identity: string,
    path: string,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
    impersonated?: AccessUser,
  ): Promise<void> {
    const { store } = cluster;
    const method = req.method ?? 'GET';
    const allow = (attributes: AccessAttributes) => impersonated && requireAllowed(cluster, impersonated, attributes);
    const review = (group: string, resource: string) => allow({ verb: 'create', group, resource });
    if (['/version', '/api', '/apis'].includes(path)) allow({ verb: method.toLowerCase(), path });
    if (path === '/version') return this.send(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.0-regatta-sim', platform: 'linux/amd64' });
    if (path === '/api') return this.send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    if (path === '/apis') return this.send(res, 200, groupList(store));
    if (path.startsWith('/openapi/')) {
      allow({ verb: 'get', path });
      return sendOpenApi(store, path, `/clusters/${encodeURIComponent(cluster.store.name)}`, req, res);
    }
    if (method === 'POST' && path === TOKEN_REVIEWS_PATH) {
      review('authentication.k8s.io', 'tokenreviews');
      return this.send(res, 201, tokenReview(cluster, await readBody(req)));
    }
    if (method === 'POST' && path === SUBJECT_ACCESS_REVIEWS_PATH) {
      review('authorization.k8s.io', 'subjectaccessreviews');
      return this.send(res, 201, subjectAccessReview(cluster, await readBody(req)));
    }
    if (method === 'POST' && path === SELF_SUBJECT_ACCESS_REVIEWS_PATH) {
      review('authorization.k8s.io', 'selfsubjectaccessreviews');
      return this.send(res, 201, selfSubjectAccessReview(cluster, identity, await readBody(req)));
    }
    if (method === 'POST' && path === SELF_SUBJECT_RULES_REVIEWS_PATH) {
      review('authorization.k8s.io', 'selfsubjectrulesreviews');
      return this.send(res, 201, selfSubjectRulesReview(cluster, identity, await readBody(req)));
    }

    const parts = path.split('/').filter(Boolean);
    let apiVersion: string;
    let rest: string[];
    if (parts[0] === 'api' && parts[1]) [apiVersion, rest] = [parts[1], parts.slice(2)];
    else if (parts[0] === 'apis' && parts[1] && parts[2]) [apiVersion, rest] = [`${parts[1]}/${parts[2]}`, parts.slice(3)];
    else throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    if (rest.length === 0) {
      allow({ verb: method.toLowerCase(), path });
      return this.send(res, 200, resourceList(store, apiVersion));
    }

    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = decodeURIComponent(rest[1]);
      rest = rest.slice(2);
    }
    const type = store.typeFor(apiVersion, rest[0]);
    if (!type) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const protobufAvailable = protobufMessageOf(apiVersion, type.kind) !== undefined;
    negotiateResponse(req.headers.accept, protobufAvailable);
    // Custom resources are JSON only: a protobuf body is refused before it is read, whatever it holds.
    if (!protobufAvailable && isProtobufBody(req.headers['content-type'])) throw unsupportedBody(false);
    const name = rest[1] ? decodeURIComponent(rest[1]) : undefined;
    const subresource = rest[2];
    if (subresource && subresource !== 'status') throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    countTraffic(cluster.counters, subresource ? `${type.plural}/${subresource}` : type.plural, req, res);
    const userAgent = req.headers['user-agent'];
    const manager = url.searchParams.get('fieldManager') ?? userAgentManager(userAgent);
    const watching = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    const verb =
      {
        GET: name === undefined ? (watching ? 'watch' : 'list') : 'get',
        POST: 'create',
        PUT: 'update',
        PATCH: 'patch',
        DELETE: name === undefined ? 'deletecollection' : 'delete',
      }[method] ?? method.toLowerCase();
    const attributes: AccessAttributes = { verb, group: type.group, resource: type.plural, subresource, namespace, name };
    allow(attributes);
    // A server-side apply that creates the object needs `create` as well, as the API server checks it.
    const applying = (req.headers['content-type'] ?? '').startsWith('application/apply-patch+yaml');
    if (impersonated && applying && method === 'PATCH' && name !== undefined && !store.get(type, namespace, name)) allow({ ...attributes, verb: 'create' });
    const fieldValidation = parseFieldValidation(url.searchParams.get('fieldValidation'));
    // Only a request that asks (kubectl always does) is held to the schema: the simulator's other clients keep the leniency they were written against.
    const dryRun = url.searchParams.getAll('dryRun');
    if (dryRun.some((value) => value !== 'All'))
      throw new ApiError(400, 'BadRequest', `Invalid value: ${JSON.stringify(dryRun.find((value) => value !== 'All'))}: supported values: "All"`);
    // `kubectl diff` and `--dry-run=server` ask the whole write to be worked out and nothing kept.
    const write = <T>(change: () => T): T => (dryRun.length ? store.dryRun(change) : change());
    const validate = (object: Obj, apply = false) => (fieldValidation ? enforceSchema(type, kindSchema(store, type), object, fieldValidation, apply) : []);

    if (name === undefined) {
      if (method === 'GET') {
        if (watching) return this.watch(cluster, type, namespace, url, req, res);
        cluster.counters.reads++;
        return this.send(res, 200, this.listObjects(store, type, namespace, url));
      }
      if (method === 'POST') {
        cluster.counters.writes++;
        const body = await readBody(req);
        const warnings = validate(body);
        return this.send(
          res,
          201,
          write(() => store.create(type, namespace, body, identity, manager, userAgent)),
          warnings,
        );
      }
      throw new ApiError(405, 'MethodNotAllowed', `${method} is not supported on a collection`);
    }

    switch (method) {
      case 'GET':
        cluster.counters.reads++;
        return this.send(res, 200, store.getOrFail(type, namespace, name));
      case 'PUT': {
        cluster.counters.writes++;
        const body = await readBody(req);
        if (body.metadata?.name && body.metadata.name !== name)
          throw new ApiError(400, 'BadRequest', `the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
        const warnings = validate(body);
        return this.send(
          res,
          200,
          write(() => store.replace(type, namespace, name, body, identity, subresource, manager, userAgent)),
          warnings,
        );
      }
      case 'PATCH': {
        cluster.counters.writes++;
        const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
        const raw = await readRaw(req);
        if (contentType === 'application/apply-patch+yaml') {
          const body = parseKubeYaml(raw.toString('utf8')) as Obj;
          const warnings = validate(body, true);
          const force = url.searchParams.get('force') === 'true';
          const existed = store.get(type, namespace, name) !== undefined;
          const result = write(() => store.apply(type, namespace, name, body, url.searchParams.get('fieldManager') ?? '', force, identity, userAgent));
          return this.send(res, existed ? 200 : 201, result, warnings);
        }
        const live = store.getOrFail(type, namespace, name);
        const patch = parseJson(raw);
        let next: Obj;
        if (contentType === 'application/merge-patch+json') next = mergePatch(live, patch) as Obj;
        else if (contentType === 'application/json-patch+json') next = jsonPatch(live, patch) as Obj;
        else if (contentType === 'application/strategic-merge-patch+json') next = strategicMergePatch(live, patch, kindSchema(store, type)) as Obj;
        else
          throw new ApiError(
            415,
            'UnsupportedMediaType',
            `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
          );
        store.assertVersion(type, live, next.metadata?.resourceVersion);
        if (subresource === 'status') next = { ...structuredClone(live), status: next.status };
        const warnings = validate(next);
        return this.send(
          res,
          200,
          write(() => store.update(type, live, next, identity, subresource, manager, userAgent, 'patch')),
          warnings,
        );
      }
      case 'DELETE': {
        cluster.counters.writes++;
        const raw = await readRaw(req);
        const options = raw.length ? parseBody(raw, req.headers['content-type']) : {};
        const propagation = url.searchParams.get('propagationPolicy') ?? options.propagationPolicy ?? 'Background';
        const result = write(() => store.delete(type, namespace, name, identity, propagation, userAgent));
        return this.send(
          res,
          200,
          store.get(type, namespace, name)
            ? result
            : {
                kind: 'Status',
                apiVersion: 'v1',
                metadata: {},
                status: 'Success',
                details: { name, group: type.group, kind: type.plural, uid: result.metadata.uid },
              },
        );
      }
      default:
        throw new ApiError(405, 'MethodNotAllowed', `${method} is not supported`);
    }
  }

  private listObjects(store: ClusterStore, type: ResourceType, namespace: string | undefined, url: URL): Obj {
    const labels = parseLabelSelector(url.searchParams.get('labelSelector'));
    const fields = parseFieldSelector(url.searchParams.get('fieldSelector'));
    const matching = store.list(type, namespace).filter((o) => labels(o.metadata.labels ?? {}) && fields(o));
    const limit = Number(url.searchParams.get('limit') ?? '0');
    let offset = 0;
    const token = url.searchParams.get('continue');
    if (token) {
      try {
        const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { rv: number; offset: number };
        if (parsed.rv < store.oldestWatchableVersion())
          throw new ApiError(
            410,
            'Expired',
            'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
          );
        offset = parsed.offset;
      } catch (error) {
        if (error instanceof ApiError) throw error;
        throw new ApiError(400, 'BadRequest', 'invalid continue token');
      }
    }
    const items = limit > 0 ? matching.slice(offset, offset + limit) : matching.slice(offset);
    const more = limit > 0 && offset + limit < matching.length;
    return {
      kind: `${type.kind}List`,
      apiVersion: apiVersionOf(type),
      metadata: {
        resourceVersion: String(store.resourceVersion),
        ...(more
          ? {
              continue: Buffer.from(JSON.stringify({ rv: store.resourceVersion, offset: offset + limit })).toString('base64url'),
              remainingItemCount: matching.length - offset - limit,
            }
          : {}),
      },
      items,
    };
  }

  private watch(cluster: SimCluster, type: ResourceType, namespace: string | undefined, url: URL, req: IncomingMessage, res: ServerResponse): void {
    const { store } = cluster;
    const labels = parseLabelSelector(url.searchParams.get('labelSelector'));
    const fields = parseFieldSelector(url.searchParams.get('fieldSelector'));
    const relevant = (event: WatchEvent) =>
      event.type_ === type &&
      (!namespace || event.object.metadata.namespace === namespace) &&
      labels(event.object.metadata.labels ?? {}) &&
      fields(event.object);
    const protobuf = negotiateResponse(req.headers.accept, protobufMessageOf(apiVersionOf(type), type.kind) !== undefined) === 'protobuf';
    res.writeHead(200, { 'Content-Type': protobuf ? `${PROTOBUF_MEDIA_TYPE};stream=watch` : 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const write = (event: Obj) => res.write(protobuf ? encodeWatchFrame(event.type, event.object)! : `${JSON.stringify(event)}\n`);
    const rvText = url.searchParams.get('resourceVersion');
    const since = rvText && rvText !== '0' ? Number(rvText) : undefined;
    if (since !== undefined) {
      const backlog = store.changesSince(since);
      if (!backlog) {
        write({ type: 'ERROR', object: new ApiError(410, 'Expired', `too old resource version: ${since} (${store.oldestWatchableVersion()})`).status() });
        res.end();
        return;
      }
      for (const event of backlog.filter(relevant)) write({ type: event.type, object: event.object });
    } else {
      for (const object of store.list(type, namespace).filter((o) => labels(o.metadata.labels ?? {}) && fields(o))) write({ type: 'ADDED', object });
    }
    cluster.counters.watchesOpen++;
    cluster.counters.watchesStarted++;
    const unsubscribe = store.subscribe((event) => {
      if (relevant(event)) write({ type: event.type, object: event.object });
    });
    const timers: NodeJS.Timeout[] = [];
    const close = () => {
      unsubscribe();
      timers.forEach(clearTimeout);
      clearInterval(bookmarks);
      if (this.watchClosers.delete(close)) cluster.counters.watchesOpen--;
      res.end();
    };
    this.watchClosers.add(close);
    const bookmarks = setInterval(() => {
      if (url.searchParams.get('allowWatchBookmarks') === 'true') {
        write({ type: 'BOOKMARK', object: { kind: type.kind, apiVersion: apiVersionOf(type), metadata: { resourceVersion: String(store.resourceVersion) } } });
      }
    }, 1000);
    bookmarks.unref();
    const timeout = Number(url.searchParams.get('timeoutSeconds') ?? '0');
    if (timeout > 0) timers.push(setTimeout(close, timeout * 1000));
    if (cluster.faults.closeWatchesAfterMs) timers.push(setTimeout(close, cluster.faults.closeWatchesAfterMs));
    req.on('close', close);
  }

  private send(res: ServerResponse, status: number, body: Obj, warnings: string[] = []): void {
    // As kube-apiserver words a warning: code 299, no agent, the text quoted.
    if (warnings.length)
      res.setHeader(
        'Warning',
        warnings.map((w) => `299 - ${JSON.stringify(w)}`),
      );
    const protobuf = responseFormat(res.req, body) === 'protobuf' ? encodeProtobufObject(body) : undefined;
    res.writeHead(status, { 'Content-Type': protobuf ? PROTOBUF_MEDIA_TYPE : 'application/json' });
    res.end(protobuf ?? JSON.stringify(body));
  }

  private sendError(res: ServerResponse, error: ApiError): void {
    if (res.headersSent) return void res.end();
    this.send(res, error.code, error.status());
  }
}

/**
 * Counts a resource request's writes, the body bytes it brought (by its Content-Length) and those it
 * is sent (a watch's events included), for benches that ask what the traffic is made of.
 */
function countTraffic(counters: ClusterCounters, resource: string, req: IncomingMessage, res: ServerResponse): void {
  const method = req.method ?? 'GET';
  const received = Number(req.headers['content-length'] ?? 0);
  if (received > 0) counters.bytesReceived.set(resource, (counters.bytesReceived.get(resource) ?? 0) + received);
  if (method !== 'GET') counters.writesByResource.set(resource, (counters.writesByResource.get(resource) ?? 0) + 1);
  const sent = (chunk: unknown) => {
    if (typeof chunk === 'string' || chunk instanceof Uint8Array) counters.bytesSent.set(resource, (counters.bytesSent.get(resource) ?? 0) + chunk.length);
  };
  const write = res.write.bind(res);
  const end = res.end.bind(res);
  res.write = ((chunk: unknown, ...rest: unknown[]) => (sent(chunk), write(chunk as never, ...(rest as [never])))) as typeof res.write;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    sent(chunk);
    if (method !== 'GET' && res.statusCode === 409) counters.conflictsByResource.set(resource, (counters.conflictsByResource.get(resource) ?? 0) + 1);
    return end(chunk as never, ...(rest as [never]));
  }) as typeof res.end;
}

/** kubectl and client libraries name themselves in the User-Agent; that becomes the field manager of an update. */
function userAgentManager(userAgent: string | undefined): string {
  return (userAgent ?? 'unknown').split('/')[0] || 'unknown';
}

async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The response format for a body: protobuf when the client asks for it first and the body's kind has a codec. */
function responseFormat(req: IncomingMessage, body: Obj): 'json' | 'protobuf' {
  try {
    return negotiateResponse(req.headers.accept, protobufMessageOf(body.apiVersion, body.kind) !== undefined);
  } catch {
    return 'json';
  }
}

function parseJson(raw: Buffer): any {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ApiError(400, 'BadRequest', 'the request body is not valid JSON');
  }
}

/** A request body: protobuf (kubectl's typed commands send it), JSON or YAML. */
function parseBody(raw: Buffer, contentType: string | undefined): Obj {
  if (isProtobufBody(contentType)) {
    try {
      return decodeProtobufObject(raw);
    } catch (error) {
      if (error instanceof ProtobufError) throw new ApiError(400, 'BadRequest', `the protobuf body could not be read: ${error.message}`);
      throw error;
    }
  }
  return parseJsonOrYaml(raw);
}

async function readBody(req: IncomingMessage): Promise<Obj> {
  return parseBody(await readRaw(req), req.headers['content-type']);
}

function parseJsonOrYaml(raw: Buffer): Obj {
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text) as Obj;
  } catch {
    return parseKubeYaml(text) as Obj;
  }
}
