import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Secret } from '../../src/api/meta.js';
import { ManifestSecretReader } from '../../src/cli/manifest-secrets.js';
import { ScmProviders } from '../../src/scm/scm-provider-service.js';
import { OPEN_SCM_POLICY, type ScmPolicy } from '../../src/scm/scm-policy.js';
import { githubApp } from '../support/fake-scm.js';
import { FakeScmRepositories, type FakeRepository } from '../support/fake-scm-repositories.js';
import { generate, offlineContext } from '../support/generation.js';
import { docsTemplateAppSet as goAppSet } from '../support/scm-provider-appset.js';

const TOKEN = 'scm_s3cr3tT0ken';
const sha = (digit: string) => digit.repeat(40);
const myorg: FakeRepository[] = [
  {
    name: 'myapp-api',
    id: 101,
    defaultBranch: 'main',
    branches: { main: sha('1'), 'feature/New_UI': sha('2') },
    files: ['kubernetes/kustomization.yaml'],
    topics: ['deploy-ok', 'team-a'],
  },
  { name: 'myapp-web', id: 102, defaultBranch: 'main', branches: { main: sha('3') }, files: ['kubernetes/kustomization.yaml'] },
  { name: 'otherapp-db', id: 103, defaultBranch: 'trunk', branches: { trunk: sha('4') }, files: ['helm/Chart.yaml'], topics: ['deploy-ok'] },
  { name: 'otherapp-cache', id: 104, defaultBranch: 'main', branches: { main: sha('5') }, files: ['helm/Chart.yaml', 'disabledrepo.txt'] },
  { name: 'old-service', id: 105, defaultBranch: 'main', branches: { main: sha('6') }, archived: true },
];
const emptyorg: FakeRepository[] = [
  { name: 'empty', id: 201, defaultBranch: 'main', branches: {} },
  { name: 'full', id: 202, defaultBranch: 'main', branches: { main: sha('7') } },
];
// More repositories than one Gitea page (50) holds.
const bigorg: FakeRepository[] = Array.from({ length: 53 }, (_, i) => ({
  name: `svc-${String(i).padStart(2, '0')}`,
  id: 1000 + i,
  defaultBranch: 'main',
  branches: { main: sha('a') },
}));

let scm: FakeScmRepositories;
const secret = (name: string, labels?: Record<string, string>): Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'argocd', labels },
  data: { token: Buffer.from(TOKEN).toString('base64') },
});
const context = (policy: Partial<ScmPolicy> = {}) => {
  const secrets = new ManifestSecretReader([secret('scm-token'), secret('labelled-token', { 'argocd.argoproj.io/secret-type': 'scm-creds' })], 'argocd');
  return offlineContext({
    scmProviders: new ScmProviders(secrets, { policy: { ...OPEN_SCM_POLICY, ...policy }, budget: { maxWaitMs: 3000, attempts: 3 } }),
    secrets,
  });
};

beforeAll(async () => {
  scm = await FakeScmRepositories.start({ myorg, emptyorg, bigorg }, TOKEN);
});
afterAll(async () => {
  await scm.stop();
});

const tokenRef = '        tokenRef: {secretName: scm-token, key: token}';
const provider = {
  github: (org = 'myorg', extra = '') => `      github:\n        organization: ${org}\n        api: ${scm.base}/\n${tokenRef}\n${extra}`,
  gitlab: (org = 'myorg', extra = '') => `      gitlab:\n        group: ${org}\n        api: ${scm.base}\n${tokenRef}\n${extra}`,
  gitea: (org = 'myorg', extra = '') => `      gitea:\n        owner: ${org}\n        api: ${scm.base}\n${tokenRef}\n${extra}`,
};

const names = (result: Awaited<ReturnType<typeof generate>>) => {
  expect(result.failure).toBeUndefined();
  return result.generated.map((g) => g.application.metadata.name);
};

