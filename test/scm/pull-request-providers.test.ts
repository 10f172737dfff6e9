import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigMap, Secret } from '../../src/api/meta.js';
import { ManifestSecretReader } from '../../src/cli/manifest-secrets.js';
import { ScmPullRequestService } from '../../src/scm/pull-request-providers.js';
import { OPEN_SCM_POLICY, type ScmPolicy } from '../../src/scm/scm-policy.js';
import { FakePullRequestProviders, type ProviderPull } from '../support/fake-pull-request-providers.js';
import { generate, offlineContext } from '../support/generation.js';

const PASSWORD = 'bb-app-p4ssw0rd';
const BEARER = 'bb-http-access-t0ken';
const PAT = 'azdo-pers0nal-t0ken';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const mine: ProviderPull[] = [
  {
    repo: 'myrepository',
    number: 11,
    title: 'feat: login',
    branch: 'feature/Add_Login',
    target: 'main',
    sha: '8b9c7f6e5d4c3b2a1908f7e6d5c4b3a291807f6e',
    labels: ['preview'],
    author: 'alice',
  },
  {
    repo: 'myrepository',
    number: 12,
    title: 'WIP: refactor',
    branch: 'refactor-argocd',
    target: 'main',
    sha: 'aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd',
    labels: [],
    author: 'bob',
  },
  {
    repo: 'myrepository',
    number: 13,
    title: 'Hotfix',
    branch: 'hotfix-argocd',
    target: 'master',
    sha: '0123456789abcdef0123456789abcdef01234567',
    labels: ['preview', 'urgent'],
    author: 'carol',
  },
  {
    repo: 'myrepository',
    number: 14,
    title: 'Docs',
    branch: 'docs',
    target: 'main',
    sha: 'fedcba9876543210fedcba9876543210fedcba98',
    labels: ['preview'],
    author: 'dave',
  },
  {
    repo: 'myrepository',
    number: 15,
    title: 'Deps',
    branch: 'renovate/all',
    target: 'master',
    sha: '1111111111222222222233333333334444444444',
    labels: [],
    author: 'renovate',
  },
];
/** Azure DevOps lists a whole project: other repositories' pull requests, enough for three pages of 100. */
const others: ProviderPull[] = Array.from({ length: 225 }, (_, i) => ({
  repo: 'other-repository',
  number: 100 + i,
  title: `other ${i}`,
  branch: `other-${i}`,
  target: 'main',
  sha: 'f'.repeat(40),
  labels: ['preview'],
  author: 'mallory',
}));
const allPulls = [mine[0], mine[1], ...others.slice(0, 150), mine[2], ...others.slice(150), mine[3], mine[4]];

const secret = (name: string, data: Record<string, string>, labels?: Record<string, string>): Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'argocd', ...(labels ? { labels } : {}) },
  stringData: data,
});
const secrets = [
  secret('mypassword', { password: PASSWORD }),
  secret('repotoken', { token: BEARER }),
  secret('azure-devops-token', { token: PAT }),
  secret('wrong', { password: 'not-the-password', token: 'not-the-token' }),
  secret('scm-password', { password: PASSWORD }, { 'argocd.argoproj.io/secret-type': 'scm-creds' }),
];

let fake: FakePullRequestProviders;
/** ConfigMaps of the ApplicationSet's namespace, for `caRef`. */
const configMaps: ConfigMap[] = [];
const context = (policy: Partial<ScmPolicy> = {}) => {
  const reader = new ManifestSecretReader(secrets, 'argocd');
  const configMapReader = {
    configMapData: async (namespace: string, name: string) => {
      const found = configMaps.find((c) => c.metadata?.name === name && c.metadata?.namespace === namespace);
      if (!found) throw new Error(`configmaps "${name}" not found`);
      return found.data ?? {};
    },
  };
  const service = new ScmPullRequestService(reader, {
    policy: { ...OPEN_SCM_POLICY, ...policy },
    budget: { maxWaitMs: 3000, attempts: 3, serverErrorBackoffMs: 20 },
    configMaps: configMapReader,
  });
  return offlineContext({ pullRequests: service, secrets: reader });
};

