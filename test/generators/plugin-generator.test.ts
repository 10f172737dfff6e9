import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigMap, Secret } from '../../src/api/meta.js';
import { ManifestSecretReader } from '../../src/cli/manifest-secrets.js';
import { generate, offlineContext } from '../support/generation.js';

const TOKEN = 'plugin-t0ken-s3cret';

interface PluginCall {
  method: string;
  url: string;
  authorization?: string;
  contentType?: string;
  body: unknown;
}

/** A generator plugin on 127.0.0.1: it records each call and answers as `respond` says. */
let server: Server;
let baseUrl: string;
let calls: PluginCall[] = [];
let respond: (call: PluginCall, response: ServerResponse) => void;
const answerJson =
  (body: unknown, status = 200) =>
  (_call: PluginCall, response: ServerResponse) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };

beforeAll(async () => {
  server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const call: PluginCall = {
        method: request.method ?? '',
        url: request.url ?? '',
        authorization: request.headers.authorization,
        contentType: request.headers['content-type'],
        body: text ? JSON.parse(text) : undefined,
      };
      calls.push(call);
      if (call.authorization !== `Bearer ${TOKEN}`) {
        response.writeHead(401, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ message: 'bad token' }));
        return;
      }
      respond(call, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  calls = [];
  respond = answerJson({ output: { parameters: [] } });
});

const secret = (name: string, data: Record<string, string>): Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'argocd' },
  stringData: data,
});
const configMap = (name: string, data: Record<string, string>): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'argocd' },
  data,
});

/** Argo CD's namespace holding the plugin's ConfigMap (as its docs write one) and the token's Secrets. */
function context(pluginData: Record<string, string> = { token: '$plugin.myplugin.token', baseUrl }) {
  const configMaps = [configMap('my-plugin', pluginData)];
  return offlineContext({
    secrets: new ManifestSecretReader(
      [secret('argocd-secret', { 'plugin.myplugin.token': `  ${TOKEN}\n` }), secret('plugin-token', { token: TOKEN })],
      'argocd',
    ),
    settings: { namespace: 'argocd', configMapData: async (name) => configMaps.find((c) => c.metadata?.name === name)?.data },
  });
}

const appSet = ({ goTemplate = false, generator = '', template = "{name: 'app-{{name}}'}" } = {}) => `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: myplugin, namespace: argocd}
spec:
  goTemplate: ${goTemplate}
  generators:
    - plugin:
        configMapRef: {name: my-plugin}
        input:
          parameters:
            key1: "value1"
            key2: 123
            key3: {nested: [true, 1.5]}
        values:
          value1: "${goTemplate ? '{{ .name }}' : '{{name}}'}-x"
        ${generator}
  template:
    metadata: ${template}
    spec:
      project: default
      source: {repoURL: https://example.com/repo.git, path: ., targetRevision: HEAD}
      destination: {server: https://kubernetes.default.svc, namespace: default}
`;

