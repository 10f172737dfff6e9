import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { regatta } from '../support/cli.js';
import { ControllerHarness } from '../support/controller-harness.js';
import { writeMark, writesSince } from '../support/write-log.js';

/** One guestbook Application per element; `syncPolicy` is spliced in as written. */
const guestbook = (name: string, elements: { env: string; revision: string }[], syncPolicy = '') => `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: ${name}, namespace: argocd}
spec:
  generators:
  - list:
      elements:
${elements.map((e) => `      - {env: ${e.env}, revision: ${e.revision}}`).join('\n')}
${syncPolicy}
  template:
    metadata: {name: '${name}-{{env}}', labels: {env: '{{env}}'}}
    spec:
      project: default
      source: {repoURL: https://github.com/argoproj/argocd-example-apps.git, targetRevision: '{{revision}}', path: guestbook}
      destination: {server: https://kubernetes.default.svc, namespace: 'guestbook-{{env}}'}
`;

const three = [
  { env: 'dev', revision: 'v1' },
  { env: 'qa', revision: 'v1' },
  { env: 'prod', revision: 'v1' },
];

let harness: ControllerHarness;
let dir: string;
let kubeconfig: string;

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/**
 * Hands the ApplicationSet to the running controller and waits until exactly `names` are its
 * Applications not being deleted (no application controller runs to finish a cascading delete).
 */
async function reconciled(text: string, names: string[]): Promise<void> {
  const appSet = YAML.parse(text);
  await harness.applyAppSet(appSet);
  await harness.eventually(
    async () => {
      const present = (await harness.applications())
        .filter((a) => !a.metadata.deletionTimestamp && a.metadata.name.startsWith(`${appSet.metadata.name}-`))
        .map((a) => a.metadata.name);
      return present.sort().join() === [...names].sort().join();
    },
    `Applications ${names.join(', ')}`,
  );
  await harness.settle();
}

/** Runs `regatta generate --diff` as identity `cli` and checks it wrote nothing. */
async function diff(path: string, ...extra: string[]) {
  const mark = writeMark();
  const run = await regatta('generate', '-f', path, '--diff', '--kubeconfig', kubeconfig, ...extra);
  expect(writesSince(harness.fleet.cluster(), mark, { identity: 'cli' })).toEqual([]);
  return run;
}

/** The exit code and the whole of stdout, one line per entry. */
function expectDiff(run: { code: number; stdout: string }, code: number, lines: string[]): void {
  expect([run.code, run.stdout]).toEqual([code, `${lines.join('\n')}\n`]);
}

beforeAll(async () => {
  harness = await ControllerHarness.start();
  dir = await mkdtemp(join(tmpdir(), 'regatta-generate-diff-'));
  kubeconfig = await file('kubeconfig', harness.fleet.kubeconfig(undefined, { identity: 'cli' }));
}, 30_000);

