import * as k8s from '@kubernetes/client-node';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';
import { regatta } from '../support/cli.js';
import { TestRepository } from '../support/git-fixtures.js';

/** The guestbook example of Argo CD's Progressive Syncs page. */
const guestbook = (status = '') => `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: guestbook, namespace: argocd}
spec:
  generators:
  - list:
      elements:
      - {cluster: engineering-dev, url: 'https://1.2.3.4', env: env-dev}
      - {cluster: engineering-qa, url: 'https://2.4.6.8', env: env-qa}
      - {cluster: engineering-prod, url: 'https://9.8.7.6/', env: env-prod}
  strategy:
    type: RollingSync
    deletionOrder: Reverse
    rollingSync:
      steps:
      - matchExpressions: [{key: envLabel, operator: In, values: [env-dev]}]
      - matchExpressions: [{key: envLabel, operator: In, values: [env-qa]}]
        maxUpdate: 0
      - matchExpressions: [{key: envLabel, operator: In, values: [env-prod]}]
        maxUpdate: 10%
  template:
    metadata:
      name: '{{cluster}}-guestbook'
      labels: {envLabel: '{{env}}'}
    spec:
      project: default
      source: {repoURL: 'https://github.com/infra-team/cluster-deployments.git', targetRevision: HEAD, path: 'guestbook/{{cluster}}'}
      destination: {server: '{{url}}', namespace: guestbook}
${status}`;

/** Live Applications after a push: each still runs r1 and is OutOfSync with the new commit r2. */
const live = (revision: string, sync: string) =>
  ['engineering-dev', 'engineering-qa', 'engineering-prod']
    .map(
      (cluster, i) => `---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: ${cluster}-guestbook, namespace: argocd, labels: {envLabel: ${cluster.replace('engineering', 'env')}}}
spec:
  project: default
  source: {repoURL: 'https://github.com/infra-team/cluster-deployments.git', targetRevision: HEAD, path: 'guestbook/${cluster}'}
  destination: {server: '${['https://1.2.3.4', 'https://2.4.6.8', 'https://9.8.7.6/'][i]}', namespace: guestbook}
status:
  sync: {status: ${sync}, revision: ${revision}}
  health: {status: Healthy}
  reconciledAt: '2026-01-01T00:00:00Z'
`,
    )
    .join('');

