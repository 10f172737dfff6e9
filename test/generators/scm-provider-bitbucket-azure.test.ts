import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Secret } from '../../src/api/meta.js';
import { ManifestSecretReader } from '../../src/cli/manifest-secrets.js';
import { ScmProviders } from '../../src/scm/scm-provider-service.js';
import { OPEN_SCM_POLICY, type ScmPolicy } from '../../src/scm/scm-policy.js';
import { azureRepositoryId, FAKE_BITBUCKET_USER, FakeScmRepositories, type FakeRepository } from '../support/fake-scm-repositories.js';
import { docsTemplateAppSet } from '../support/scm-provider-appset.js';
import { generate, offlineContext } from '../support/generation.js';

const TOKEN = 'bb_s3cr3tT0ken';
const sha = (digit: string) => digit.repeat(40);
// Five repositories: three pages of two on every fake that pages.
const repositories: FakeRepository[] = [
  { name: 'myapp-api', id: 101, defaultBranch: 'main', branches: { main: sha('1'), 'feature/New_UI': sha('2') }, files: ['kubernetes/kustomization.yaml'] },
  { name: 'myapp-web', id: 102, defaultBranch: 'main', branches: { main: sha('3') }, files: ['kubernetes/kustomization.yaml'] },
  { name: 'otherapp-db', id: 103, defaultBranch: 'trunk', branches: { trunk: sha('4') }, files: ['helm/Chart.yaml'] },
  { name: 'empty', id: 104, defaultBranch: 'main', branches: {} },
  {
    name: 'many-branches',
    id: 105,
    defaultBranch: 'main',
    branches: { main: sha('5'), 'release-1': sha('6'), 'release-2': sha('7'), 'release-3': sha('8'), 'release-4': sha('9') },
    branchFiles: { 'release-2': ['kubernetes/kustomization.yaml'] },
  },
];

let scm: FakeScmRepositories;
const secret = (name: string, value = TOKEN, labels?: Record<string, string>): Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'argocd', labels },
  data: { token: Buffer.from(value).toString('base64'), password: Buffer.from(value).toString('base64'), accesstoken: Buffer.from(value).toString('base64') },
});
const secrets = new ManifestSecretReader(
  [secret('mypassword'), secret('repotoken'), secret('appPassword'), secret('azure-devops-scm'), secret('wrong', 'not-the-token'), secret('blank', '')],
  'argocd',
);
const context = (policy: Partial<ScmPolicy> = {}) =>
  offlineContext({
    scmProviders: new ScmProviders(secrets, {
      policy: { ...OPEN_SCM_POLICY, ...policy },
      budget: { maxWaitMs: 1000, attempts: 2, serverErrorBackoffMs: 10 },
      configMaps: {
        configMapData: async (_namespace, name) =>
          name === 'argocd-tls-certs-cm' ? { 'bitbucket-ca': '' } : Promise.reject(new Error(`configmaps "${name}" not found`)),
      },
      bitbucketCloudApi: `${scm.base}/2.0`,
    }),
    secrets,
  });

beforeAll(async () => {
  scm = await FakeScmRepositories.start({ PROJ: repositories, myorg: repositories }, TOKEN);
});
afterAll(async () => {
  await scm.stop();
});

/** The docs' ApplicationSet around one scmProvider generator, naming each Application by repository and branch. */
const appSet = (generator: string) => docsTemplateAppSet(generator, '{{ .repository }}-{{ .branchNormalized }}');

const names = (result: Awaited<ReturnType<typeof generate>>) => {
  expect(result.failure).toBeUndefined();
  return result.generated.map((g) => g.application.metadata.name);
};
const failure = async (yaml: string, ctx = context()) => {
  const result = await generate(yaml, ctx);
  expect(result.generated).toEqual([]);
  expect(result.failure?.field).toBe('spec.generators[0].scmProvider');
  expect(result.failure?.message).not.toContain(TOKEN);
  return result.failure?.message;
};
const requests = async <T>(prefix: string, run: () => Promise<T>) => {
  scm.requests.length = 0;
  await run();
  return scm.requests.filter((r) => r.startsWith(prefix));
};

