import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeKubeError } from '../../src/kube/api-errors.js';
import * as k8s from '@kubernetes/client-node';
import { kubeConfigFromString, type KubeConfig } from '../../src/kube/kube-config.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { withRequestFence, withRequestTimeout } from '../../src/kube/request-fence.js';
import { generateSimTls, type SimTls } from '../../src/sim/sim-tls.js';

/** An API server stand-in on 127.0.0.1: answers discovery, and every other request as `answer` says, keeping what it was sent. */
let answer: (request: IncomingMessage, response: ServerResponse) => void;
const seen: IncomingMessage[] = [];
let server: Server;
let url: string;
let dir: string;

const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'apps' }, data: { size: 'x'.repeat(2000) } });

/** A kubeconfig with one context: `cluster` and `user` are its entries' bodies, in YAML's flow style. */
function kubeconfigOf(cluster: string, user: string): string {
  return `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: ${cluster} }]
users: [{ name: u, user: ${user} }]
contexts: [{ name: c, context: { cluster: c, user: u } }]
current-context: c
`;
}

/** The HTTP stand-in's kubeconfig for `user`. */
const kubeconfig = (user: string) => kubeconfigOf(`{ server: "${url}", insecure-skip-tls-verify: true }`, user);

/** Discovery, which client-node asks before its first request for a kind. */
function answeredDiscovery(request: IncomingMessage, response: ServerResponse): boolean {
  if (request.url !== '/api/v1') return false;
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(
    JSON.stringify({
      kind: 'APIResourceList',
      groupVersion: 'v1',
      resources: [{ name: 'configmaps', namespaced: true, kind: 'ConfigMap', verbs: ['get'] }],
    }),
  );
  return true;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'regatta-transport-'));
  server = createServer((request, response) => {
    if (answeredDiscovery(request, response)) return;
    seen.push(request);
    answer(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => {
  seen.length = 0;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe("client-node's requests over Node's HTTP client", () => {
  it('reads a gzip-compressed answer as the object it encodes, having asked for gzip as API servers expect', async () => {
    answer = (request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      response.end(gzipSync(JSON.stringify(configMap(request.url!.split('/').pop()!))));
    };
    const client = new ObjectClient(kubeConfigFromString(kubeconfig('{ token: fixed-token }')));
    expect(await client.get('v1', 'ConfigMap', 'apps', 'settings')).toEqual(configMap('settings'));
    expect(seen[0].headers['accept-encoding']).toContain('gzip');
  });

  it('sends a fixed token on every request, and asks an exec plugin for a credential on every request that has none left', async () => {
    answer = (request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(configMap('settings')));
    };
    const fixed = new ObjectClient(kubeConfigFromString(kubeconfig('{ token: fixed-token }')));
    for (let i = 0; i < 3; i++) await fixed.get('v1', 'ConfigMap', 'apps', 'settings');
    expect(seen.map((r) => r.headers.authorization)).toEqual(['Bearer fixed-token', 'Bearer fixed-token', 'Bearer fixed-token']);

    seen.length = 0;
    // The plugin hands out a new token each time it runs and says nothing of expiry: client-node runs it for each request.
    const plugin = join(dir, 'credential-plugin.sh');
    const counter = join(dir, 'runs');
    writeFileSync(counter, '0');
    writeFileSync(
      plugin,
      `#!/bin/sh\nn=$(( $(cat ${counter}) + 1 ))\necho $n > ${counter}\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"run-'$n'"}}'\n`,
    );
    chmodSync(plugin, 0o755);
    const exec = new ObjectClient(
      kubeConfigFromString(kubeconfig(`{ exec: { apiVersion: client.authentication.k8s.io/v1, command: "${plugin}", interactiveMode: Never } }`)),
    );
    for (let i = 0; i < 3; i++) await exec.get('v1', 'ConfigMap', 'apps', 'settings');
    // (Its first run went to the discovery request before them.)
    expect(seen.map((r) => r.headers.authorization)).toEqual(['Bearer run-2', 'Bearer run-3', 'Bearer run-4']);
  });

  it('cancels a request without an answer at its timeout, and every request in flight under a fence when it closes', async () => {
    answer = () => undefined;
    const client = new ObjectClient(kubeConfigFromString(kubeconfig('{ token: fixed-token }')));
    const timedOut = await withRequestTimeout(200, () => client.get('v1', 'ConfigMap', 'apps', 'slow')).catch((error: unknown) => error);
    expect(describeKubeError(timedOut)).toBe('no answer within the request timeout: the request was cancelled');

    // Twenty requests in flight under one lease, as a cluster's writes are: the lease lost cancels them all, and sharing it is no leak to warn of.
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    const lease = new AbortController();
    const started = Date.now();
    const fenced = withRequestFence({ signal: lease.signal, sendBy: () => Infinity }, () =>
      Promise.all(Array.from({ length: 20 }, (_, i) => client.get('v1', 'ConfigMap', 'apps', `slow-${i}`).catch((error: unknown) => error))),
    );
    for (const until = Date.now() + 5_000; seen.length < 21 && Date.now() < until;) await new Promise((resolve) => setTimeout(resolve, 20));
    lease.abort();
    expect(await fenced).toEqual(Array.from({ length: 20 }, () => expect.objectContaining({ name: 'AbortError' })));
    expect(Date.now() - started).toBeLessThan(5_000);
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect(warnings).toEqual([]);
  });
});

/** An API server stand-in over HTTPS on `host`, counting its TLS connections; it answers watches with one event and holds them open. */
async function startTlsServer(name: string, tls: SimTls, host = '127.0.0.1') {
  const connections = { count: 0 };
  const server = createTlsServer({ key: tls.keyPem, cert: tls.certPem }, (request, response) => {
    if (answeredDiscovery(request, response)) return;
    response.writeHead(200, { 'content-type': 'application/json' });
    const object = { ...configMap(name), metadata: { name, namespace: 'apps', annotations: { path: request.url! } } };
    if (request.url!.includes('watch=true')) response.write(`${JSON.stringify({ type: 'ADDED', object })}\n`);
    else response.end(JSON.stringify(object));
  });
  server.on('secureConnection', () => connections.count++);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    connections,
    // An IPv6 address is bracketed in the URL, not in the host name.
    url: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const tlsKubeconfig = (url: string, caPem: string) =>
  kubeConfigFromString(kubeconfigOf(`{ server: "${url}", certificate-authority-data: ${Buffer.from(caPem).toString('base64')} }`, '{ token: fixed-token }'));

/** The name of the first object a watch of ConfigMaps shows, or its failure. */
function firstWatched(config: KubeConfig): Promise<string> {
  return new Promise((resolve, reject) => {
    let controller: AbortController | undefined;
    void new k8s.Watch(config)
      .watch(
        '/api/v1/namespaces/apps/configmaps',
        {},
        (_type, object: { metadata: { name: string } }) => {
          resolve(object.metadata.name);
          // Stopped once the event's handling is over: client-node reports an abort from within it as an error.
          setImmediate(() => controller?.abort());
        },
        (error: unknown) => reject(error instanceof Error ? error : new Error('the watch ended')),
      )
      .then((c) => (controller = c));
  });
}

describe('HTTPS connections', () => {
  it('keeps one verified connection per API server, IPv4 or IPv6, reused by every request to it and never by another server with the same TLS settings', async () => {
    const tls = generateSimTls();
    const servers = [await startTlsServer('east', tls), await startTlsServer('west', tls, '::1')];
    try {
      const clients = servers.map((s) => new ObjectClient(tlsKubeconfig(s.url, tls.caPem)));
      for (let i = 0; i < 5; i++)
        for (const [index, client] of clients.entries())
          expect((await client.get('v1', 'ConfigMap', 'apps', `object-${i}`))?.metadata).toEqual({
            name: servers[index].name,
            namespace: 'apps',
            annotations: { path: `/api/v1/namespaces/apps/configmaps/object-${i}` },
          });
      expect(servers.map((s) => s.connections.count)).toEqual([1, 1]);
    } finally {
      for (const s of servers) await s.close();
    }
  });

  it("verifies each cluster against its own CA, for requests and watches alike, however many clusters' connections share TLS contexts", async () => {
    const [northTls, southTls] = [generateSimTls(), generateSimTls()];
    const servers = [await startTlsServer('north', northTls), await startTlsServer('south', southTls)];
    try {
      const [north, south] = servers;
      for (let i = 0; i < 2; i++) {
        expect((await new ObjectClient(tlsKubeconfig(north.url, northTls.caPem)).get('v1', 'ConfigMap', 'apps', 'a'))?.metadata?.name).toBe('north');
        expect((await new ObjectClient(tlsKubeconfig(south.url, southTls.caPem)).get('v1', 'ConfigMap', 'apps', 'a'))?.metadata?.name).toBe('south');
        expect(await firstWatched(tlsKubeconfig(north.url, northTls.caPem))).toBe('north');
        expect(await firstWatched(tlsKubeconfig(south.url, southTls.caPem))).toBe('south');
      }
      // South's server with north's CA: its certificate is not trusted, whatever connections north's CA made before.
      const untrusted = await new ObjectClient(tlsKubeconfig(south.url, northTls.caPem)).get('v1', 'ConfigMap', 'apps', 'a').catch((error: unknown) => error);
      expect(describeKubeError(untrusted)).toMatch(/certificate/);
      await expect(firstWatched(tlsKubeconfig(south.url, northTls.caPem))).rejects.toThrow(/certificate/);
    } finally {
      for (const s of servers) await s.close();
    }
  });
});