const settled = `status:
  applicationStatus:
  - {application: engineering-dev-guestbook, status: Healthy, step: '1', message: done, targetRevisions: [r1], lastTransitionTime: '2025-12-31T00:00:00Z'}
  - {application: engineering-prod-guestbook, status: Healthy, step: '3', message: done, targetRevisions: [r1], lastTransitionTime: '2025-12-31T00:00:00Z'}
  - {application: engineering-qa-guestbook, status: Healthy, step: '2', message: done, targetRevisions: [r1], lastTransitionTime: '2025-12-31T00:00:00Z'}
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'regatta-rollout-cli-'));
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** The plan (exit 0) for the settled rollout after a push, with one more input file. */
async function pushedPlanWith(name: string, text: string) {
  const run = await regatta(
    'rollout',
    'plan',
    '-f',
    await file(`pushed-${name}`, guestbook(settled)),
    '-f',
    await file(`live-${name}`, live('r2', 'OutOfSync')),
    '-f',
    await file(name, text),
  );
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout)[0];
}

describe('regatta rollout plan', () => {
  it('first reconcile of the docs example: three steps, every synced Healthy Application Healthy', async () => {
    const run = await regatta('rollout', 'plan', '-f', await file('first.yaml', guestbook()), '-f', await file('live-r1.yaml', live('r1', 'Synced')));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [plan] = JSON.parse(run.stdout);
    expect(plan.steps).toEqual([['engineering-dev-guestbook'], ['engineering-qa-guestbook'], ['engineering-prod-guestbook']]);
    expect(plan.syncNow).toEqual([]);
    expect(plan.releasedNow).toEqual([]);
    expect(plan.notes).toBeUndefined();
    expect(plan.applicationStatus.map((e: any) => [e.application, e.status, e.step])).toEqual([
      ['engineering-dev-guestbook', 'Healthy', '1'],
      ['engineering-prod-guestbook', 'Healthy', '3'],
      ['engineering-qa-guestbook', 'Healthy', '2'],
    ]);
    expect(plan.conditions).toEqual([
      { type: 'InvalidRolloutConfig', status: 'False', reason: 'ApplicationSetValidRolloutConfig', message: 'Rolling Sync Configured correctly' },
      { type: 'RolloutProgressing', status: 'False', reason: 'ApplicationSetRolloutComplete', message: 'ApplicationSet Rollout has completed' },
    ]);
  });

  it('after a push: env-dev is synced now, the others wait, step 1 is rolling out', async () => {
    const run = await regatta(
      'rollout',
      'plan',
      '-o',
      'json',
      '-f',
      await file('pushed.yaml', guestbook(settled)),
      '-f',
      await file('live-r2.yaml', live('r2', 'OutOfSync')),
    );
    expect(run.code).toBe(0);
    const [plan] = JSON.parse(run.stdout);
    expect(plan.syncNow).toEqual(['engineering-dev-guestbook']);
    // Regatta's deliberate difference, said in the plan: progressive_sync.go SyncDesiredApplications syncs only
    // what was Pending in the status it read, so Argo CD would sync env-dev one reconcile later.
    expect(plan.releasedNow).toEqual(['engineering-dev-guestbook']);
    expect(plan.notes).toEqual([
      'engineering-dev-guestbook moves to Pending and gets its sync operation in this reconcile; Argo CD would set the operation one reconcile later',
    ]);
    expect(plan.applicationStatus).toEqual([
      {
        application: 'engineering-dev-guestbook',
        status: 'Pending',
        step: '1',
        message: 'Application moved to Pending status, watching for the Application resource to start Progressing',
        targetRevisions: ['r2'],
      },
      {
        application: 'engineering-prod-guestbook',
        status: 'Waiting',
        step: '3',
        message: 'Application has pending changes, setting status to Waiting',
        targetRevisions: ['r2'],
      },
      {
        application: 'engineering-qa-guestbook',
        status: 'Waiting',
        step: '2',
        message: 'Application has pending changes, setting status to Waiting',
        targetRevisions: ['r2'],
      },
    ]);
    expect(plan.conditions[1]).toEqual({
      type: 'RolloutProgressing',
      status: 'True',
      reason: 'ApplicationSetModified',
      message: 'ApplicationSet is performing rollout of step 1',
    });
    expect(plan.rollout).toEqual({ phase: 'Progressing', step: 1, message: 'rolling out step 1' });
  });

  it('says which Applications a sync window of their AppProject holds, and when it opens', async () => {
    // A freeze that fired at the start of the current UTC hour and lasts two: held now, open two hours after it fired.
    const hour = new Date().getUTCHours();
    const project = `apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: default, namespace: argocd}
spec:
  syncWindows:
  - {kind: deny, schedule: '0 ${hour} * * *', duration: 2h, applications: ['*-dev-*'], description: release freeze}
`;
    const plan = await pushedPlanWith('project.yaml', project);
    const opens = `${String((hour + 2) % 24).padStart(2, '0')}:00 UTC`;
    const summary = `step 1: 1 Application waiting for sync window "release freeze" (opens ${opens})`;
    expect(plan.conditions[1]).toEqual({ type: 'RolloutProgressing', status: 'True', reason: 'ApplicationSetModified', message: summary });
    expect(plan.rollout).toMatchObject({
      phase: 'Progressing',
      step: 1,
      message: summary,
      waiting: [{ step: 1, applications: 1, windows: ['"release freeze"'], message: summary }],
    });
    expect(plan.applicationStatus[0]).toMatchObject({
      application: 'engineering-dev-guestbook',
      status: 'Pending',
      message: `Application sync held: waiting for sync window "release freeze" (opens ${opens})`,
    });
    // The sync is still requested: the application controller is what holds it.
    expect(plan.syncNow).toEqual(['engineering-dev-guestbook']);
  });

  it('says which Applications a RolloutBudget of their cluster holds, counting syncs of other ApplicationSets among the inputs', async () => {
    const fleet = `apiVersion: v1
kind: Secret
metadata: {name: dev, namespace: argocd, labels: {argocd.argoproj.io/secret-type: cluster, region: eu}}
stringData: {name: engineering-dev, server: 'https://1.2.3.4'}
---
apiVersion: regatta.dev/v1alpha1
kind: RolloutBudget
metadata: {name: eu}
spec: {selector: {matchLabels: {region: eu}}, maxConcurrentSyncs: 1}
---
apiVersion: regatta.dev/v1alpha1
kind: RolloutBudget
metadata: {name: broken}
spec: {selector: {matchLabels: {region: eu}}, maxFailures: -2}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: billing-dev, namespace: argocd}
spec:
  project: default
  source: {repoURL: 'https://github.com/infra-team/billing.git', targetRevision: HEAD, path: billing}
  destination: {server: 'https://1.2.3.4', namespace: billing}