beforeAll(async () => {
  fake = await FakePullRequestProviders.start(allPulls, [basic('myuser', PASSWORD), `Bearer ${BEARER}`, basic('', PAT)]);
});
afterAll(async () => {
  await fake.stop();
});

/** An ApplicationSet with one pull request generator (`generator`, indented under `- pullRequest:`). */
const appSet = (generator: string, goTemplate = true) => `
kind: ApplicationSet
metadata: {name: myapps, namespace: argocd}
spec:
  goTemplate: ${goTemplate}
  goTemplateOptions: ["missingkey=error"]
  generators:
  - pullRequest:
${generator}
  template:
    metadata:
      name: 'myapp-${goTemplate ? '{{.branch_slug}}-{{.number}}' : '{{branch_slug}}-{{number}}'}'
    spec:
      project: default
      source:
        repoURL: https://example.com/myorg/myrepository.git
        targetRevision: '${goTemplate ? '{{.head_sha}}' : '{{head_sha}}'}'
        path: kubernetes/
      destination:
        server: https://kubernetes.default.svc
        namespace: 'myapp-${goTemplate ? '{{.number}}' : '{{number}}'}'
`;

const bitbucketServer = (
  extra = '',
  auth = '        basicAuth: {username: myuser, passwordRef: {secretName: mypassword, key: password}}',
) => `      bitbucketServer:
        project: PROJ
        repo: myrepository
        api: ${fake.base}
${auth}
${extra}`;
const bitbucketCloud = (extra = '', auth = '        bearerToken: {tokenRef: {secretName: repotoken, key: token}}') => `      bitbucket:
        owner: myworkspace
        repo: myrepository
        api: ${fake.base}/2.0
${auth}
${extra}`;
const azureDevOps = (extra = '', auth = '        tokenRef: {secretName: azure-devops-token, key: token}') => `      azuredevops:
        organization: myorg
        project: myproject
        repo: myrepository
        api: ${fake.base}
${auth}
${extra}`;

async function failureOf(yaml: string, policy: Partial<ScmPolicy> = {}) {
  const result = await generate(yaml, context(policy));
  expect(result.generated).toEqual([]);
  expect(result.failure?.field).toBe('spec.generators[0].pullRequest');
  for (const credential of [PASSWORD, BEARER, PAT, 'not-the-password', 'not-the-token']) expect(result.failure?.message).not.toContain(credential);
  return result.failure?.message;
}

async function withBehaviour<T>(behaviour: FakePullRequestProviders['behaviour'], run: () => Promise<T>): Promise<T> {
  fake.behaviour = behaviour;
  try {
    return await run();
  } finally {
    fake.behaviour = {};
  }
}