describe('SCM Provider generator (Generators-SCM-Provider.md)', () => {
  it("lists a GitHub organization across pages, one Application per repository's default branch, with Argo CD's parameters", async () => {
    scm.requests.length = 0;
    const result = await generate(goAppSet(provider.github()), context());
    expect(names(result)).toEqual(['myapp-api', 'myapp-web', 'otherapp-db', 'otherapp-cache', 'old-service']);
    expect(result.generated[0].params).toEqual({
      organization: 'myorg',
      repository: 'myapp-api',
      repository_id: 101,
      url: 'git@scm.example.com:myorg/myapp-api.git',
      branch: 'main',
      sha: sha('1'),
      short_sha: '11111111',
      short_sha_7: '1111111',
      labels: 'deploy-ok,team-a',
      branchNormalized: 'main',
    });
    expect(result.generated[2].application.spec.source?.targetRevision).toBe('trunk');
    // An Enterprise `api` at the server's root is reached under /api/v3, every page by its Link.
    expect(scm.requests.filter((r) => r.startsWith('/api/v3/orgs/'))).toEqual([
      '/api/v3/orgs/myorg/repos?per_page=100',
      '/api/v3/orgs/myorg/repos?per_page=100&page=2',
      '/api/v3/orgs/myorg/repos?per_page=100&page=3',
    ]);
    expect(result.requeueAfterSeconds).toBe(1800);
  });

  it('with allBranches, excludeArchivedRepos, cloneProtocol https and branchMatch gives the matching branches of live repositories', async () => {
    const result = await generate(
      goAppSet(`      cloneProtocol: https
${provider.github('myorg', '        allBranches: true\n        excludeArchivedRepos: true')}
      filters:
      - branchMatch: ^feature/`),
      context(),
    );
    expect(result.failure).toBeUndefined();
    expect(result.generated.map((g) => [g.params.repository, g.params.branch, g.params.branchNormalized, g.params.url, g.params.sha])).toEqual([
      ['myapp-api', 'feature/New_UI', 'feature-new-ui', 'https://scm.example.com/myorg/myapp-api.git', sha('2')],
    ]);
    const all = await generate(goAppSet(provider.github('myorg', '        allBranches: true\n        excludeArchivedRepos: true')), context());
    expect(all.generated.map((g) => `${g.params.repository}@${g.params.branch}`)).toEqual([
      'myapp-api@main',
      'myapp-api@feature/New_UI',
      'myapp-web@main',
      'otherapp-db@trunk',
      'otherapp-cache@main',
    ]);
  });

  for (const kind of ['github', 'gitlab', 'gitea'] as const) {
    it(`applies the Filters example on ${kind}: conditions of one filter ANDed, filters ORed, paths checked through the API`, async () => {
      const result = await generate(
        goAppSet(`${provider[kind]()}
      filters:
      - repositoryMatch: ^myapp
        pathsExist: [kubernetes/kustomization.yaml]
        labelMatch: deploy-ok
      - repositoryMatch: ^otherapp
        pathsExist: [helm/]
        pathsDoNotExist: [disabledrepo.txt]`),
        context(),
      );
      expect(names(result)).toEqual(['myapp-api', 'otherapp-db']);
    });
  }

  it('stages filters as Argo CD does: name and label filters choose repositories, branch and path filters then choose branches', async () => {
    // Either filter alone would keep myapp-api, otherapp-db (labelled) and every repository on main;
    // staged, a repository must pass the label filter and its branch the branch filter.
    const result = await generate(goAppSet(`${provider.github()}\n      filters:\n      - labelMatch: deploy-ok\n      - branchMatch: ^main$`), context());
    expect(names(result)).toEqual(['myapp-api']);
  });

  it('passes `values` and comma-joined labels in fasttemplate mode, which, as Argo CD, leaves the numeric repository_id unreplaced', async () => {
    const result = await generate(
      `
kind: ApplicationSet
metadata: {name: myapps, namespace: argocd}
spec:
  generators:
  - scmProvider:
${provider.github()}
      filters:
      - labelMatch: team-a
      values:
        name: "{{organization}}-{{repository}}"
  template:
    metadata:
      name: '{{values.name}}'
      annotations: {labels: '{{labels}}', short: '{{short_sha_7}}', id: '{{repository_id}}'}
    spec:
      source: {repoURL: '{{url}}', targetRevision: '{{sha}}', path: kubernetes/}
      project: default
      destination: {server: https://kubernetes.default.svc, namespace: default}
`,
      context(),
    );
    expect(names(result)).toEqual(['myorg-myapp-api']);
    expect(result.generated[0].application.metadata.annotations).toEqual({ labels: 'deploy-ok,team-a', short: '1111111', id: '{{repository_id}}' });
    expect(result.generated[0].application.spec.source?.targetRevision).toBe(sha('1'));
  });

  it("reads a GitLab group with Argo CD's query, topics as labels, x-next-page paging and the https clone URL", async () => {
    scm.requests.length = 0;
    const result = await generate(goAppSet(`      cloneProtocol: https\n${provider.gitlab()}`), context());
    expect(names(result)).toEqual(['myapp-api', 'myapp-web', 'otherapp-db', 'otherapp-cache', 'old-service']);
    expect(result.generated[0].params).toMatchObject({
      organization: 'myorg',
      url: 'https://scm.example.com/myorg/myapp-api.git',
      labels: 'deploy-ok,team-a',
      repository_id: 101,
    });
    expect(scm.requests.filter((r) => r.includes('/groups/'))).toEqual([
      '/api/v4/groups/myorg/projects?per_page=100&include_subgroups=false&with_shared=true&topic=&page=1',
      '/api/v4/groups/myorg/projects?per_page=100&include_subgroups=false&with_shared=true&topic=&page=2',
      '/api/v4/groups/myorg/projects?per_page=100&include_subgroups=false&with_shared=true&topic=&page=3',
    ]);
    const topic = await generate(
      goAppSet(provider.gitlab('myorg', '        topic: deploy-ok\n        includeSubgroups: true\n        includeSharedProjects: false')),
      context(),
    );
    expect(names(topic)).toEqual(['myapp-api', 'otherapp-db']);
    // Argo CD asks for archived=true, which GitLab answers with the archived projects only.
    const archived = await generate(goAppSet(provider.gitlab('myorg', '        includeArchivedRepos: true')), context());
    expect(names(archived)).toEqual(['old-service']);
  });

  it('reads a Gitea owner over several pages, its labels from the labels API, html_url for https', async () => {
    scm.requests.length = 0;
    const result = await generate(goAppSet(`      cloneProtocol: https\n${provider.gitea('bigorg')}`), context());
    expect(result.generated).toHaveLength(53);
    expect(result.generated[52].params).toMatchObject({ repository: 'svc-52', url: 'https://scm.example.com/bigorg/svc-52', repository_id: 1052 });
    expect(scm.requests.filter((r) => r.startsWith('/api/v1/orgs/'))).toEqual([
      '/api/v1/orgs/bigorg/repos?page=1&limit=50',
      '/api/v1/orgs/bigorg/repos?page=2&limit=50',
    ]);
    const labelled = await generate(
      goAppSet(`${provider.gitea('myorg', '        excludeArchivedRepos: true')}\n      filters:\n      - labelMatch: ^team-`),
      context(),
    );
    expect(names(labelled)).toEqual(['myapp-api']);
    expect(labelled.generated[0].params).toMatchObject({ labels: 'deploy-ok,team-a', url: 'git@scm.example.com:myorg/myapp-api.git' });
  });

  it('skips an empty repository on GitHub and GitLab; Gitea fails on its missing default branch, as in Argo CD', async () => {
    expect(names(await generate(goAppSet(provider.github('emptyorg')), context()))).toEqual(['full']);
    expect(names(await generate(goAppSet(provider.gitlab('emptyorg')), context()))).toEqual(['full']);
    const gitea = await generate(goAppSet(provider.gitea('emptyorg')), context());
    expect(gitea.generated).toEqual([]);
    expect(gitea.failure?.message).toMatch(/^error listing repos: got 404 while getting default branch "main" for repo "empty" - check your repo config: /);
  });

  it('fails, generating nothing, for a missing organization, a wrong token, an unknown clone protocol or a long rate limit', async () => {
    const failures = async (yaml: string) => {
      const result = await generate(yaml, context());
      expect(result.generated).toEqual([]);
      expect(result.failure?.field).toBe('spec.generators[0].scmProvider');
      expect(result.failure?.message).not.toContain(TOKEN);
      return result.failure?.message;
    };
    expect(await failures(goAppSet(provider.github('nosuchorg')))).toBe('error listing repos: error listing repositories for nosuchorg: HTTP 404');
    expect(await failures(goAppSet(provider.gitlab('nosuchorg')))).toBe('error listing repos: error listing projects for nosuchorg: HTTP 404 Not Found');
    expect(await failures(goAppSet(provider.gitea('nosuchorg')))).toBe('error listing repos: Gitea repositories of nosuchorg: HTTP 404 Not Found');
    expect(await failures(goAppSet(provider.github().replace(tokenRef, '')))).toBe('error listing repos: error listing repositories for myorg: HTTP 401');
    expect(await failures(goAppSet(`      cloneProtocol: ftp\n${provider.github()}`))).toBe('error listing repos: unknown clone protocol for GitHub ftp');
    expect(await failures(goAppSet(`      cloneProtocol: ftp\n${provider.gitlab()}`))).toBe('error listing repos: unknown clone protocol for Gitlab ftp');
    scm.behaviour = { rateLimited: 5, resetInSeconds: 3600 };
    try {
      expect(await failures(goAppSet(provider.gitea()))).toMatch(
        /^error listing repos: Gitea repositories of myorg: rate limited \(HTTP 403\); the provider allows more requests in 36\d\d s$/,
      );
    } finally {
      scm.behaviour = {};
    }
  });

  it('stops reading an answer larger than 8 MiB and fails', async () => {
    scm.behaviour = { oversized: true };
    try {
      expect((await generate(goAppSet(provider.github()), context())).failure?.message).toBe(
        'error listing repos: error listing repositories for myorg: the answer is larger than 8388608 bytes',
      );
      expect((await generate(goAppSet(provider.gitlab()), context())).failure?.message).toBe(
        'error listing repos: error listing projects for myorg: the answer is larger than 8388608 bytes',
      );
    } finally {
      scm.behaviour = {};
    }
  });

  it('gives up on a request that gets no answer within the request timeout', async () => {
    const secrets = new ManifestSecretReader([secret('scm-token')], 'argocd');
    const impatient = offlineContext({
      scmProviders: new ScmProviders(secrets, { budget: { maxWaitMs: 0, attempts: 1, requestTimeoutMs: 300 } }),
      secrets,
    });
    const { generateSimTls } = await import('../../src/sim/sim-tls.js');
    const secure = await FakeScmRepositories.start({ myorg }, TOKEN, generateSimTls());
    scm.behaviour = { hang: true };
    secure.behaviour = { hang: true };
    try {
      expect((await generate(goAppSet(provider.github()), impatient)).failure?.message).toBe(
        'error listing repos: error listing repositories for myorg: no answer within 1 s',
      );
      expect((await generate(goAppSet(provider.gitlab()), impatient)).failure?.message).toBe(
        'error listing repos: error listing projects for myorg: no answer within 1 s',
      );
      const insecureGitea = goAppSet(provider.gitea('myorg', '        insecure: true').replace(scm.base, secure.base));
      expect((await generate(insecureGitea, impatient)).failure?.message).toBe('error listing repos: Gitea repositories of myorg: no answer within 1 s');
    } finally {
      scm.behaviour = {};
      await secure.stop();
    }
  });

  it('waits out a short rate limit on each provider and then lists everything', async () => {
    for (const kind of ['github', 'gitlab', 'gitea'] as const) {
      scm.behaviour = { rateLimited: 1, resetInSeconds: 1 };
      try {
        expect(names(await generate(goAppSet(provider[kind]()), context()))).toHaveLength(5);
      } finally {
        scm.behaviour = {};
      }
    }
  });

  it('tries a brief 503 again on each provider, and fails the generation on a lasting 500, never reading it as no repositories', async () => {
    const patient = () => {
      const secrets = new ManifestSecretReader([secret('scm-token')], 'argocd');
      return offlineContext({ scmProviders: new ScmProviders(secrets, { budget: { maxWaitMs: 3000, attempts: 3, serverErrorBackoffMs: 10 } }), secrets });
    };
    const lasting = {
      github: 'error listing repos: error listing repositories for myorg: HTTP 500',
      gitlab: 'error listing repos: error listing projects for myorg: HTTP 500 Internal Server Error',
      gitea: 'error listing repos: Gitea repositories of myorg: HTTP 500 Internal Server Error',
    };
    for (const kind of ['github', 'gitlab', 'gitea'] as const) {
      try {
        scm.behaviour = { unavailable: 1 };
        expect(names(await generate(goAppSet(provider[kind]()), patient())), kind).toHaveLength(5);
        scm.behaviour = { serverError: true };
        const result = await generate(goAppSet(provider[kind]()), patient());
        expect(result.generated).toEqual([]);
        expect(result.failure?.message).toBe(lasting[kind]);
      } finally {
        scm.behaviour = {};
      }
    }
  });

  it('authenticates as a GitHub App from appSecretName: JWT, installation token, then the API', async () => {
    const { publicKey, secret: appSecret } = githubApp('gh-app-repo-creds');
    scm.appPublicKey = publicKey;
    const secrets = new ManifestSecretReader([appSecret], 'argocd');
    scm.requests.length = 0;
    const result = await generate(
      goAppSet(provider.github().replace(tokenRef, '        appSecretName: gh-app-repo-creds')),
      offlineContext({ scmProviders: new ScmProviders(secrets), secrets }),
    );
    expect(names(result)).toHaveLength(5);
    expect(scm.requests[0]).toBe('/api/v3/app/installations/678/access_tokens');
    const missing = await generate(
      goAppSet(provider.github().replace(tokenRef, '        appSecretName: nope')),
      offlineContext({ scmProviders: new ScmProviders(secrets), secrets }),
    );
    expect(missing.failure?.message).toBe('scm provider: error fetching Github app secret: error fetching secret argocd/nope: secrets "nope" not found');
  });

  it('skips TLS verification for GitLab and Gitea only with insecure: true', async () => {
    const { generateSimTls } = await import('../../src/sim/sim-tls.js');
    const secure = await FakeScmRepositories.start({ myorg }, TOKEN, generateSimTls());
    try {
      for (const kind of ['gitlab', 'gitea'] as const) {
        const yaml = (insecure: boolean) => goAppSet(provider[kind]('myorg', `        insecure: ${insecure}`).replace(scm.base, secure.base));
        const strict = await generate(yaml(false), context());
        expect(strict.failure?.message).toMatch(/^error listing repos: .*request failed/);
        expect(names(await generate(yaml(true), context()))).toHaveLength(5);
      }
    } finally {
      await secure.stop();
    }
  });

  it("trusts GitLab's server by the CA certificates a caRef ConfigMap of the ApplicationSet's namespace holds", async () => {
    const { generateSimTls } = await import('../../src/sim/sim-tls.js');
    const tls = generateSimTls();
    const secure = await FakeScmRepositories.start({ myorg }, TOKEN, tls);
    const configMaps = { 'argocd/gitlab-ca': { 'ca.crt': tls.caPem } } as Record<string, Record<string, string>>;
    const secrets = new ManifestSecretReader([secret('scm-token')], 'argocd');
    const withCa = offlineContext({
      scmProviders: new ScmProviders(secrets, {
        configMaps: {
          configMapData: async (namespace, name) => configMaps[`${namespace}/${name}`] ?? Promise.reject(new Error(`configmaps "${name}" not found`)),
        },
      }),
      secrets,
    });
    const yaml = (caRef: string) => goAppSet(provider.gitlab('myorg', `        caRef: ${caRef}`).replace(scm.base, secure.base));
    try {
      expect(names(await generate(yaml('{configMapName: gitlab-ca, key: ca.crt}'), withCa))).toHaveLength(5);
      expect((await generate(goAppSet(provider.gitlab().replace(scm.base, secure.base)), withCa)).failure?.message).toMatch(
        /^error listing repos: error listing projects for myorg: request failed/,
      );
      expect((await generate(yaml('{configMapName: gitlab-ca, key: other}'), withCa)).failure?.message).toBe(
        'error fetching CA certificates from ConfigMap: key other not found in ConfigMap gitlab-ca',
      );
      expect((await generate(yaml('{configMapName: nope, key: ca.crt}'), withCa)).failure?.message).toBe(
        'error fetching CA certificates from ConfigMap: configmaps "nope" not found',
      );
    } finally {
      await secure.stop();
    }
  });

  it('names a bad filter regexp and its field', async () => {
    const result = await generate(goAppSet(`${provider.github()}\n      filters:\n      - branchMatch: main\n      - repositoryMatch: "(unclosed"`), context());
    expect(result.failure?.field).toBe('spec.generators[0].scmProvider.filters[1].repositoryMatch');
    expect(result.failure?.message).toMatch(/^error listing repos: error compiling RepositoryMatch regexp "\(unclosed": /);
  });

  describe('SCM policy and provider selection', () => {
    const refusal = async (policy: Partial<ScmPolicy>, yaml = goAppSet(provider.github())) => {
      scm.requests.length = 0;
      const result = await generate(yaml, context(policy));
      expect(result.generated).toEqual([]);
      expect(scm.requests).toEqual([]);
      return result.failure?.message;
    };

    it('refuses when SCM providers are disabled or the api is not allowed, before any request', async () => {
      expect(await refusal({ enabled: false })).toBe('scm providers are disabled');
      expect(await refusal({ allowedApiUrls: ['https://github.example.com/'] })).toBe(
        `scm provider not allowed: scm provider "${scm.base}/" not allowed, must use one of the following: https://github.example.com/`,
      );
      expect(names(await generate(goAppSet(provider.gitea()), context({ allowedApiUrls: [scm.base] })))).toHaveLength(5);
    });

    it("reads tokens in strict mode only from scm-creds Secrets, with each provider's wording", async () => {
      expect(await refusal({ tokenRefStrictMode: true })).toBe(
        'scm provider: error fetching Github token: secret argocd/scm-token is not a valid SCM creds secret: secret must have label "argocd.argoproj.io/secret-type"="scm-creds"',
      );
      expect(await refusal({ tokenRefStrictMode: true }, goAppSet(provider.gitlab()))).toMatch(/^error fetching Gitlab token: secret argocd\/scm-token is not/);
      expect(await refusal({}, goAppSet(provider.gitea().replace('scm-token', 'nope')))).toBe(
        'error fetching Gitea token: error fetching secret argocd/nope: secrets "nope" not found',
      );
      const labelled = await generate(goAppSet(provider.github().replace('scm-token', 'labelled-token')), context({ tokenRefStrictMode: true }));
      expect(names(labelled)).toHaveLength(5);
    });

    it('says when no provider is configured', async () => {
      expect(await refusal({}, goAppSet('      cloneProtocol: ssh'))).toBe('no SCM provider implementation configured');
    });
  });
});