describe('plugin generator', () => {
  it("POSTs Argo CD's request to <baseUrl>/api/v1/getparams.execute with the Secret's token, and flattens the answer in fasttemplate mode", async () => {
    respond = answerJson({ output: { parameters: [{ name: 'a', replicas: 3, big: 1000000, deep: { list: ['x', 'y'], empty: {} } }, { name: 'b' }] } });
    const result = await generate(
      appSet({ template: "{name: 'app-{{name}}', labels: {replicas: '{{replicas}}', big: '{{big}}', second: '{{deep.list.1}}'}}" }),
      context(),
    );
    expect(result.failure).toBeUndefined();
    expect(calls).toEqual([
      {
        method: 'POST',
        url: '/api/v1/getparams.execute',
        authorization: `Bearer ${TOKEN}`,
        contentType: 'application/json',
        body: { applicationSetName: 'myplugin', input: { parameters: { key1: 'value1', key2: 123, key3: { nested: [true, 1.5] } } } },
      },
    ]);
    const [first, second] = result.generated.map((g) => g.application);
    expect(first.metadata.name).toBe('app-a');
    // Numbers print as Go's %v prints a JSON number; empty maps vanish; lists are indexed.
    expect(first.metadata.labels).toEqual({ replicas: '3', big: '1e+06', second: 'y' });
    expect(second.metadata.name).toBe('app-b');
    expect(result.requeueAfterSeconds).toBe(1800);
  });

  it('passes values through as they are in goTemplate mode, with generator.input.parameters and the rendered values', async () => {
    respond = answerJson({ output: { parameters: [{ name: 'a', replicas: 3, tags: ['x'] }] } });
    const result = await generate(
      appSet({
        goTemplate: true,
        generator: 'requeueAfterSeconds: 60',
        template:
          "{name: 'app-{{ .name }}', labels: {replicas: '{{ .replicas }}', tag: '{{ index .tags 0 }}', key1: '{{ .generator.input.parameters.key1 }}', nested: '{{ index .generator.input.parameters.key3.nested 1 }}', value: '{{ .values.value1 }}'}}",
      }),
      context({ token: '$plugin-token:token', baseUrl: `${baseUrl}/`, requestTimeout: '5' }),
    );
    expect(result.failure).toBeUndefined();
    expect(result.generated[0].application.metadata.labels).toEqual({ replicas: '3', tag: 'x', key1: 'value1', nested: '1.5', value: 'a-x' });
    expect(result.requeueAfterSeconds).toBe(60);
  });

  it.each([
    ['an error status, with its JSON message', answerJson({ message: 'database down' }, 500), 'API error with status code 500: database down'],
    ['a body that is not JSON', (_c: PluginCall, r: ServerResponse) => r.end('<html>oops</html>'), 'the answer is not JSON'],
    ['an empty body', (_c: PluginCall, r: ServerResponse) => r.end(), 'the answer is empty'],
    ['an answer without output.parameters', answerJson({ output: {} }), 'the answer has no output.parameters list'],
    ['parameter sets that are not objects', answerJson({ output: { parameters: [{ name: 'a' }, 'b'] } }), 'output.parameters[1] is not an object'],
  ])('fails the generation, never an empty list, on %s', async (_what, answer, message) => {
    respond = answer;
    const result = await generate(appSet(), context());
    expect(result.failure?.field).toBe('spec.generators[0].plugin');
    expect(result.failure?.message).toContain(`error listing params: plugin ${baseUrl}/api/v1/getparams.execute for ApplicationSet myplugin: ${message}`);
    expect(result.failure?.message).not.toContain(TOKEN);
  });

  it('gives up on a plugin that does not answer within requestTimeout, and on an answer too large to hold', async () => {
    const pending: ServerResponse[] = [];
    respond = (_call, response) => pending.push(response);
    const started = Date.now();
    const slow = await generate(appSet(), context({ token: '$plugin.myplugin.token', baseUrl, requestTimeout: '1' }));
    expect(slow.failure?.message).toContain('no answer within 1 s');
    expect(Date.now() - started).toBeLessThan(10_000);
    pending.forEach((response) => response.destroy());

    respond = (_call, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1024 * 1024, ' ');
      let sent = 0;
      // Writes until the client hangs up, bounded at 64 MiB so a client that never stops reading ends the test anyway.
      const write = () => {
        while (sent < 64 && !response.destroyed && response.write(chunk)) sent++;
        if (sent < 64 && !response.destroyed) response.once('drain', write);
        else response.end();
      };
      response.write('{"output": {"parameters": [');
      write();
    };
    const huge = await generate(appSet(), context());
    expect(huge.failure?.message).toContain('the answer is larger than 16777216 bytes');
  });

  it.each([
    [{ token: '$plugin.myplugin.token' }, 'baseUrl not found in ConfigMap argocd/my-plugin'],
    [{ baseUrl: 'http://127.0.0.1:1' }, 'token not found in ConfigMap argocd/my-plugin'],
    [{ baseUrl: 'http://127.0.0.1:1', token: 'plain-text' }, 'token in ConfigMap argocd/my-plugin must reference a Secret key as $key or $secret:key'],
    [{ baseUrl: 'http://127.0.0.1:1', token: '$no-such-secret:token' }, 'error fetching Secret token: '],
    [
      { baseUrl: 'http://127.0.0.1:1', token: '$plugin.myplugin.token', requestTimeout: 'soon' },
      'requestTimeout in ConfigMap argocd/my-plugin is not a whole number of seconds',
    ],
    [{ baseUrl: 'ftp://127.0.0.1/', token: '$plugin.myplugin.token' }, 'baseUrl in ConfigMap argocd/my-plugin must be an http or https URL'],
    [{ baseUrl: `http://user:pw@127.0.0.1:1`, token: '$plugin.myplugin.token' }, 'must not carry credentials'],
  ])('names the ConfigMap and what is wrong with it: %j', async (data, message) => {
    const result = await generate(appSet(), context(data));
    expect(result.failure?.field).toBe('spec.generators[0].plugin.configMapRef.name');
    expect(result.failure?.message).toContain(message);
    expect(result.failure?.message).not.toContain(TOKEN);
    expect(calls).toEqual([]);
  });

  it("says so when the ConfigMap does not exist, as Argo CD's error reads", async () => {
    const result = await generate(appSet().replace('name: my-plugin', 'name: missing'), context());
    expect(result.failure?.message).toContain('error getting plugin from generator: error fetching ConfigMap: configmaps "missing" not found');
  });
});