describe('Bitbucket Server pull requests', () => {
  it("pages by start/limit until isLastPage, with Basic auth and Argo CD's parameters (no labels)", async () => {
    fake.requests.length = 0;
    const result = await generate(appSet(bitbucketServer()), context());
    expect(result.failure).toBeUndefined();
    expect(result.generated.map((g) => g.application.metadata.name)).toEqual([
      'myapp-feature-add-login-11',
      'myapp-refactor-argocd-12',
      'myapp-hotfix-argocd-13',
      'myapp-docs-14',
      'myapp-renovate-all-15',
    ]);
    expect(result.generated[0].params).toEqual({
      number: '11',
      title: 'feat: login',
      branch: 'feature/Add_Login',
      branch_slug: 'feature-add-login',
      target_branch: 'main',
      target_branch_slug: 'main',
      head_sha: '8b9c7f6e5d4c3b2a1908f7e6d5c4b3a291807f6e',
      head_short_sha: '8b9c7f6e',
      head_short_sha_7: '8b9c7f6',
      author: 'alice',
      labels: [],
    });
    expect(fake.requests.map((r) => r.url)).toEqual([
      '/rest/api/1.0/projects/PROJ/repos/myrepository/pull-requests?limit=100',
      '/rest/api/1.0/projects/PROJ/repos/myrepository/pull-requests?limit=100&start=2',
      '/rest/api/1.0/projects/PROJ/repos/myrepository/pull-requests?limit=100&start=4',
    ]);
    expect(fake.requests.every((r) => r.authorization === basic('myuser', PASSWORD))).toBe(true);
  });

  it('takes an api that already ends in /rest, and prefers the bearer token when both are given', async () => {
    fake.requests.length = 0;
    const both = `        basicAuth: {username: myuser, passwordRef: {secretName: wrong, key: password}}\n        bearerToken: {tokenRef: {secretName: repotoken, key: token}}`;
    const result = await generate(appSet(bitbucketServer('', both).replace(`api: ${fake.base}`, `api: ${fake.base}/rest`)), context());
    expect(result.generated).toHaveLength(5);
    expect(fake.requests[0].url).toBe('/rest/api/1.0/projects/PROJ/repos/myrepository/pull-requests?limit=100');
    expect(fake.requests.every((r) => r.authorization === `Bearer ${BEARER}`)).toBe(true);
  });

  it('fails on wrong credentials, and on no credentials for a private repository', async () => {
    const wrong = await failureOf(appSet(bitbucketServer('', '        basicAuth: {username: myuser, passwordRef: {secretName: wrong, key: password}}')));
    expect(wrong).toBe('error listing repos: Bitbucket Server pull requests of PROJ/myrepository: HTTP 401 Unauthorized');
    expect(await failureOf(appSet(bitbucketServer('', '')))).toContain('HTTP 401 Unauthorized');
  });

  it('skips a missing repository only with continueOnRepoNotFoundError', async () => {
    const missing = appSet(bitbucketServer().replace('repo: myrepository', 'repo: nope'));
    expect(await failureOf(missing)).toContain('Bitbucket Server pull requests of PROJ/nope: HTTP 404');
    const skipped = await generate(missing.replace('  - pullRequest:\n', '  - pullRequest:\n      continueOnRepoNotFoundError: true\n'), context());
    expect(skipped.failure).toBeUndefined();
    expect(skipped.generated).toEqual([]);
  });

  it('waits out a 429 and a brief 503 within the retry budget; a lasting 503 fails the generation instead of reading as no pull requests', async () => {
    const waited = await withBehaviour({ rateLimited: 1, retryAfterSeconds: 1 }, () => generate(appSet(bitbucketServer()), context()));
    expect(waited.generated).toHaveLength(5);
    fake.requests.length = 0;
    const retried = await withBehaviour({ serverErrors: 2 }, () => generate(appSet(bitbucketServer()), context()));
    expect(retried.generated).toHaveLength(5);
    expect(fake.requests).toHaveLength(5);
    fake.requests.length = 0;
    const down = await withBehaviour({ serverErrors: 100 }, () => failureOf(appSet(bitbucketServer())));
    expect(down).toBe('error listing repos: Bitbucket Server pull requests of PROJ/myrepository: HTTP 503 Service Unavailable');
    expect(fake.requests).toHaveLength(3);
    const limited = await withBehaviour({ rateLimited: 5, retryAfterSeconds: 3600 }, () => failureOf(appSet(bitbucketServer())));
    expect(limited).toContain('rate limited (HTTP 429); the provider allows more requests in 3600 s');
  });

  it('in strict mode reads the password only from a Secret labelled scm-creds', async () => {
    expect(await failureOf(appSet(bitbucketServer()), { tokenRefStrictMode: true })).toBe(
      'failed to select pull request service provider: error fetching Secret token: secret argocd/mypassword is not a valid SCM creds secret: secret must have label "argocd.argoproj.io/secret-type"="scm-creds"',
    );
    const labelled = await generate(
      appSet(bitbucketServer().replace('secretName: mypassword', 'secretName: scm-password')),
      context({ tokenRefStrictMode: true }),
    );
    expect(labelled.generated).toHaveLength(5);
  });

  it('names a missing bearer token Secret as Argo CD does', async () => {
    const missing = bitbucketServer('', '        bearerToken: {tokenRef: {secretName: nope, key: token}}');
    expect(await failureOf(appSet(missing))).toBe(
      'failed to select pull request service provider: error fetching Secret Bearer token: error fetching secret argocd/nope: secrets "nope" not found',
    );
  });

  it('trusts the CA that caRef names for a self-signed server, and refuses that server without it', async () => {
    const { generateSimTls } = await import('../../src/sim/sim-tls.js');
    const tls = generateSimTls();
    const secure = await FakePullRequestProviders.start(allPulls, [basic('myuser', PASSWORD)], tls);
    configMaps.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-tls-certs-cm', namespace: 'argocd' },
      data: { 'bitbucket-ca': tls.caPem },
    });
    try {
      const onSecure = (extra: string) => appSet(bitbucketServer(extra).replace(`api: ${fake.base}`, `api: ${secure.base}`));
      expect(await failureOf(onSecure(''))).toMatch(/^error listing repos: Bitbucket Server pull requests of PROJ\/myrepository: request failed/);
      const trusted = await generate(onSecure('        caRef: {configMapName: argocd-tls-certs-cm, key: bitbucket-ca}'), context());
      expect(trusted.failure).toBeUndefined();
      expect(trusted.generated).toHaveLength(5);
      expect(await failureOf(onSecure('        caRef: {configMapName: argocd-tls-certs-cm, key: other}'))).toBe(
        'failed to select pull request service provider: error fetching CA certificates from ConfigMap: key other not found in ConfigMap argocd-tls-certs-cm',
      );
      expect(await failureOf(onSecure('        caRef: {configMapName: nope, key: bitbucket-ca}'))).toBe(
        'failed to select pull request service provider: error fetching CA certificates from ConfigMap: configmaps "nope" not found',
      );
    } finally {
      configMaps.length = 0;
      await secure.stop();
    }
  });

  it("runs Argo CD's documentation example (Generators-Pull-Request.md, Bitbucket Server) against a self-signed server", async () => {
    const { generateSimTls } = await import('../../src/sim/sim-tls.js');
    const tls = generateSimTls();
    const secure = await FakePullRequestProviders.start(allPulls, [`Bearer ${BEARER}`], tls);
    configMaps.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-tls-certs-cm', namespace: 'argocd' },
      data: { 'bitbucket-ca': tls.caPem },
    });
    const example = `      bitbucketServer:
        project: PROJ
        repo: myrepository
        api: ${secure.base}
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
          key: bitbucket-ca
      filters:
      - branchMatch: ".*-argocd"`;
    try {
      const result = await generate(appSet(example), context());
      expect(result.failure).toBeUndefined();
      expect(result.generated.map((g) => [g.params.number, g.params.branch, g.application.spec.source?.targetRevision])).toEqual([
        ['12', 'refactor-argocd', 'aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd'],
        ['13', 'hotfix-argocd', '0123456789abcdef0123456789abcdef01234567'],
      ]);
    } finally {
      configMaps.length = 0;
      await secure.stop();
    }
  });
});