const everyBranch = [
  'myapp-api-main',
  'myapp-api-feature-new-ui',
  'myapp-web-main',
  'otherapp-db-trunk',
  'many-branches-main',
  'many-branches-release-1',
  'many-branches-release-2',
  'many-branches-release-3',
  'many-branches-release-4',
];

describe('SCM Provider generator: Bitbucket Server', () => {
  // Generators-SCM-Provider.md's example, pointed at the fake.
  const docsExample = (api = scm.base) => `      bitbucketServer:
        project: PROJ
        api: ${api}
        allBranches: true
        basicAuth:
          username: myuser
          passwordRef:
            secretName: mypassword
            key: password
        bearerToken:
          tokenRef:
            secretName: repotoken
            key: token
        insecure: true
        caRef:
          configMapName: argocd-tls-certs-cm
          key: bitbucket-ca`;
  const basicAuth = (extra = '', password = 'mypassword') =>
    `      bitbucketServer:\n        project: PROJ\n        api: ${scm.base}/rest\n        basicAuth: {username: myuser, passwordRef: {secretName: ${password}, key: password}}\n${extra ? `${extra}\n` : ''}`;

  it("runs the documentation's example: every branch of every repository, start/nextPageStart paging, Argo CD's parameters", async () => {
    let result!: Awaited<ReturnType<typeof generate>>;
    const listed = await requests('/rest/api/1.0/projects/PROJ/repos', async () => (result = await generate(appSet(docsExample()), context())));
    // The empty repository (no default branch) is skipped.
    expect(names(result)).toEqual(everyBranch);
    expect(result.generated[0].params).toEqual({
      organization: 'PROJ',
      repository: 'myapp-api',
      repository_id: 101,
      url: 'ssh://git@scm.example.com:7999/proj/myapp-api.git',
      branch: 'main',
      sha: sha('1'),
      short_sha: '11111111',
      short_sha_7: '1111111',
      labels: '',
      branchNormalized: 'main',
    });
    expect(listed.filter((r) => r.includes('/repos?'))).toEqual([
      '/rest/api/1.0/projects/PROJ/repos?limit=100',
      '/rest/api/1.0/projects/PROJ/repos?limit=100&start=2',
      '/rest/api/1.0/projects/PROJ/repos?limit=100&start=4',
    ]);
    expect(listed.filter((r) => r.includes('/many-branches/branches?'))).toEqual([
      '/rest/api/1.0/projects/PROJ/repos/many-branches/branches?limit=100',
      '/rest/api/1.0/projects/PROJ/repos/many-branches/branches?limit=100&start=2',
      '/rest/api/1.0/projects/PROJ/repos/many-branches/branches?limit=100&start=4',
    ]);
  });

  it('with basic auth reads default branches, https (the `http` clone link) and path filters through the browse API', async () => {
    const result = await generate(
      appSet(`      cloneProtocol: https\n${basicAuth()}      filters:\n      - pathsExist: [kubernetes/kustomization.yaml]`),
      context(),
    );
    expect(names(result)).toEqual(['myapp-api-main', 'myapp-web-main']);
    expect(result.generated[1].application.spec.source?.repoURL).toBe('https://scm.example.com/scm/proj/myapp-web.git');
    const directory = await generate(
      appSet(`${basicAuth('        allBranches: true')}      filters:\n      - pathsExist: [kubernetes]\n        branchMatch: ^release`),
      context(),
    );
    expect(names(directory)).toEqual(['many-branches-release-2']);
    expect(names(await generate(appSet(`${basicAuth()}      filters:\n      - pathsDoNotExist: [kubernetes]`), context()))).toEqual([
      'otherapp-db-trunk',
      'many-branches-main',
    ]);
  });

  it('fails naming the project, the credentials or the clone protocol, never with the password', async () => {
    expect(await failure(appSet(basicAuth().replace('project: PROJ', 'project: NOPE')))).toBe(
      'error listing repos: error listing repositories for NOPE: HTTP 404 Not Found',
    );
    expect(await failure(appSet(basicAuth('', 'wrong')))).toBe('error listing repos: error listing repositories for PROJ: HTTP 401 Unauthorized');
    expect(await failure(appSet(`      cloneProtocol: ftp\n${basicAuth()}`))).toBe('error listing repos: unknown clone protocol for Bitbucket Server ftp');
    expect(await failure(appSet(basicAuth('', 'missing')))).toBe(
      'error fetching Secret token: error fetching secret argocd/missing: secrets "missing" not found',
    );
    expect(await failure(appSet(docsExample().replace('argocd-tls-certs-cm', 'nope')))).toBe(
      'error fetching CA certificates from ConfigMap: configmaps "nope" not found',
    );
    scm.behaviour = { serverError: true };
    try {
      expect(await failure(appSet(basicAuth()))).toBe('error listing repos: error listing repositories for PROJ: HTTP 500 Internal Server Error');
    } finally {
      scm.behaviour = {};
    }
  });
});

