import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimFleet } from '../../src/sim/sim-fleet.js';

/** The real kubectl's typed commands (which send and ask for protobuf) against the simulator, as `regatta sim` serves it. */
let fleet: SimFleet;
let dir: string;
let kubeconfig: string;
/** kubectl 1.27 and later send their typed commands' bodies as protobuf; older ones (Debian bookworm's 1.20) send JSON. */
let sendsProtobuf: boolean;

interface KubectlRun {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(...args: string[]): Promise<KubectlRun> {
  return new Promise((resolve) => {
    execFile('kubectl', args, { env: { ...process.env, KUBECONFIG: kubeconfig }, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function succeeds(...args: string[]): Promise<string> {
  const run = await kubectl(...args);
  expect(run, `kubectl ${args.join(' ')}`).toMatchObject({ code: 0 });
  return run.stdout;
}

beforeAll(async () => {
  const probe = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0)
    throw new Error(`kubectl is not installed (Debian's kubernetes-client package; .ci/run installs it): ${probe.error?.message ?? probe.stderr}`);
  sendsProtobuf = Number.parseInt(JSON.parse(probe.stdout).clientVersion.minor, 10) >= 27;
  fleet = await SimFleet.start({ https: true });
  dir = await mkdtemp(join(tmpdir(), 'regatta-kubectl-'));
  kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, fleet.kubeconfig(), { mode: 0o600 });
});

afterAll(async () => {
  await fleet?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('kubectl against the simulator', () => {
  it('creates a Secret, a Namespace and a ConfigMap in protobuf and reads them back', async () => {
    const verbose = await kubectl('create', 'secret', 'generic', 'db', '--from-literal=password=s3cret', '-v=8');
    expect(verbose.code).toBe(0);
    expect(verbose.stdout).toContain('secret/db created');
    // The answer comes in the format the request was sent in: protobuf from kubectl that sends it, not a JSON fallback.
    expect(verbose.stderr).toMatch(
      sendsProtobuf
        ? /Content-Type: application\/vnd\.kubernetes\.protobuf[\s\S]*Response Status: 201 Created[\s\S]*Content-Type: application\/vnd\.kubernetes\.protobuf/
        : /Response Status: 201 Created[\s\S]*Content-Type: application\/json/,
    );
    expect(await succeeds('get', 'secret', 'db', '-o', 'jsonpath={.data.password}')).toBe(Buffer.from('s3cret').toString('base64'));
    expect(await succeeds('get', 'secrets', '-o', 'name')).toContain('secret/db');

    expect(await succeeds('create', 'namespace', 'team-a')).toContain('namespace/team-a created');
    expect(fleet.cluster().get(fleet.cluster().typeForKind('v1', 'Namespace')!, undefined, 'team-a')).toBeDefined();
    expect(await succeeds('create', 'configmap', 'settings', '-n', 'team-a', '--from-literal=mode=fast')).toContain('configmap/settings created');
    expect(await succeeds('get', 'configmap', 'settings', '-n', 'team-a', '-o', 'jsonpath={.data.mode}')).toBe('fast');
  });

  it('answers auth can-i, and grants through create clusterrole / rolebinding, aggregation included', async () => {
    expect(await succeeds('auth', 'can-i', 'create', 'deployments')).toBe('yes\n');
    const before = await kubectl('auth', 'can-i', 'create', 'deployments', '--as=bob');
    expect(before).toMatchObject({ code: 1, stdout: 'no\n' });

    // An aggregated role: its rules come from the ClusterRoles labelled for it.
    await succeeds('create', 'clusterrole', 'deployers', '--aggregation-rule=example.com/aggregate-to-deployers=true');
    await succeeds('create', 'clusterrole', 'deployment-writer', '--verb=create,update', '--resource=deployments.apps');
    expect(await succeeds('create', 'rolebinding', 'bob-deploys', '--clusterrole=deployers', '--user=bob')).toContain(
      'rolebinding.rbac.authorization.k8s.io/bob-deploys created',
    );
    expect((await kubectl('auth', 'can-i', 'create', 'deployments', '--as=bob')).stdout).toBe('no\n');
    await succeeds('label', 'clusterrole', 'deployment-writer', 'example.com/aggregate-to-deployers=true');
    expect(await succeeds('get', 'clusterrole', 'deployers', '-o', 'jsonpath={.rules[0].verbs}')).toBe('["create","update"]');
    expect(await succeeds('auth', 'can-i', 'create', 'deployments', '--as=bob')).toBe('yes\n');
    // Granted in the binding's namespace only.
    expect((await kubectl('auth', 'can-i', 'create', 'deployments', '--as=bob', '-n', 'default')).stdout).toBe('no\n');
  });

  it('binds the built-in view role, aggregated into edit and admin as on a real cluster', async () => {
    await succeeds('create', 'rolebinding', 'x', '--clusterrole=view', '--user=carol', '-n', 'default');
    expect(await succeeds('auth', 'can-i', 'list', 'pods', '--as=carol', '-n', 'default')).toBe('yes\n');
    expect((await kubectl('auth', 'can-i', 'get', 'secrets', '--as=carol', '-n', 'default')).stdout).toBe('no\n');
    expect((await kubectl('auth', 'can-i', 'create', 'deployments', '--as=carol', '-n', 'default')).stdout).toBe('no\n');
    const list = await succeeds('auth', 'can-i', '--list', '--as=carol', '-n', 'default');
    expect(list).toMatch(/^deployments\.apps\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    expect(list).toMatch(/^selfsubjectrulesreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/m);
    expect(list).not.toMatch(/^secrets\s/m);

    await succeeds('create', 'rolebinding', 'y', '--clusterrole=admin', '--user=dan', '-n', 'default');
    // admin holds edit's rules, which hold view's.
    for (const [verb, resource] of [
      ['list', 'pods'],
      ['create', 'deployments.apps'],
      ['get', 'secrets'],
      ['create', 'rolebindings.rbac.authorization.k8s.io'],
    ])
      expect(await succeeds('auth', 'can-i', verb, resource, '--as=dan', '-n', 'default')).toBe('yes\n');
    expect((await kubectl('auth', 'can-i', 'list', 'pods', '--as=dan', '-n', 'argocd')).stdout).toBe('no\n');
  });

  it('creates a Deployment and follows it with rollout status until it is available', async () => {
    expect(await succeeds('create', 'deployment', 'web', '--image=nginx', '--replicas=2')).toContain('deployment.apps/web created');
    expect(await succeeds('rollout', 'status', 'deployment/web', '--timeout=30s')).toContain('deployment "web" successfully rolled out');
    expect(await succeeds('get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.spec.replicas}')).toBe('nginx 2');
  });

  it('reports a refused create with the server-side reason, decoded from a protobuf Status when kubectl sends protobuf', async () => {
    await succeeds('create', 'configmap', 'once', '--from-literal=a=b');
    if (sendsProtobuf) {
      const run = await kubectl('create', 'configmap', 'once', '--from-literal=a=b', '-v=8');
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/Response Status: 409 Conflict[\s\S]*Content-Type: application\/vnd\.kubernetes\.protobuf/);
      expect(run.stderr).toContain('error: failed to create configmap: configmaps "once" already exists');
    } else {
      // Older kubectl exits 255 with a stack trace on a failed request at -v=8: asked without it.
      const run = await kubectl('create', 'configmap', 'once', '--from-literal=a=b');
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('Error from server (AlreadyExists): configmaps "once" already exists');
    }
  });
});
