import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regatta } from '../support/cli.js';

const list = `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: guestbook, namespace: argocd}
spec:
  generators:
  - list:
      elements:
      - {cluster: engineering-dev, url: https://1.2.3.4}
  template:
    metadata: {name: '{{cluster}}-guestbook', labels: {team: web}}
    spec:
      project: default
      source: {repoURL: https://github.com/argoproj/argo-cd.git, targetRevision: HEAD, path: 'guestbook/{{cluster}}'}
      destination: {server: '{{url}}', namespace: '{{ missing }}'}
`;

/** A cluster Secret among the inputs, a list × clusters matrix whose cluster `values` read the list's parameter. */
const matrix = `apiVersion: v1
kind: Secret
metadata: {name: cluster-east, namespace: argocd, labels: {argocd.argoproj.io/secret-type: cluster, region: us-east}}
stringData: {name: guestbook-east, server: https://east.example.com}
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: fleet, namespace: argocd}
spec:
  goTemplate: true
  generators:
  - matrix:
      generators:
      - list:
          elements:
          - {app: guestbook, revision: v2}
      - clusters:
          selector: {matchLabels: {region: us-east}}
          values: {tier: 'gold-{{.app}}'}
  template:
    metadata: {name: '{{.name}}', labels: {region: '{{index .metadata.labels "region"}}'}}
    spec:
      project: default
      source: {repoURL: https://github.com/argoproj/argocd-example-apps.git, targetRevision: '{{.revision}}', path: '{{.app}}/{{.values.tier | upper}}'}
      destination: {server: '{{.server}}', namespace: '{{ "web" | upper }}'}
`;

/** The second list overrides the base's `revision` for env=prod only. */
const merge = `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: merged, namespace: argocd}
spec:
  syncPolicy: {preserveResourcesOnDeletion: true}
  generators:
  - merge:
      mergeKeys: [env]
      generators:
      - list: {elements: [{env: dev, revision: main}, {env: prod, revision: main}]}
      - list: {elements: [{env: prod, revision: v1.4.2}]}
  template:
    metadata: {name: 'web-{{env}}'}
    spec:
      project: default
      source: {repoURL: https://github.com/argoproj/argocd-example-apps.git, targetRevision: '{{revision}}', path: web}
      destination: {server: https://kubernetes.default.svc, namespace: web}
`;