describe('Bitbucket Cloud pull requests', () => {
  it("follows `next` links, with a Bearer token and Argo CD's parameters", async () => {
    fake.requests.length = 0;
    const result = await generate(appSet(bitbucketCloud(), false), context());
    expect(result.failure).toBeUndefined();
    expect(result.generated.map((g) => g.params.number)).toEqual(['11', '12', '13', '14', '15']);
    expect(result.generated[2].params).toEqual({
      number: '13',
      title: 'Hotfix',
      branch: 'hotfix-argocd',
      branch_slug: 'hotfix-argocd',
      target_branch: 'master',
      target_branch_slug: 'master',
      // Bitbucket Cloud gives a pull request's source commit as a 12-character hash.
      head_sha: '0123456789ab',
      head_short_sha: '01234567',
      head_short_sha_7: '0123456',
      author: 'carol',
    });
    expect(fake.requests.map((r) => r.url)).toEqual([
      '/2.0/repositories/myworkspace/myrepository/pullrequests?pagelen=50',
      '/2.0/repositories/myworkspace/myrepository/pullrequests?pagelen=2&page=2',
      '/2.0/repositories/myworkspace/myrepository/pullrequests?pagelen=2&page=3',
    ]);
    expect(fake.requests.every((r) => r.authorization === `Bearer ${BEARER}`)).toBe(true);
  });

  it('authenticates with basicAuth (an app password) and fails on a wrong one', async () => {
    fake.requests.length = 0;
    const basicAuth = '        basicAuth: {username: myuser, passwordRef: {secretName: mypassword, key: password}}';
    expect((await generate(appSet(bitbucketCloud('', basicAuth)), context())).generated).toHaveLength(5);
    expect(fake.requests.every((r) => r.authorization === basic('myuser', PASSWORD))).toBe(true);
    expect(await failureOf(appSet(bitbucketCloud('', basicAuth.replace('mypassword', 'wrong'))))).toBe(
      'error listing repos: Bitbucket Cloud pull requests of myworkspace/myrepository: HTTP 401 Unauthorized',
    );
  });

  it('does not follow a `next` link to another origin, so the token never leaves the API', async () => {
    const elsewhere = await FakePullRequestProviders.start(allPulls, [`Bearer ${BEARER}`]);
    try {
      const message = await withBehaviour({ nextOrigin: elsewhere.base }, () => failureOf(appSet(bitbucketCloud())));
      expect(message).toBe(
        `error listing repos: Bitbucket Cloud pull requests of myworkspace/myrepository: the next page is on ${elsewhere.base}, not on the API's origin ${fake.base}; not followed`,
      );
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await elsewhere.stop();
    }
  });

  it('skips a missing repository only with continueOnRepoNotFoundError, and fails on a 503', async () => {
    const missing = appSet(bitbucketCloud().replace('owner: myworkspace', 'owner: nope'));
    expect(await failureOf(missing)).toContain('HTTP 404');
    const skipped = await generate(missing.replace('  - pullRequest:\n', '  - pullRequest:\n      continueOnRepoNotFoundError: true\n'), context());
    expect(skipped.failure).toBeUndefined();
    expect(await withBehaviour({ serverErrors: 100 }, () => failureOf(appSet(bitbucketCloud())))).toContain('HTTP 503');
  });

  it("runs Argo CD's documentation example (Generators-Pull-Request.md, Bitbucket Cloud)", async () => {
    const example = `      bitbucket:
          owner: myworkspace
          repo: myrepository
          api: ${fake.base}/2.0
          basicAuth:
            username: myuser
            passwordRef:
              secretName: wrong
              key: password
          bearerToken:
            tokenRef:
              secretName: repotoken
              key: token
      filters:
        - branchMatch: ".*-argocd"
        - targetBranchMatch: "master"
        - branchMatch: ".*-argocd"
          targetBranchMatch: "master"`;
    const result = await generate(appSet(example), context());
    expect(result.failure).toBeUndefined();
    expect(result.generated.map((g) => [g.params.number, g.params.branch, g.params.target_branch])).toEqual([
      ['12', 'refactor-argocd', 'main'],
      ['13', 'hotfix-argocd', 'master'],
      ['15', 'renovate/all', 'master'],
    ]);
  });
});

