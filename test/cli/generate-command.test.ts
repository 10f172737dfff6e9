import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { regatta } from '../support/cli.js';

let dir: string;

const IN_CLUSTER_DISABLED = `apiVersion: v1
kind: ConfigMap
metadata: {name: argocd-cm, namespace: argocd}
data: {cluster.inClusterEnabled: "false"}
---
`;

const WEB_PROJECT = `apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: web, namespace: argocd}
spec: {sourceRepos: ['*'], destinations: [{server: '*', namespace: '*'}]}
---
`;

const guestbook = `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: guestbook, namespace: argocd}
spec:
  generators:
  - list:
      elements:
      - {cluster: engineering-dev, url: https://1.2.3.4}
      - {cluster: engineering-prod, url: https://2.4.6.8}
  template:
    metadata: {name: '{{cluster}}-guestbook'}
    spec:
      project: default
      source: {repoURL: https://github.com/argoproj/argo-cd.git, targetRevision: HEAD, path: 'guestbook/{{cluster}}'}
      destination: {server: '{{url}}', namespace: guestbook}
`;

const goTemplated = `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: typed}
spec:
  goTemplate: true
  generators:
  - list: {elements: [{name: web, replicas: 2}]}
  template:
    metadata: {name: '{{.name}}'}
    spec: {project: default, destination: {server: https://kubernetes.default.svc, namespace: '{{.name}}'}}
`;

const broken = `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: broken}
spec:
  generators:
  - list: {elements: [{cluster: a}]}
  - list: {elements: [{cluster: [not, a, string]}]}
  template:
    metadata: {name: '{{cluster}}'}
    spec: {project: default, destination: {server: https://kubernetes.default.svc}}
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'regatta-generate-'));
  await writeFile(join(dir, 'guestbook.yaml'), guestbook);
  await mkdir(join(dir, 'nested', 'deeper'), { recursive: true });
  await writeFile(join(dir, 'nested', 'deeper', 'typed.yml'), goTemplated);
  await writeFile(join(dir, 'nested', 'notes.txt'), 'not a manifest');
  await writeFile(join(dir, 'broken.yaml'), broken);
  await writeFile(join(dir, 'invalid.yaml'), 'kind: ApplicationSet\nmetadata: {name: invalid}\nspec: {generators: {}, goTemplate: "yes please"}\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('regatta generate', () => {
  it('prints the generated Applications as a multi-document YAML stream', async () => {
    const run = await regatta('generate', '-f', join(dir, 'guestbook.yaml'));
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const docs = YAML.parseAllDocuments(run.stdout).map((d) => d.toJS());
    expect(docs.map((d) => d.metadata.name)).toEqual(['engineering-dev-guestbook', 'engineering-prod-guestbook']);
    expect(docs[1]).toEqual({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'engineering-prod-guestbook', namespace: 'argocd', finalizers: ['resources-finalizer.argocd.argoproj.io'] },
      spec: {
        project: 'default',
        source: { repoURL: 'https://github.com/argoproj/argo-cd.git', targetRevision: 'HEAD', path: 'guestbook/engineering-prod' },
        destination: { server: 'https://2.4.6.8', namespace: 'guestbook' },
      },
    });
  });

  it('prints a JSON array with -o json, reading several -f inputs in order', async () => {
    const run = await regatta('generate', '-f', join(dir, 'guestbook.yaml'), '-f', join(dir, 'nested'), '-o', 'json');
    expect(run.code).toBe(0);
    const apps = JSON.parse(run.stdout);
    expect(apps.map((a: { metadata: { name: string; namespace: string } }) => `${a.metadata.namespace}/${a.metadata.name}`)).toEqual([
      'argocd/engineering-dev-guestbook',
      'argocd/engineering-prod-guestbook',
      'argocd/web',
    ]);
  });

  it('prints what each template sees with --params: flat in fasttemplate mode, nested in goTemplate mode', async () => {
    const run = await regatta('generate', '-f', join(dir, 'guestbook.yaml'), '-f', join(dir, 'nested'), '--params', '-o', 'json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([
      {
        applicationSet: 'guestbook',
        params: [
          { cluster: 'engineering-dev', url: 'https://1.2.3.4' },
          { cluster: 'engineering-prod', url: 'https://2.4.6.8' },
        ],
      },
      { applicationSet: 'typed', params: [{ name: 'web', replicas: 2 }] },
    ]);
  });

  it('exits 1 naming the file, ApplicationSet, generator and field, and still prints the others', async () => {
    const run = await regatta('generate', '-f', dir, '-o', 'json');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `${join(dir, 'broken.yaml')}: ApplicationSet broken: spec.generators[1].list.elements[0].cluster: error parsing value as string`,
    );
    expect(run.stderr).toContain(
      `${join(dir, 'invalid.yaml')}: ApplicationSet invalid: spec.generators: Invalid value: "object": spec.generators in body must be of type array`,
    );
    expect(run.stderr).toContain('spec.goTemplate: Invalid value: "string": spec.goTemplate in body must be of type boolean');
    expect(run.stderr).toContain('spec.template: Required value');
    const names = JSON.parse(run.stdout).map((a: { metadata: { name: string } }) => a.metadata.name);
    expect(names).toEqual(['engineering-dev-guestbook', 'engineering-prod-guestbook', 'web']);
  });

  it('exits 2 on usage errors', async () => {
    expect((await regatta('generate')).code).toBe(2);
    expect((await regatta('generate', '-f', join(dir, 'guestbook.yaml'), '-o', 'xml')).code).toBe(2);
    expect((await regatta('generate', '--bogus')).code).toBe(2);
    const missing = await regatta('generate', '-f', join(dir, 'does-not-exist.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('does-not-exist.yaml: no such file or directory');
    expect((await regatta('no-such-command')).code).toBe(2);
  });

  it('exits 1 with the file named when a file is not valid YAML', async () => {
    const bad = join(dir, '..', `${Date.now()}-bad.yaml`);
    await writeFile(bad, 'kind: [unclosed');
    try {
      const run = await regatta('generate', '-f', bad);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`${bad}: cannot parse`);
    } finally {
      await rm(bad);
    }
  });
});

describe('regatta generate --kubeconfig', () => {
  it('reads cluster Secrets from the live management cluster', async () => {
    const { SimFleet } = await import('../../src/sim/sim-fleet.js');
    const fleet = await SimFleet.start({ clusters: [{ name: 'prod-eu-1', labels: { env: 'prod' } }] });
    try {
      const store = fleet.cluster();
      store.create(store.typeForKind('v1', 'Secret')!, 'argocd', fleet.clusterSecret('prod-eu-1'), 'test');
      const kubeconfig = join(dir, 'sim.kubeconfig');
      await writeFile(kubeconfig, fleet.kubeconfig());
      const appSet = join(dir, 'fleet-appset.yaml');
      await writeFile(
        appSet,
        `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: fleet, namespace: argocd}