describe('SCM Provider generator: Bitbucket Cloud', () => {
  const docsExample = (extra = '') => `      bitbucket:
        owner: "myorg"
        user: "${FAKE_BITBUCKET_USER}"
        allBranches: true
        appPasswordRef:
          secretName: appPassword
          key: password
${extra}`;
  const mainBranches = (extra = '') => docsExample(extra).replace('allBranches: true', 'allBranches: false');

  it("runs the documentation's example: the member's repositories and every branch, each page by its `next` URL", async () => {
    let result!: Awaited<ReturnType<typeof generate>>;
    const listed = await requests('/2.0/repositories/myorg', async () => (result = await generate(appSet(docsExample()), context())));
    // Argo CD lists the empty repository too; with allBranches it simply has no branches.
    expect(names(result)).toEqual(everyBranch);
    expect(result.generated[0].params).toMatchObject({
      organization: 'myorg',
      repository: 'myapp-api',
      repository_id: `{${azureRepositoryId(101)}}`,
      url: 'git@scm.example.com:myorg/myapp-api.git',
      sha: sha('1'),
      labels: '',
    });
    expect(listed.filter((r) => !r.includes('/refs/'))).toEqual([
      '/2.0/repositories/myorg?role=member&pagelen=100',
      '/2.0/repositories/myorg?role=member&pagelen=100&page=2',
      '/2.0/repositories/myorg?role=member&pagelen=100&page=3',
    ]);
    expect(listed.filter((r) => r.startsWith('/2.0/repositories/myorg/many-branches/refs/branches'))).toHaveLength(3);
  });

  it('reads main branches, the https clone link and paths at the branch commit', async () => {
    const yaml = appSet(
      `      cloneProtocol: https\n${mainBranches()}      filters:\n      - repositoryMatch: ^myapp\n      - pathsExist: [kubernetes/kustomization.yaml]`,
    );
    let result!: Awaited<ReturnType<typeof generate>>;
    const paths = await requests('/2.0/repositories/myorg/myapp-api/src/', async () => (result = await generate(yaml, context())));
    expect(names(result)).toEqual(['myapp-api-main', 'myapp-web-main']);
    expect(result.generated[0].application.spec.source?.repoURL).toBe(`https://${FAKE_BITBUCKET_USER}@scm.example.com/myorg/myapp-api.git`);
    expect(paths).toEqual([`/2.0/repositories/myorg/myapp-api/src/${sha('1')}/kubernetes/kustomization.yaml?format=meta`]);
  });

  it('fails on an empty repository without allBranches (it has no main branch), as in Argo CD', async () => {
    expect(await failure(appSet(mainBranches()))).toBe('error listing repos: error getting SHA for branch for myorg/empty/: the repository has no main branch');
  });

  it('fails naming the workspace, the user, the clone protocol or a foreign next page, never with the app password', async () => {
    expect(await failure(appSet(docsExample().replace('"myorg"', 'nope')))).toBe(
      'error listing repos: error listing repositories for nope: HTTP 404 Not Found',
    );
    expect(await failure(appSet(docsExample().replace(FAKE_BITBUCKET_USER, 'someone-else')))).toBe(
      'error listing repos: error listing repositories for myorg: HTTP 401 Unauthorized',
    );
    expect(await failure(appSet(docsExample().replace('secretName: appPassword', 'secretName: wrong')))).toBe(
      'error listing repos: error listing repositories for myorg: HTTP 401 Unauthorized',
    );
    expect(await failure(appSet(`      cloneProtocol: ftp\n${docsExample()}`))).toBe(
      'error listing repos: error fetching clone url for repo myapp-api: unknown clone protocol for Bitbucket cloud ftp',
    );
    expect(await failure(appSet(docsExample().replace('secretName: appPassword', 'secretName: gone')))).toBe(
      'error fetching Bitbucket cloud appPassword: error fetching secret argocd/gone: secrets "gone" not found',
    );
    scm.bitbucketNextOrigin = 'http://127.0.0.2:1';
    try {
      expect(await failure(appSet(docsExample()))).toBe(
        `error listing repos: error listing repositories for myorg: the next page is on http://127.0.0.2:1, not on the API's origin ${scm.base}; not followed`,
      );
    } finally {
      scm.bitbucketNextOrigin = undefined;
    }
  });
});