status:
  operationState: {phase: Running, startedAt: '2026-01-01T00:00:00Z'}
`;
    const plan = await pushedPlanWith('budget.yaml', fleet);
    expect(plan.syncNow).toEqual([]);
    const summary = 'step 1: 1 Application waiting for RolloutBudget "eu" (1/1 syncs in flight)';
    expect(plan.rollout).toEqual({
      phase: 'Progressing',
      step: 1,
      message: summary,
      budgetWaiting: [{ step: 1, applications: 1, budget: 'eu', message: summary }],
      invalidBudgets: ['RolloutBudget "broken" is not applied: spec.maxFailures: Invalid value: -2: must be a non-negative integer'],
    });
    expect(plan.applicationStatus[0]).toMatchObject({
      application: 'engineering-dev-guestbook',
      status: 'Waiting',
      message: 'Application waiting for RolloutBudget "eu" (1/1 syncs in flight)',
    });
  });

  // Argo CD lists cluster Secrets in its own namespace only (ClusterGenerator, db.ListClusters), and a
  // RolloutBudget selects clusters by those Secrets' labels: one elsewhere is no cluster for a budget either.
  it("a cluster Secret outside Argo CD's namespace puts its server under no RolloutBudget", async () => {
    const fleet = `apiVersion: v1