spec:
  goTemplate: true
  generators: [{clusters: {selector: {matchLabels: {env: prod}}}}]
  template:
    metadata: {name: 'web-{{.name}}'}
    spec: {project: default, destination: {server: '{{.server}}', namespace: web}}
`,
      );
      const run = await regatta('generate', '-f', appSet, '--kubeconfig', kubeconfig, '-o', 'json');
      expect(run.stderr).toBe('');
      expect(
        JSON.parse(run.stdout).map((a: { metadata: { name: string }; spec: { destination: { server: string } } }) => [
          a.metadata.name,
          a.spec.destination.server,
        ]),
      ).toEqual([['web-prod-eu-1', fleet.server('prod-eu-1')]]);
      expect(fleet.counters().writes).toBe(0);
    } finally {
      await fleet.stop();
    }
  });
});

describe('regatta generate with AppProjects among the inputs', () => {
  it("checks each Application's project as the controller does: reported, left out, exit 1", async () => {
    const file = join(dir, 'projects.yaml');
    await writeFile(
      file,
      `${WEB_PROJECT}apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: teams, namespace: argocd}
spec:
  goTemplate: true
  generators: [{list: {elements: [{app: shop, project: web}, {app: ghost, project: missing}]}}]
  template:
    metadata: {name: '{{.app}}'}
    spec: {project: '{{.project}}', destination: {server: https://kubernetes.default.svc, namespace: '{{.app}}'}}
`,
    );
    const run = await regatta('generate', '-f', file, '-o', 'json');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `regatta generate: ${file}: ApplicationSet teams: Application ghost: spec.project: application references project missing which does not exist\n`,
    );
    expect(JSON.parse(run.stdout).map((a: { metadata: { name: string } }) => a.metadata.name)).toEqual(['shop']);
  });
});

describe('regatta generate with argocd-cm', () => {
  it('reports Applications for a local cluster that argocd-cm disables, and prints the rest', async () => {
    const file = join(dir, 'in-cluster-disabled.yaml');
    await writeFile(
      file,
      `${IN_CLUSTER_DISABLED}apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: local, namespace: argocd}
spec:
  generators: [{clusters: {}}, {list: {elements: [{name: remote, server: 'https://remote.example.com'}]}}]
  template:
    metadata: {name: 'app-{{name}}'}
    spec: {project: default, destination: {server: '{{server}}', namespace: x}}
`,
    );
    const run = await regatta('generate', '-f', file, '-o', 'json');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'ApplicationSet local: Application app-in-cluster: spec.destination: application destination spec is invalid: error getting cluster by server "https://kubernetes.default.svc": rpc error: code = NotFound desc = cluster "https://kubernetes.default.svc" is disabled',
    );
    expect(JSON.parse(run.stdout).map((a: { metadata: { name: string } }) => a.metadata.name)).toEqual(['app-remote']);
  });
});

// `--params` shows what generators produced: in Argo CD, GenerateApplications
// (applicationset/controllers/template/template.go) renders each parameter set after every
// generator has produced them, and the ApplicationSet controller validates the rendered
// Applications afterwards (validateGeneratedApplications: destination, project; names in
// applicationset_controller.go). None of that changes the parameter sets themselves.
describe('regatta generate --params when Applications are invalid', () => {
  const params = async (name: string, yaml: string) => {
    const file = join(dir, `${name}.yaml`);
    await writeFile(file, yaml);
    return regatta('generate', '-f', file, '--params', '-o', 'json');
  };

  it('prints the parameter sets of Applications with duplicate names, the duplicate on stderr, exit 1', async () => {
    const run = await params(
      'params-duplicates',
      `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: twins, namespace: argocd}