/** A map key rendered from a parameter, and a templatePatch adding fields (it may not change spec.project, as in Argo CD). */
const patched = `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: patched, namespace: argocd}
spec:
  goTemplate: true
  generators:
  - list: {elements: [{env: dev, auto: true}]}
  template:
    metadata: {name: 'web-{{.env}}', labels: {'team-{{.env}}': owner}}
    spec:
      project: default
      source: {repoURL: https://github.com/argoproj/argocd-example-apps.git, targetRevision: HEAD, path: web}
      destination: {server: https://kubernetes.default.svc, namespace: web}
  templatePatch: |
    spec:
      {{- if .auto }}
      syncPolicy:
        automated: {prune: true}
      {{- end }}
`;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'regatta-generate-explain-'));
  await writeFile(join(dir, 'list.yaml'), list);
  await writeFile(join(dir, 'matrix.yaml'), matrix);
  await writeFile(join(dir, 'merge.yaml'), merge);
  await writeFile(join(dir, 'patched.yaml'), patched);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('regatta generate --explain', () => {
  it('names, for a list generator, the parameter behind each expression and says which text is literal', async () => {
    const run = await regatta('generate', '-f', join(dir, 'list.yaml'), '--explain');
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toBe(
      [
        'ApplicationSet guestbook: Application engineering-dev-guestbook ← spec.generators[0].list',
        '  metadata.name ← {{cluster}}-guestbook = "engineering-dev-guestbook" (spec.generators[0].list: cluster)',
        '  metadata.labels.team = "web" (literal)',
        '  spec.project = "default" (literal)',
        '  spec.source.repoURL = "https://github.com/argoproj/argo-cd.git" (literal)',
        '  spec.source.targetRevision = "HEAD" (literal)',
        '  spec.source.path ← guestbook/{{cluster}} = "guestbook/engineering-dev" (spec.generators[0].list: cluster)',
        '  spec.destination.server ← {{url}} = "https://1.2.3.4" (spec.generators[0].list: url)',
        // fasttemplate leaves a tag naming no parameter as written
        '  spec.destination.namespace ← {{ missing }} = "{{ missing }}" (missing: no such parameter)',
        `  metadata.namespace = "argocd" (set by the controller: the ApplicationSet's namespace)`,
        '  metadata.finalizers[0] = "resources-finalizer.argocd.argoproj.io" (set by the controller: added unless the template sets finalizers or preserveResourcesOnDeletion is set)',
        '',
      ].join('\n'),
    );
  });

  it("names which child of a matrix produced each parameter, including a cluster's values rendered from the list's", async () => {
    const run = await regatta('generate', '-f', join(dir, 'matrix.yaml'), '--explain');
    expect([run.code, run.stderr]).toEqual([0, '']);
    const clusters = 'spec.generators[0].matrix.generators[1].clusters';
    const listChild = 'spec.generators[0].matrix.generators[0].list';
    expect(run.stdout.split('\n').slice(0, 9)).toEqual([
      'ApplicationSet fleet: Application guestbook-east ← spec.generators[0].matrix',
      `  metadata.name ← {{.name}} = "guestbook-east" (${clusters}: name)`,
      `  metadata.labels.region ← {{index .metadata.labels "region"}} = "us-east" (${clusters}: metadata.labels.region)`,
      '  spec.project = "default" (literal)',
      '  spec.source.repoURL = "https://github.com/argoproj/argocd-example-apps.git" (literal)',
      `  spec.source.targetRevision ← {{.revision}} = "v2" (${listChild}: revision)`,
      `  spec.source.path ← {{.app}}/{{.values.tier | upper}} = "guestbook/GOLD-GUESTBOOK" (${listChild}: app; ${clusters}: values.tier)`,
      `  spec.destination.server ← {{.server}} = "https://east.example.com" (${clusters}: server)`,
      '  spec.destination.namespace ← {{ "web" | upper }} = "WEB" (no parameter)',
    ]);
  });

  it('names the merge child whose value won: the override for the Application it matched, the base otherwise', async () => {
    const run = await regatta('generate', '-f', join(dir, 'merge.yaml'), '--explain');
    expect([run.code, run.stderr]).toEqual([0, '']);
    const revisions = run.stdout.split('\n').filter((line) => line.includes('targetRevision'));
    expect(revisions).toEqual([
      '  spec.source.targetRevision ← {{revision}} = "main" (spec.generators[0].merge.generators[0].list: revision)',
      '  spec.source.targetRevision ← {{revision}} = "v1.4.2" (spec.generators[0].merge.generators[1].list: revision)',
    ]);
    // preserveResourcesOnDeletion: no finalizer is added, so none is explained.
    expect(run.stdout).not.toContain('metadata.finalizers');
  });

  it('says which fields a templatePatch set and which map key a parameter named', async () => {
    const run = await regatta('generate', '-f', join(dir, 'patched.yaml'), '--explain');
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toBe(
      [
        'ApplicationSet patched: Application web-dev ← spec.generators[0].list',
        '  metadata.name ← web-{{.env}} = "web-dev" (spec.generators[0].list: env)',
        '  metadata.labels["team-{{.env}}"] ← team-{{.env}} (spec.generators[0].list: env)',
        '  spec.project = "default" (literal)',
        '  spec.source.repoURL = "https://github.com/argoproj/argocd-example-apps.git" (literal)',
        '  spec.source.targetRevision = "HEAD" (literal)',
        '  spec.source.path = "web" (literal)',
        '  spec.destination.server = "https://kubernetes.default.svc" (literal)',
        '  spec.destination.namespace = "web" (literal)',
        `  metadata.namespace = "argocd" (set by the controller: the ApplicationSet's namespace)`,
        '  metadata.finalizers[0] = "resources-finalizer.argocd.argoproj.io" (set by the controller: added unless the template sets finalizers or preserveResourcesOnDeletion is set)',
        '  spec.syncPolicy.automated.prune = true (spec.templatePatch)',
        '',
      ].join('\n'),
    );
  });
});
