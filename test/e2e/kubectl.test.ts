import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGEMENT_CLUSTER, SimFleet } from '../../src/sim/sim-fleet.js';

/**
 * The real kubectl (Debian's kubernetes-client, installed by .ci/run) against the simulated fleet,
 * served over HTTPS as `regatta sim` serves it: what a newcomer types first must work.
 */
let fleet: SimFleet;
let dir: string;
/**
 * kubectl 1.27 and later ask the server to validate (`fieldValidation`) and read OpenAPI v3;
 * older ones, Debian bookworm's 1.20 among them, validate against `/openapi/v2` themselves.
 */
let serverValidates: boolean;

interface KubectlRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface RunningKubectl {
  result: Promise<KubectlRun>;
  /** What it printed so far. */
  stdout: () => string;
  stop: () => void;
}

/** One kubectl command, killed after `timeoutMs`: a hung command fails the test, it does not hang it. */
function startKubectl(args: string[], timeoutMs = 15_000): RunningKubectl {
  const child = spawn('kubectl', ['--cache-dir', join(dir, 'cache'), '--request-timeout=10s', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: join(dir, 'kubeconfig') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const result = new Promise<KubectlRun>((resolve, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(error.code === 'ENOENT' ? new Error("kubectl is not on PATH: install Debian's kubernetes-client (.ci/run does)") : error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { result, stdout: () => stdout, stop: () => child.kill('SIGTERM') };
}

const kubectl = (args: string[]) => startKubectl(args).result;

async function eventually(check: () => boolean, ms = 8_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function manifest(name: string, yaml: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, yaml);
  return path;
}

const store = () => fleet.cluster(MANAGEMENT_CLUSTER);
const stored = (apiVersion: string, kind: string, namespace: string, name: string) => store().get(store().typeForKind(apiVersion, kind)!, namespace, name);

const appSet = (name: string, spec: string) => `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: ${name}
  namespace: argocd
spec:
${spec}
  template:
    metadata:
      name: '{{.cluster}}-guestbook'
    spec:
      project: default
      source:
        repoURL: https://example.com/guestbook.git
        path: guestbook
      destination:
        server: https://kubernetes.default.svc
        namespace: guestbook
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'regatta-kubectl-'));
  const version = await kubectl(['version', '--client', '-o', 'json']);
  expect(version.code, `kubectl version --client: ${version.stderr}`).toBe(0);
  serverValidates = Number.parseInt(JSON.parse(version.stdout).clientVersion.minor, 10) >= 27;
  fleet = await SimFleet.start({ https: true });
  await writeFile(join(dir, 'kubeconfig'), fleet.kubeconfig(MANAGEMENT_CLUSTER), { mode: 0o600 });
});

afterAll(async () => {
  await fleet?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('kubectl against the simulated fleet', () => {
  it('apply validates ApplicationSets against the served schema, client-side and server-side, naming the field it refuses', async () => {
    const valid = await manifest('valid.yaml', appSet('guestbook', '  generators:\n    - list:\n        elements:\n          - cluster: eu\n'));
    const created = await kubectl(['apply', '-f', valid]);
    expect(created.stderr).toBe('');
    expect(created.stdout).toContain('applicationset.argoproj.io/guestbook created');
    expect(stored('argoproj.io/v1alpha1', 'ApplicationSet', 'argocd', 'guestbook')?.spec.generators[0].list.elements).toEqual([{ cluster: 'eu' }]);

    // diff and --dry-run=server work the change out on the server and keep nothing.
    const changed = await manifest('changed.yaml', appSet('guestbook', '  generators:\n    - list:\n        elements:\n          - cluster: us\n'));
    const diff = await kubectl(['diff', '-f', changed]);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toMatch(/^-\s+- cluster: eu$/m);
    expect(diff.stdout).toMatch(/^\+\s+- cluster: us$/m);
    const dryCreate = await kubectl(['apply', '--dry-run=server', '-f', await manifest('dry.yaml', appSet('dry', '  generators: []'))]);
    expect(dryCreate.stdout).toContain('applicationset.argoproj.io/dry created (server dry run)');
    expect(stored('argoproj.io/v1alpha1', 'ApplicationSet', 'argocd', 'dry')).toBeUndefined();
    expect(stored('argoproj.io/v1alpha1', 'ApplicationSet', 'argocd', 'guestbook')?.spec.generators[0].list.elements).toEqual([{ cluster: 'eu' }]);

    const wrongType = await manifest('wrong-type.yaml', appSet('wrong-type', '  generators: every-cluster'));
    for (const mode of [[], ['--server-side']]) {
      const refused = await kubectl(['apply', ...mode, '-f', wrongType]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        serverValidates
          ? 'spec.generators: Invalid value: "string": spec.generators in body must be of type array'
          : 'ValidationError(ApplicationSet.spec.generators): invalid type for io.argoproj.v1alpha1.ApplicationSet.spec.generators: got "string", expected "array"',
      );
    }

    const unknownField = await manifest('unknown-field.yaml', appSet('unknown-field', '  generators: []\n  generator: []'));
    const clientSide = await kubectl(['apply', '-f', unknownField]);
    expect(clientSide.code).toBe(1);
    const unknownInV2 = 'ValidationError(ApplicationSet.spec): unknown field "generator" in io.argoproj.v1alpha1.ApplicationSet.spec';
    expect(clientSide.stderr).toContain(serverValidates ? 'strict decoding error: unknown field "spec.generator"' : unknownInV2);
    const serverSide = await kubectl(['apply', '--server-side', '-f', unknownField]);
    expect(serverSide.code).toBe(1);
    expect(serverSide.stderr).toContain(serverValidates ? '.spec.generator: field not declared in schema' : unknownInV2);
    expect(stored('argoproj.io/v1alpha1', 'ApplicationSet', 'argocd', 'wrong-type')).toBeUndefined();
    expect(stored('argoproj.io/v1alpha1', 'ApplicationSet', 'argocd', 'unknown-field')).toBeUndefined();

    if (serverValidates) {
      // --validate=warn asks the server to warn and keep going, as a real one does.
      const warned = await kubectl(['apply', '--validate=warn', '-f', unknownField]);
      expect(warned.code).toBe(0);
      expect(warned.stderr).toContain('Warning: unknown field "spec.generator"');
    } else {
      // Older kubectl has no warn mode; without its own validation the server is not asked to validate either.
      expect((await kubectl(['apply', '--validate=false', '-f', unknownField])).code).toBe(0);
    }
    expect(stored('argoproj.io/v1alpha1', 'ApplicationSet', 'argocd', 'unknown-field')?.spec.generators).toEqual([]);
  });

  it('explain reads the OpenAPI v3 documents, and the v2 protobuf document older clients use', async () => {
    const strategy = await kubectl(['explain', 'applicationset.spec.strategy']);
    expect(strategy.stderr).toBe('');
    expect(strategy.stdout).toMatch(/KIND:\s+ApplicationSet/);
    expect(strategy.stdout).toMatch(/rollingSync\s+<Object>/);
    // The enum is in the v3 document only; kubectl before 1.27 reads v2.
    expect(strategy.stdout).toMatch(serverValidates ? /type\s+<string>\s+enum: AllAtOnce, RollingSync/ : /type\s+<string>/);

    const v2 = await kubectl(['explain', ...(serverValidates ? ['--output=plaintext-openapiv2'] : []), 'deployment.spec']);
    expect(v2.stderr).toBe('');
    expect(v2.stdout).toMatch(/KIND:\s+Deployment/);
    expect(v2.stdout).toMatch(/selector\s+<Object> -required-/);
    expect(v2.stdout).toMatch(/replicas\s+<integer>/);
  });

  it('runs a Deployment through apply, wait, rollout status, get, describe, patch, label, watch and delete', async () => {
    const deployment = await manifest(
      'web.yaml',
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports:
            - containerPort: 80
`,
    );
    const ns = ['-n', 'default'];
    expect((await kubectl(['apply', '--server-side', '-f', deployment])).stdout).toContain('deployment.apps/web serverside-applied');
    const waited = await kubectl(['wait', ...ns, '--for=condition=Available', 'deployment/web', '--timeout=10s']);
    expect(waited.stdout).toContain('deployment.apps/web condition met');
    const rollout = await kubectl(['rollout', 'status', ...ns, 'deployment/web', '--timeout=10s']);
    expect(rollout.stdout).toContain('deployment "web" successfully rolled out');
    expect((await kubectl(['get', ...ns, 'deployment', 'web', '-o', 'jsonpath={.status.availableReplicas}'])).stdout).toBe('2');
    expect((await kubectl(['describe', ...ns, 'deployment', 'web'])).stdout).toMatch(/Available\s+True/);

    const patched = await kubectl(['patch', ...ns, 'deployment', 'web', '-p', '{"spec":{"replicas":3}}']);
    expect(patched.stdout).toContain('deployment.apps/web patched');
    expect(stored('apps/v1', 'Deployment', 'default', 'web')?.spec.replicas).toBe(3);

    // A watch sees the label land, then is stopped.
    const watch = startKubectl(['get', ...ns, 'deployments', '--watch', '--output-watch-events', '-L', 'tier']);
    await eventually(() => /ADDED\s+web/.test(watch.stdout()));
    expect((await kubectl(['label', ...ns, 'deployment', 'web', 'tier=frontend'])).stdout).toContain('deployment.apps/web labeled');
    await eventually(() => /MODIFIED\s+web.*frontend/.test(watch.stdout()));
    watch.stop();
    await watch.result;
    expect(stored('apps/v1', 'Deployment', 'default', 'web')?.metadata.labels.tier).toBe('frontend');

    // Client-side apply over the server-side applied object: configured, the patch from the schema.
    const reapplied = await kubectl(['apply', '-f', deployment]);
    expect(reapplied.stdout).toContain('deployment.apps/web configured');
    expect(stored('apps/v1', 'Deployment', 'default', 'web')?.spec.replicas).toBe(2);

    expect((await kubectl(['delete', ...ns, 'deployment', 'web'])).stdout).toContain('deployment.apps "web" deleted');
    expect(stored('apps/v1', 'Deployment', 'default', 'web')).toBeUndefined();
  });

  it("stores what a real API server stores: a Secret's stringData as data, and nothing for diff to show after a server-side apply", async () => {
    const secret = await manifest(
      'secret.yaml',
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: default\nstringData:\n  password: s3cret\n',
    );
    expect((await kubectl(['apply', '--server-side', '-f', secret])).stdout).toContain('secret/db serverside-applied');
    const read = await kubectl(['get', 'secret', 'db', '-n', 'default', '-o', 'jsonpath={.type} {.data.password} {.stringData}']);
    expect(read.stdout).toBe(`Opaque ${Buffer.from('s3cret').toString('base64')} `);

    const appSetFile = await manifest('settled.yaml', appSet('settled', '  generators: []'));
    expect((await kubectl(['apply', '--server-side', '-f', appSetFile])).code).toBe(0);
    for (const file of [appSetFile, secret]) expect(await kubectl(['diff', '-f', file])).toMatchObject({ code: 0, stdout: '' });
  });

  // kubectl sends these two as protobuf (application/vnd.kubernetes.protobuf).
  it('answers auth can-i and creates a RoleBinding', async () => {
    const canI = await kubectl(['auth', 'can-i', 'create', 'deployments', '-n', 'default']);
    expect(canI.stdout.trim()).toBe('yes');
    const binding = await kubectl(['create', 'rolebinding', 'alice-view', '--clusterrole=view', '--user=alice', '-n', 'default']);
    expect(binding.stdout).toContain('rolebinding.rbac.authorization.k8s.io/alice-view created');
    expect(stored('rbac.authorization.k8s.io/v1', 'RoleBinding', 'default', 'alice-view')?.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' },
    ]);
  });
});