kind: Secret
metadata: {name: dev, namespace: team-a, labels: {argocd.argoproj.io/secret-type: cluster, region: eu}}
stringData: {name: engineering-dev, server: 'https://1.2.3.4'}
---
apiVersion: regatta.dev/v1alpha1
kind: RolloutBudget
metadata: {name: eu}
spec: {selector: {matchLabels: {region: eu}}, maxConcurrentSyncs: 0}
`;
    const run = await regatta(
      'rollout',
      'plan',
      '-f',
      await file('pushed-tenant.yaml', guestbook(settled)),
      '-f',
      await file('live-tenant.yaml', live('r2', 'OutOfSync')),
      '-f',
      await file('tenant-cluster.yaml', fleet),
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("cluster Secret team-a/dev is ignored: cluster Secrets count only in Argo CD's namespace argocd");
    const [plan] = JSON.parse(run.stdout);
    expect(plan.syncNow).toEqual(['engineering-dev-guestbook']);
    expect(plan.rollout.budgetWaiting).toBeUndefined();
  });

  // applicationset_controller.go Reconcile: IsStepsEmpty → ErrorOccurred "No steps defined for rollout" (reason
  // ApplicationSetRolloutError), and the reconcile returns before writing any Application.
  it('an empty steps list: the ErrorOccurred condition the reconcile writes, nothing synced, exit 1 naming the field', async () => {
    const noSteps = guestbook().replace(/ {6}steps:\n(?: {6}- .*\n| {8}.*\n)*/, '      steps: []\n');
    expect(noSteps).toContain('steps: []');
    const run = await regatta('rollout', 'plan', '-f', await file('no-steps.yaml', noSteps));
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('regatta rollout plan: ApplicationSet guestbook: spec.strategy.rollingSync.steps: No steps defined for rollout\n');
    const [plan] = JSON.parse(run.stdout);
    expect(plan.syncNow).toEqual([]);
    expect(plan.conditions).toEqual([{ type: 'ErrorOccurred', status: 'True', reason: 'ApplicationSetRolloutError', message: 'No steps defined for rollout' }]);
  });

  it('prints YAML with -o yaml', async () => {
    const run = await regatta(
      'rollout',
      'plan',
      '-o',
      'yaml',
      '-f',
      await file('y.yaml', guestbook(settled)),
      '-f',
      await file('live-y.yaml', live('r2', 'OutOfSync')),
    );
    expect(YAML.parse(run.stdout)[0].syncNow).toEqual(['engineering-dev-guestbook']);
  });

  it('names the ApplicationSet and field of invalid input and exits 1', async () => {
    const broken = guestbook().replace('type: RollingSync', 'type: Sideways');
    const run = await regatta('rollout', 'plan', '-f', await file('broken.yaml', broken));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/broken\.yaml: ApplicationSet guestbook: spec\.strategy\.type: /);
  });

  it('is a usage error (exit 2) without -f or with an unknown action', async () => {
    expect((await regatta('rollout', 'plan')).code).toBe(2);
    expect((await regatta('rollout', 'sideways')).code).toBe(2);
  });
});

describe('regatta rollout pause|resume|abort|status against a cluster', () => {
  let fleet: SimFleet;
  let kubeconfig: string;
  const objects = () => {
    const kube = new k8s.KubeConfig();
    kube.loadFromString(fleet.kubeconfig(undefined, { identity: 'test-user' }));
    return k8s.KubernetesObjectApi.makeApiClient(kube);
  };
  const annotations = async () =>
    ((await objects().read({ apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', metadata: { name: 'guestbook', namespace: 'argocd' } })) as any)
      .metadata.annotations ?? {};

  beforeAll(async () => {
    fleet = await SimFleet.start({ clusters: [] });
    kubeconfig = await file('kubeconfig', fleet.kubeconfig(undefined, { identity: 'cli' }));
    await objects().create(YAML.parse(guestbook()));
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('pause and abort set the control annotation; resume removes it and stamps resumed-at', async () => {
    expect((await regatta('rollout', 'pause', 'guestbook', '--kubeconfig', kubeconfig)).stdout).toBe('ApplicationSet argocd/guestbook: rollout paused\n');
    expect((await annotations())['rollout.regatta.dev/control']).toBe('pause');
    await regatta('rollout', 'abort', 'guestbook', '--kubeconfig', kubeconfig);
    expect((await annotations())['rollout.regatta.dev/control']).toBe('abort');
    await regatta('rollout', 'resume', 'guestbook', '--kubeconfig', kubeconfig);
    const after = await annotations();
    expect(after['rollout.regatta.dev/control']).toBeUndefined();
    expect(Date.parse(after['rollout.regatta.dev/resumed-at'])).toBeGreaterThan(Date.now() - 60_000);
  });

  it('status prints what sync windows hold', async () => {
    const admin = new ObjectClient(kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'test-user' })));
    const message = 'step 2: 1 Application waiting for sync window "release freeze" (opens 02:00 UTC)';
    await admin.patchStatus('argoproj.io/v1alpha1', 'applicationsets', 'argocd', 'guestbook', {
      rollout: {
        phase: 'Progressing',
        step: 2,
        message,
        waiting: [{ step: 2, applications: 1, windows: ['"release freeze"'], opensAt: '2030-01-07T02:00:00.000Z', message }],
      },
      applicationStatus: [
        {
          application: 'engineering-qa-guestbook',
          status: 'Pending',
          step: '2',
          message: 'Application sync held: waiting for sync window "release freeze" (opens 02:00 UTC)',
        },
      ],
    });
    const run = await regatta('rollout', 'status', 'guestbook', '--kubeconfig', kubeconfig);
    expect(run.stdout).toBe(
      [
        `ApplicationSet argocd/guestbook: Progressing, step 2: ${message}`,
        `  held: ${message}`,
        `  ${'engineering-qa-guestbook'.padEnd(40)} step 2   Pending      Application sync held: waiting for sync window "release freeze" (opens 02:00 UTC)`,
        '',
      ].join('\n'),
    );
    await admin.patchStatus('argoproj.io/v1alpha1', 'applicationsets', 'argocd', 'guestbook', { rollout: null, applicationStatus: null });
  });

  it('status prints what RolloutBudgets hold and the budgets not applied', async () => {
    const admin = new ObjectClient(kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'test-user' })));
    const message = 'step 1: 2 Applications waiting for RolloutBudget "eu" (2/2 syncs in flight)';
    const invalid = 'RolloutBudget "us" is not applied: spec.selector: "Near" is not a valid pod selector operator';
    await admin.patchStatus('argoproj.io/v1alpha1', 'applicationsets', 'argocd', 'guestbook', {
      rollout: { phase: 'Progressing', step: 1, message, budgetWaiting: [{ step: 1, applications: 2, budget: 'eu', message }], invalidBudgets: [invalid] },
    });
    const run = await regatta('rollout', 'status', 'guestbook', '--kubeconfig', kubeconfig);
    expect(run.stdout).toBe([`ApplicationSet argocd/guestbook: Progressing, step 1: ${message}`, `  held: ${message}`, `  ${invalid}`, ''].join('\n'));
    await admin.patchStatus('argoproj.io/v1alpha1', 'applicationsets', 'argocd', 'guestbook', { rollout: null });
  });

  it('status says there is no rollout yet; a missing ApplicationSet exits 1', async () => {
    expect((await regatta('rollout', 'status', 'guestbook', '--kubeconfig', kubeconfig)).stdout).toBe('ApplicationSet argocd/guestbook: no rollout\n');
    const missing = await regatta('rollout', 'pause', 'nope', '--kubeconfig', kubeconfig);
    expect([missing.code, missing.stderr]).toEqual([1, 'regatta rollout pause: ApplicationSet argocd/nope not found\n']);
  });
});

describe('regatta rollout plan with pinRevisions', () => {
  const clusters = ['engineering-dev', 'engineering-qa', 'engineering-prod'];
  let repo: TestRepository;
  let first: string;
  let head: string;
  beforeAll(() => {
    repo = new TestRepository();
    first = repo.commit({ 'guestbook/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: guestbook}\ndata: {colour: blue}\n' });
    head = repo.commit({ 'guestbook/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: guestbook}\ndata: {colour: green}\n' });
  });
  afterAll(() => repo.dispose());

  const pinned = (targetRevision: string, status: string) => `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: guestbook, namespace: argocd}