describe('Azure DevOps pull requests', () => {
  it("pages the project by $top/$skip, keeps the repository's pull requests, PAT as Basic with an empty user", async () => {
    fake.requests.length = 0;
    const result = await generate(appSet(azureDevOps()), context());
    expect(result.failure).toBeUndefined();
    expect(result.generated.map((g) => g.params.number)).toEqual(['11', '12', '13', '14', '15']);
    expect(result.generated[2].params).toEqual({
      number: '13',
      title: 'Hotfix',
      branch: 'hotfix-argocd',
      branch_slug: 'hotfix-argocd',
      target_branch: 'master',
      target_branch_slug: 'master',
      head_sha: '0123456789abcdef0123456789abcdef01234567',
      head_short_sha: '01234567',
      head_short_sha_7: '0123456',
      author: 'carol',
      labels: ['preview', 'urgent'],
    });
    expect(fake.requests.map((r) => r.url)).toEqual(
      [0, 100, 200].map((skip) => `/myorg/myproject/_apis/git/pullrequests?api-version=7.0&%24top=100&%24skip=${skip}`),
    );
    expect(fake.requests.every((r) => r.authorization === basic('', PAT))).toBe(true);
  });

  it('fails on a wrong token; a missing project is "not found", a repository without pull requests is empty', async () => {
    expect(await failureOf(appSet(azureDevOps('', '        tokenRef: {secretName: wrong, key: token}')))).toBe(
      'error listing repos: Azure DevOps pull requests of myorg/myproject/myrepository: HTTP 401 Unauthorized',
    );
    const noProject = appSet(azureDevOps().replace('project: myproject', 'project: nope'));
    expect(await failureOf(noProject)).toContain('HTTP 404');
    const skipped = await generate(noProject.replace('  - pullRequest:\n', '  - pullRequest:\n      continueOnRepoNotFoundError: true\n'), context());
    expect(skipped.failure).toBeUndefined();
    const noRepository = await generate(appSet(azureDevOps().replace('repo: myrepository', 'repo: nope')), context());
    expect(noRepository.failure).toBeUndefined();
    expect(noRepository.generated).toEqual([]);
  });

  it('waits out a 429, and fails on a 503', async () => {
    expect((await withBehaviour({ rateLimited: 2, retryAfterSeconds: 0 }, () => generate(appSet(azureDevOps()), context()))).generated).toHaveLength(5);
    expect(await withBehaviour({ serverErrors: 100 }, () => failureOf(appSet(azureDevOps())))).toContain('HTTP 503');
  });

  it("runs Argo CD's documentation example (Generators-Pull-Request.md, Azure DevOps): only pull requests with all the labels", async () => {
    const example = `      azuredevops:
        organization: myorg
        project: myproject
        repo: myrepository
        api: ${fake.base}/
        tokenRef:
          secretName: azure-devops-token
          key: token
        labels:
        - preview
      requeueAfterSeconds: 1800`;
    fake.requests.length = 0;
    const result = await generate(appSet(example), context());
    expect(result.failure).toBeUndefined();
    expect(result.generated.map((g) => [g.params.number, g.params.labels])).toEqual([
      ['11', ['preview']],
      ['13', ['preview', 'urgent']],
      ['14', ['preview']],
    ]);
    expect(result.requeueAfterSeconds).toBe(1800);
    expect(fake.requests[0].url).toMatch(/^\/myorg\/myproject\/_apis\/git\/pullrequests\?/);
  });
});

describe('a broken or hostile provider', () => {
  it('fails the generation, bounded, on an oversized answer, a page without its list, or paging that never ends', async () => {
    const cases: [FakePullRequestProviders['behaviour']['hostile'], string, string][] = [
      ['huge', bitbucketServer(), 'Bitbucket Server pull requests of PROJ/myrepository: the answer is larger than 8388608 bytes'],
      ['notAPage', azureDevOps(), 'Azure DevOps pull requests of myorg/myproject/myrepository: the answer has no "value" list'],
      ['stuck', bitbucketServer(), 'Bitbucket Server pull requests of PROJ/myrepository: the answer names no next page after start 0'],
      ['stuck', bitbucketCloud(), 'Bitbucket Cloud pull requests of myworkspace/myrepository: the answer names a page already read as the next one'],
    ];
    for (const [hostile, generator, expected] of cases) {
      fake.requests.length = 0;
      expect(await withBehaviour({ hostile }, () => failureOf(appSet(generator)))).toBe(`error listing repos: ${expected}`);
      expect(fake.requests.length).toBeLessThanOrEqual(2);
    }
  });
});