describe('SCM Provider generator: Azure DevOps', () => {
  const docsExample = (api = scm.base, extra = '') => `      azureDevOps:
        organization: myazureorg
        api: ${api}
        allBranches: true
        teamProject: myorg
        accessTokenRef:
          secretName: azure-devops-scm
          key: accesstoken
${extra}`;
  const defaultBranches = (extra = '') => docsExample(scm.base, extra).replace('allBranches: true', 'allBranches: false');

  it("runs the documentation's example: every branch, following continuation tokens, the remote URL as the clone URL", async () => {
    let result!: Awaited<ReturnType<typeof generate>>;
    const listed = await requests(
      '/myazureorg/myorg/_apis/git/repositories',
      async () => (result = await generate(appSet(docsExample(`${scm.base}/`)), context())),
    );
    expect(names(result)).toEqual(everyBranch);
    expect(result.generated[0].params).toMatchObject({
      organization: 'myazureorg',
      repository: 'myapp-api',
      repository_id: azureRepositoryId(101),
      url: 'https://myazureorg@dev.azure.com/myazureorg/myorg/_git/myapp-api',
      branch: 'main',
      sha: sha('1'),
      labels: '',
    });
    expect(listed.filter((r) => r.includes('/many-branches/'))).toEqual([
      '/myazureorg/myorg/_apis/git/repositories/many-branches/stats/branches?api-version=7.0',
      '/myazureorg/myorg/_apis/git/repositories/many-branches/stats/branches?api-version=7.0&continuationToken=2',
      '/myazureorg/myorg/_apis/git/repositories/many-branches/stats/branches?api-version=7.0&continuationToken=4',
    ]);
  });

  it('reads default branches by name (not refs/heads/…), ignores cloneProtocol and checks paths through the items API', async () => {
    const result = await generate(appSet(`      cloneProtocol: ssh\n${defaultBranches()}      filters:\n      - pathsExist: [kubernetes]`), context());
    expect(names(result)).toEqual(['myapp-api-main', 'myapp-web-main']);
    expect(result.generated[1].params).toMatchObject({
      branch: 'main',
      sha: sha('3'),
      url: 'https://myazureorg@dev.azure.com/myazureorg/myorg/_git/myapp-web',
    });
    expect(names(await generate(appSet(`${defaultBranches()}      filters:\n      - pathsDoNotExist: [helm/Chart.yaml]`), context()))).toEqual([
      'myapp-api-main',
      'myapp-web-main',
      'many-branches-main',
    ]);
  });

  it('fails naming the project or the token problem, never with the token', async () => {
    expect(await failure(appSet(defaultBranches().replace('teamProject: myorg', 'teamProject: nope')))).toBe(
      'error listing repos: Azure DevOps repositories of myazureorg/nope: HTTP 404 Not Found',
    );
    expect(await failure(appSet(defaultBranches().replace('azure-devops-scm', 'wrong')))).toBe(
      'error listing repos: Azure DevOps repositories of myazureorg/myorg: HTTP 401 Unauthorized',
    );
    expect(await failure(appSet(defaultBranches().replace('azure-devops-scm', 'blank')))).toBe(
      'error initializing Azure Devops service: no access token provided',
    );
    expect(await failure(appSet(defaultBranches().replace('azure-devops-scm', 'gone')))).toBe(
      'error fetching Azure Devops access token: error fetching secret argocd/gone: secrets "gone" not found',
    );
  });
});