spec:
  generators:
  - list:
      elements: [${clusters.map((c) => `{cluster: ${c}, env: ${c.replace('engineering', 'env')}}`).join(', ')}]
  strategy:
    type: RollingSync
    rollingSync:
      pinRevisions: true
      steps:
      - matchExpressions: [{key: envLabel, operator: In, values: [env-dev]}]
      - matchExpressions: [{key: envLabel, operator: In, values: [env-qa]}]
      - matchExpressions: [{key: envLabel, operator: In, values: [env-prod]}]
  template:
    metadata:
      name: '{{cluster}}-guestbook'
      labels: {envLabel: '{{env}}'}
    spec:
      project: default
      source: {repoURL: '${repo.url}', targetRevision: ${targetRevision}, path: guestbook}
      destination: {server: 'https://kubernetes.default.svc', namespace: '{{cluster}}'}
      syncPolicy: {automated: {prune: true, selfHeal: true}}
${status}`;

  /** Each Application pinned to the first commit and running it, as the last rollout left them. */
  const runningFirst = () =>
    clusters
      .map(
        (cluster) => `---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: ${cluster}-guestbook, namespace: argocd, labels: {envLabel: ${cluster.replace('engineering', 'env')}}}
spec:
  project: default
  source: {repoURL: '${repo.url}', targetRevision: ${first}, path: guestbook}
  destination: {server: 'https://kubernetes.default.svc', namespace: ${cluster}}
  syncPolicy: {automated: {prune: true, selfHeal: true}}
status:
  sync: {status: Synced, revision: ${first}}
  health: {status: Healthy}
  reconciledAt: '2026-01-01T00:00:00Z'
`,
      )
      .join('');
  const completed = () => `status:
  applicationStatus:
${clusters.map((c, i) => `  - {application: ${c}-guestbook, status: Healthy, step: '${i + 1}', message: done, targetRevisions: [${first}], lastTransitionTime: '2025-12-31T00:00:00Z'}`).join('\n')}
  rollout: {phase: Completed, step: 0, message: rollout complete, updated: [${clusters.map((c) => `${c}-guestbook`).join(', ')}]}
`;

  it('after a push: the first step is pinned to the new commit and synced, the others stay pinned to the commit they run', async () => {
    const run = await regatta(
      'rollout',
      'plan',
      '-f',
      await file('pinned.yaml', pinned('main', completed())),
      '-f',
      await file('pinned-live.yaml', runningFirst()),
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [plan] = JSON.parse(run.stdout);
    expect(plan.syncNow).toEqual(['engineering-dev-guestbook']);
    expect(plan.pins).toEqual([
      { application: 'engineering-dev-guestbook', targetRevisions: [head], automatedHeld: false },
      { application: 'engineering-qa-guestbook', targetRevisions: [first], automatedHeld: false },
      { application: 'engineering-prod-guestbook', targetRevisions: [first], automatedHeld: false },
    ]);
    expect(plan.applicationStatus.map((e: any) => [e.application, e.status, e.targetRevisions])).toEqual([
      ['engineering-dev-guestbook', 'Pending', [head]],
      ['engineering-prod-guestbook', 'Waiting', [head]],
      ['engineering-qa-guestbook', 'Waiting', [head]],
    ]);
  });

  it('a targetRevision that names no commit is an error naming the Application and the field', async () => {
    const run = await regatta('rollout', 'plan', '-f', await file('pinned-missing.yaml', pinned('no-such-branch', '')));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^regatta rollout plan: ApplicationSet guestbook: Application engineering-dev-guestbook: spec\.source\.targetRevision: cannot pin revision 'no-such-branch': unable to resolve 'no-such-branch' to a commit SHA in file:\/\//,
    );
  });
});