afterAll(async () => {
  await harness?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('regatta generate --diff', () => {
  it('classifies create, update, delete and unchanged as the reconciler then does them; exit 2, then 0', async () => {
    await reconciled(guestbook('web', three), ['web-dev', 'web-qa', 'web-prod']);
    const same = await diff(await file('web-v1.yaml', guestbook('web', three)));
    expect(same.stderr).toBe('');
    expect(same.stdout).toBe(['ApplicationSet argocd/web (applicationsSync: sync)', '  0 to create, 0 to update, 0 to delete, 3 unchanged', ''].join('\n'));
    expect(same.code).toBe(0);

    const next = guestbook('web', [
      { env: 'dev', revision: 'v2' },
      { env: 'qa', revision: 'v1' },
      { env: 'staging', revision: 'v1' },
    ]);
    const pending = await diff(await file('web-v2.yaml', next));
    expectDiff(pending, 2, [
      'ApplicationSet argocd/web (applicationsSync: sync)',
      '  + create web-staging',
      '  ~ update web-dev',
      '      ~ spec.source.targetRevision: v1 → v2',
      '  - delete web-prod (its resources are deleted from the cluster too)',
      '  1 to create, 1 to update, 1 to delete, 1 unchanged',
    ]);

    // The controller then does what the diff said: afterwards nothing is left to do.
    await reconciled(next, ['web-dev', 'web-qa', 'web-staging']);
    const dev = (await harness.applications()).find((a) => a.metadata.name === 'web-dev');
    expect(dev.spec.source.targetRevision).toBe('v2');
    const after = await diff(await file('web-v2.yaml', next));
    expect([after.code, after.stdout.split('\n')[1]]).toEqual([0, '  0 to create, 0 to update, 0 to delete, 3 unchanged, 1 being deleted']);
  });

  it("shows a delete the ApplicationSet's policy holds back, and the controller keeps that Application", async () => {
    const policy = '  syncPolicy: {applicationsSync: create-update, preserveResourcesOnDeletion: true}';
    await reconciled(guestbook('shop', three, policy), ['shop-dev', 'shop-qa', 'shop-prod']);
    const fewer = guestbook('shop', three.slice(0, 2), policy);
    const run = await diff(await file('shop.yaml', fewer));
    expectDiff(run, 0, [
      'ApplicationSet argocd/shop (applicationsSync: create-update)',
      '  ! delete shop-prod: held back by applicationsSync: create-update',
      '  0 to create, 0 to update, 0 to delete, 3 unchanged, 1 held back',
    ]);

    // Allowed to delete, the resources of an Application generated without the finalizer stay.
    const deleting = guestbook('shop', three.slice(0, 2), '  syncPolicy: {applicationsSync: create-delete, preserveResourcesOnDeletion: true}');
    const allowed = await diff(await file('shop-delete.yaml', deleting));
    expect(allowed.stdout).toContain('  - delete shop-prod (its resources stay on the cluster: held back by preserveResourcesOnDeletion)\n');
    expect(allowed.code).toBe(2);

    await harness.applyAppSet(YAML.parse(fewer));
    await harness.settle();
    expect((await harness.applications()).map((a) => a.metadata.name)).toContain('shop-prod');
  });

  it('shows deletions the deletion budget (--max-delete-ratio) holds back', async () => {
    await reconciled(guestbook('blog', three), ['blog-dev', 'blog-qa', 'blog-prod']);
    const run = await diff(await file('blog.yaml', guestbook('blog', three.slice(0, 1))), '--max-delete-ratio', '0.5');
    expectDiff(run, 0, [
      'ApplicationSet argocd/blog (applicationsSync: sync)',
      '  ! delete blog-prod, blog-qa: held back by the deletion budget: deleting 2 of 3 Applications at once exceeds the maximum delete ratio 0.5; deletions held until the generation recovers or the limit is raised',
      '  0 to create, 0 to update, 0 to delete, 3 unchanged, 2 held back',
    ]);
    const unbudgeted = await diff(await file('blog.yaml', guestbook('blog', three.slice(0, 1))));
    expect([unbudgeted.code, unbudgeted.stdout.split('\n').slice(-2)[0]]).toEqual([2, '  0 to create, 0 to update, 2 to delete, 1 unchanged']);
  });

  it('shows updates that applicationsSync: create-only holds back, which the controller then leaves alone', async () => {
    const policy = '  syncPolicy: {applicationsSync: create-only}';
    await reconciled(guestbook('docs', three, policy), ['docs-dev', 'docs-qa', 'docs-prod']);
    const bumped = guestbook('docs', [{ env: 'dev', revision: 'v2' }, ...three.slice(1), { env: 'perf', revision: 'v1' }], policy);
    const run = await diff(await file('docs.yaml', bumped));
    expectDiff(run, 2, [
      'ApplicationSet argocd/docs (applicationsSync: create-only)',
      '  + create docs-perf',
      '  ! update docs-dev: held back by applicationsSync: create-only',
      '  1 to create, 0 to update, 0 to delete, 3 unchanged, 1 held back',
    ]);
    await reconciled(bumped, ['docs-dev', 'docs-qa', 'docs-prod', 'docs-perf']);
    expect((await harness.applications()).find((a) => a.metadata.name === 'docs-dev').spec.source.targetRevision).toBe('v1');
  });

  it('holds back every delete while a generated Application names a project that does not exist, and exits 1', async () => {
    await reconciled(guestbook('api', three), ['api-dev', 'api-qa', 'api-prod']);
    const typo = guestbook('api', three.slice(0, 2))
      .replace('project: default', "project: '{{project}}'")
      .replace('{env: dev, revision: v1}', '{env: dev, revision: v1, project: defualt}')
      .replace('{env: qa, revision: v1}', '{env: qa, revision: v1, project: default}');
    const path = await file('api.yaml', typo);
    const run = await diff(path);
    expect(run.stderr).toContain(`${path}: ApplicationSet api: Application api-dev: spec.project:`);
    expectDiff(run, 1, [
      'ApplicationSet argocd/api (applicationsSync: sync)',
      '  ! delete api-prod: held back by invalid generated Applications (api-dev): nothing is deleted while one is invalid',
      '  0 to create, 0 to update, 0 to delete, 3 unchanged, 1 held back',
    ]);
  });

  it('refuses, as the controller does, an Application for a cluster the fleet does not have', async () => {
    const unknown = guestbook('ops', three)
      .replace('server: https://kubernetes.default.svc', "server: '{{server}}'")
      .replace(
        /\{env: (\w+), revision: v1\}/g,
        (_, env) => `{env: ${env}, revision: v1, server: ${env === 'qa' ? 'https://nowhere.example.com' : 'https://kubernetes.default.svc'}}`,
      );
    const path = await file('ops.yaml', unknown);
    const run = await diff(path);
    expect(run.stderr).toBe(
      `regatta generate: ${path}: ApplicationSet ops: Application ops-qa: spec.destination: application destination spec is invalid: error getting cluster by server "https://nowhere.example.com": rpc error: code = NotFound desc = cluster "https://nowhere.example.com" not found\n`,
    );
    expectDiff(run, 1, [
      'ApplicationSet argocd/ops (applicationsSync: sync; not on the cluster yet)',
      '  + create ops-dev',
      '  + create ops-prod',
      '  2 to create, 0 to update, 0 to delete, 0 unchanged',
    ]);
  });

  it('exits 1 naming the file, ApplicationSet and field of a bad input, and on usage errors', async () => {
    const bad = await file('bad.yaml', guestbook('bad', three).replace('{env: qa,', '{env: [q, a],'));
    const run = await diff(bad);
    expect([run.code, run.stdout]).toEqual([1, '']);
    expect(run.stderr).toBe(
      `regatta generate: ${bad}: ApplicationSet bad: spec.generators[0].list.elements[1].env: error parsing value as string: got a list (without goTemplate, list elements hold strings only)\n`,
    );
    const usage = await regatta('generate', '-f', bad, '--diff', '--policy', 'delete-everything');
    expect(usage.code).toBe(1);
    expect(usage.stderr).toContain('--policy: "delete-everything" is not one of create-only, create-update, create-delete, sync');
    expect((await regatta('generate', '-f', bad, '--diff', '--explain')).code).toBe(1);
    expect((await regatta('generate', '-f', join(dir, 'missing.yaml'), '--diff')).code).toBe(1);
  });
});