spec:
  generators: [{list: {elements: [{app: web, env: dev}, {app: web, env: prod}]}}]
  template:
    metadata: {name: '{{app}}'}
    spec: {project: default, destination: {server: https://kubernetes.default.svc, namespace: '{{env}}'}}
`,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ApplicationSet twins: spec.template.metadata.name: ApplicationSet twins contains applications with duplicate name: web');
    expect(JSON.parse(run.stdout)).toEqual([
      {
        applicationSet: 'twins',
        params: [
          { app: 'web', env: 'dev' },
          { app: 'web', env: 'prod' },
        ],
      },
    ]);
  });

  it('prints the parameter sets of Applications whose destination or project does not resolve, with those on stderr', async () => {
    const run = await params(
      'params-destinations',
      `${IN_CLUSTER_DISABLED}${WEB_PROJECT}apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: places, namespace: argocd}
spec:
  generators: [{list: {elements: [{app: here, server: https://kubernetes.default.svc, project: web}, {app: there, server: https://remote.example.com, project: gone}, {app: fine, server: https://remote.example.com, project: web}]}}]
  template:
    metadata: {name: '{{app}}'}
    spec: {project: '{{project}}', destination: {server: '{{server}}', namespace: x}}
`,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ApplicationSet places: Application here: spec.destination: application destination spec is invalid');
    expect(run.stderr).toContain('ApplicationSet places: Application there: spec.project: application references project gone which does not exist');
    expect(JSON.parse(run.stdout)).toEqual([
      {
        applicationSet: 'places',
        params: [
          { app: 'here', server: 'https://kubernetes.default.svc', project: 'web' },
          { app: 'there', server: 'https://remote.example.com', project: 'gone' },
          { app: 'fine', server: 'https://remote.example.com', project: 'web' },
        ],
      },
    ]);
  });

  it('prints every parameter set, from every generator, when one of them fails to render', async () => {
    const run = await params(
      'params-render',
      `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: strict, namespace: argocd}
spec:
  goTemplate: true
  goTemplateOptions: [missingkey=error]
  generators:
  - list: {elements: [{app: web, team: blue}, {app: api}]}
  - list: {elements: [{app: db, team: red}]}
  template:
    metadata: {name: '{{.app}}-{{.team}}'}
    spec: {project: default, destination: {server: https://kubernetes.default.svc, namespace: x}}
`,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ApplicationSet strict: spec.template.metadata.name:');
    expect(run.stderr).toContain('map has no entry for key "team"');
    expect(JSON.parse(run.stdout)).toEqual([{ applicationSet: 'strict', params: [{ app: 'web', team: 'blue' }, { app: 'api' }, { app: 'db', team: 'red' }] }]);
  });

  it('prints nothing for an ApplicationSet whose generator failed, as its parameter sets are not known', async () => {
    const run = await params(
      'params-generator-failure',
      `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: half, namespace: argocd}
spec:
  generators:
  - list: {elements: [{app: web}]}
  - {}
  template:
    metadata: {name: '{{app}}'}
    spec: {project: default, destination: {server: https://kubernetes.default.svc, namespace: x}}
`,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ApplicationSet half: spec.generators[1]: ApplicationSet half contains unrecognized generators');
    expect(JSON.parse(run.stdout)).toEqual([]);
  });
});

// Argo CD reads cluster Secrets only in its own namespace: ClusterGenerator.getSecretsByClusterName
// (applicationset/generators/cluster.go) lists them with client.InNamespace(g.namespace), and
// db.ListClusters (util/db/cluster.go) reads NewClusterInformer(clientset, namespace)
// (util/settings/cluster_informer.go). A Secret elsewhere is no cluster.
describe('regatta generate with cluster Secrets outside the namespace', () => {
  it("ignores a cluster Secret outside Argo CD's namespace, naming it on stderr", async () => {
    const secret = (name: string, namespace: string | undefined, server: string) => `apiVersion: v1
kind: Secret
metadata: {name: ${name},${namespace ? ` namespace: ${namespace},` : ''} labels: {argocd.argoproj.io/secret-type: cluster}}
stringData: {name: ${name}, server: '${server}'}
`;
    const file = join(dir, 'scoped-clusters.yaml');
    await writeFile(
      file,
      [
        secret('prod', 'argocd', 'https://prod.example.com'),
        secret('defaulted', undefined, 'https://defaulted.example.com'),
        secret('sneaky', 'team-a', 'https://sneaky.example.com'),
        `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: fleet, namespace: argocd}
spec:
  generators: [{clusters: {}}]
  template:
    metadata: {name: 'web-{{name}}'}
    spec: {project: default, destination: {server: '{{server}}', namespace: web}}
`,
      ].join('---\n'),
    );
    const run = await regatta('generate', '-f', file, '-o', 'json');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("regatta generate: warning: cluster Secret team-a/sneaky is ignored: cluster Secrets count only in Argo CD's namespace argocd\n");
    expect(JSON.parse(run.stdout).map((a: { metadata: { name: string } }) => a.metadata.name)).toEqual(['web-defaulted', 'web-prod', 'web-in-cluster']);

    // A Secret without a namespace is in the namespace given, as `kubectl apply -n` would put it.
    const elsewhere = await regatta('generate', '-f', file, '-o', 'json', '--params', '--namespace', 'team-a');
    expect(elsewhere.code).toBe(0);
    expect(elsewhere.stderr).toContain('cluster Secret argocd/prod is ignored');
    expect(elsewhere.stderr).not.toContain('team-a/sneaky');
    expect(JSON.parse(elsewhere.stdout)[0].params.map((p: { name: string }) => p.name)).toEqual(['defaulted', 'sneaky', 'in-cluster']);
  });
});

describe('regatta generate with a Git generator', () => {
  it('reads the repository named in the spec', async () => {
    const { TestRepository } = await import('../support/git-fixtures.js');
    const repo = new TestRepository('cli');
    repo.commit({ 'apps/api/app.yaml': 'kind: A\n', 'apps/web/app.yaml': 'kind: B\n' });
    process.env.REGATTA_GIT_CACHE_DIR = join(dir, 'git-cache');
    try {
      const file = join(dir, 'git-appset.yaml');
      await writeFile(
        file,
        `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: dirs, namespace: argocd}
spec:
  goTemplate: true
  generators: [{git: {repoURL: '${repo.url}', revision: HEAD, directories: [{path: 'apps/*'}]}}]
  template:
    metadata: {name: '{{.path.basename}}'}
    spec: {project: default, source: {repoURL: '${repo.url}', path: '{{.path.path}}'}, destination: {server: https://kubernetes.default.svc, namespace: '{{.path.basename}}'}}
`,
      );
      const run = await regatta('generate', '-f', file, '--params', '-o', 'json');
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)[0].params.map((p: { path: { path: string } }) => p.path.path)).toEqual(['apps/api', 'apps/web']);
    } finally {
      delete process.env.REGATTA_GIT_CACHE_DIR;
      repo.dispose();
    }
  });
});

describe('regatta generate with an SCM Provider generator', () => {
  it("lists the organization's repositories with the token a Secret among the inputs holds", async () => {
    const { FakeScmRepositories } = await import('../support/fake-scm-repositories.js');
    const token = 'cli_scm_t0ken';
    const scm = await FakeScmRepositories.start({ myorg: [{ name: 'api', id: 7, defaultBranch: 'main', branches: { main: 'c'.repeat(40) } }] }, token);
    try {
      const file = join(dir, 'scm-appset.yaml');
      await writeFile(
        file,
        `apiVersion: v1
kind: Secret
metadata: {name: gitea-token, namespace: argocd}
stringData: {token: ${token}}
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: repos, namespace: argocd}
spec:
  generators: [{scmProvider: {gitea: {owner: myorg, api: '${scm.base}', tokenRef: {secretName: gitea-token, key: token}}}}]
  template:
    metadata: {name: '{{repository}}-{{short_sha}}'}
    spec: {project: default, source: {repoURL: '{{url}}', targetRevision: '{{branch}}'}, destination: {server: https://kubernetes.default.svc, namespace: '{{repository}}'}}
`,
      );
      const run = await regatta('generate', '-f', file, '-o', 'json');
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout).map((a: { metadata: { name: string } }) => a.metadata.name)).toEqual(['api-cccccccc']);
    } finally {
      await scm.stop();
    }
  });
});