describe('SCM Provider generator: policy for Bitbucket and Azure DevOps', () => {
  it("holds Bitbucket Server's and Azure DevOps' api to the allow-list; Bitbucket Cloud has no api to hold", async () => {
    const allowOnly = { allowedApiUrls: ['https://bitbucket.example.com'] };
    const server = `      bitbucketServer: {project: PROJ, api: ${scm.base}}`;
    const azure = `      azureDevOps: {organization: o, teamProject: myorg, api: ${scm.base}, accessTokenRef: {secretName: azure-devops-scm, key: accesstoken}}`;
    for (const generator of [server, azure]) {
      expect(await requests('/', async () => expect(await failure(appSet(generator), context(allowOnly))).toMatch(/^scm provider not allowed: /))).toEqual([]);
    }
    const cloud = `      bitbucket: {owner: myorg, user: ${FAKE_BITBUCKET_USER}, appPasswordRef: {secretName: appPassword, key: password}}`;
    expect(await failure(appSet(cloud), context(allowOnly))).toBe(
      'error listing repos: error getting SHA for branch for myorg/empty/: the repository has no main branch',
    );
  });

  it('reads tokens in strict mode only from scm-creds Secrets', async () => {
    const server = `      bitbucketServer: {project: PROJ, api: ${scm.base}, bearerToken: {tokenRef: {secretName: repotoken, key: token}}}`;
    expect(await failure(appSet(server), context({ tokenRefStrictMode: true }))).toBe(
      'error fetching Secret Bearer token: secret argocd/repotoken is not a valid SCM creds secret: secret must have label "argocd.argoproj.io/secret-type"="scm-creds"',
    );
  });
});

describe('SCM Provider generator: rate limits and outages on Bitbucket and Azure DevOps', () => {
  const generators = {
    'Bitbucket Server': () =>
      `      bitbucketServer:\n        project: PROJ\n        api: ${scm.base}/rest\n        basicAuth: {username: myuser, passwordRef: {secretName: mypassword, key: password}}\n`,
    'Bitbucket Cloud': () =>
      `      bitbucket:\n        owner: myorg\n        user: ${FAKE_BITBUCKET_USER}\n        appPasswordRef: {secretName: appPassword, key: password}\n`,
    'Azure DevOps': () =>
      `      azureDevOps:\n        organization: myazureorg\n        api: ${scm.base}\n        teamProject: myorg\n        accessTokenRef: {secretName: azure-devops-scm, key: accesstoken}\n`,
  };
  const listing = {
    'Bitbucket Server': 'error listing repositories for PROJ',
    'Bitbucket Cloud': 'error listing repositories for myorg',
    'Azure DevOps': 'Azure DevOps repositories of myazureorg/myorg',
  };
  const patient = () =>
    offlineContext({
      scmProviders: new ScmProviders(secrets, { budget: { maxWaitMs: 3000, attempts: 3, serverErrorBackoffMs: 10 }, bitbucketCloudApi: `${scm.base}/2.0` }),
      secrets,
    });
  const withBehaviour = async <T>(behaviour: typeof scm.behaviour, run: () => Promise<T>) => {
    scm.behaviour = behaviour;
    try {
      return await run();
    } finally {
      scm.behaviour = {};
    }
  };

  for (const [provider, generator] of Object.entries(generators)) {
    it(`${provider}: waits out its API's 429 and a brief 503, then lists everything`, async () => {
      const yaml = appSet(`${generator()}        allBranches: true\n`);
      expect(await withBehaviour({ rateLimited: 1 }, async () => names(await generate(yaml, patient())))).toEqual(everyBranch);
      expect(await withBehaviour({ unavailable: 1 }, async () => names(await generate(yaml, patient())))).toEqual(everyBranch);
    });

    it(`${provider}: a lasting 5xx or rate limit fails the generation, never reads as no repositories`, async () => {
      const yaml = appSet(generator());
      expect(await withBehaviour({ serverError: true }, () => failure(yaml, patient()))).toBe(
        `error listing repos: ${listing[provider as keyof typeof listing]}: HTTP 500 Internal Server Error`,
      );
      const limited = await withBehaviour({ rateLimited: 10, resetInSeconds: 3600 }, () => failure(yaml, patient()));
      expect(limited).toMatch(
        new RegExp(
          `^error listing repos: ${listing[provider as keyof typeof listing]}: rate limited \\(HTTP 429\\); the provider allows more requests in \\d+ s$`,
        ),
      );
    });
  }
});
