import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Secret } from '../../src/api/meta.js';
import { branchSlug } from '../../src/generators/pull-request-generator.js';
import { ScmPullRequestService } from '../../src/scm/pull-request-providers.js';
import { OPEN_SCM_POLICY, type ScmPolicy } from '../../src/scm/scm-policy.js';
import { ManifestSecretReader } from '../../src/cli/manifest-secrets.js';
import { FakeScm, githubApp, type FakePull } from '../support/fake-scm.js';
import { generate, offlineContext } from '../support/generation.js';

const TOKEN = 'ghp_s3cr3tT0ken';
const pulls: FakePull[] = [
  {
    number: 1,
    title: 'Add login',
    branch: 'feature/Add_Login',
    target: 'main',
    sha: '8b9c7f6e5d4c3b2a1908f7e6d5c4b3a291807f6e',
    labels: ['preview'],
    author: 'alice',
  },
  { number: 2, title: 'WIP: refactor', branch: 'refactor', target: 'main', sha: 'aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd', labels: [], author: 'bob' },
  {
    number: 3,
    title: 'Hotfix',
    branch: 'hotfix-1',
    target: 'release-1',
    sha: '0123456789abcdef0123456789abcdef01234567',
    labels: ['preview', 'urgent'],
    author: 'carol',
  },
  { number: 4, title: 'Docs', branch: 'docs', target: 'main', sha: 'fedcba9876543210fedcba9876543210fedcba98', labels: ['preview'], author: 'dave' },
  { number: 5, title: 'Deps', branch: 'renovate/all', target: 'main', sha: '1111111111222222222233333333334444444444', labels: [], author: 'renovate' },
];

let scm: FakeScm;
const tokenSecret: Secret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'github-token', namespace: 'argocd' },
  data: { token: Buffer.from(TOKEN).toString('base64') },
};
const context = () => {
  const secrets = new ManifestSecretReader([tokenSecret], 'argocd');
  return offlineContext({ pullRequests: new ScmPullRequestService(secrets, { budget: { maxWaitMs: 3000, attempts: 3 } }), secrets });
};

beforeAll(async () => {
  scm = await FakeScm.start(pulls);
});
afterAll(async () => {
  await scm.stop();
});

const githubAppSet = (extra = '', goTemplate = false) => `
kind: ApplicationSet
metadata: {name: previews, namespace: argocd}
spec:
  goTemplate: ${goTemplate}
  generators:
  - pullRequest:
      github:
        owner: myorg
        repo: myrepository
        api: ${scm.base}/api/v3
        tokenRef: {secretName: github-token, key: token}
${extra}
  template:
    metadata:
      name: 'myapp-${goTemplate ? '{{.branch_slug}}-{{.number}}' : '{{branch_slug}}-{{number}}'}'
    spec:
      project: default
      source:
        repoURL: https://github.com/myorg/myrepository.git
        targetRevision: '${goTemplate ? '{{.head_sha}}' : '{{head_sha}}'}'
        path: kubernetes/
      destination:
        server: https://kubernetes.default.svc
        namespace: 'myapp-${goTemplate ? '{{.branch_slug}}-{{.number}}' : '{{branch}}-{{number}}'}'
`;

describe('pull request generator (Generators-Pull-Request.md)', () => {
  it("lists every open pull request across pages, with Argo CD's parameters", async () => {
    scm.requests.length = 0;
    const result = await generate(githubAppSet(), context());
    expect(result.failure).toBeUndefined();
    expect(result.generated.map((g) => g.application.metadata.name)).toEqual([
      'myapp-feature-add-login-1',
      'myapp-refactor-2',
      'myapp-hotfix-1-3',
      'myapp-docs-4',
      'myapp-renovate-all-5',
    ]);
    expect(result.generated[0].params).toEqual({
      number: '1',
      title: 'Add login',
      branch: 'feature/Add_Login',
      branch_slug: 'feature-add-login',
      target_branch: 'main',
      target_branch_slug: 'main',
      head_sha: '8b9c7f6e5d4c3b2a1908f7e6d5c4b3a291807f6e',
      head_short_sha: '8b9c7f6e',
      head_short_sha_7: '8b9c7f6',
      author: 'alice',
    });
    expect(scm.requests.map((r) => r.url)).toEqual([
      '/api/v3/repos/myorg/myrepository/pulls?state=open&per_page=100',
      '/api/v3/repos/myorg/myrepository/pulls?state=open&per_page=100&page=2',
      '/api/v3/repos/myorg/myrepository/pulls?state=open&per_page=100&page=3',
    ]);
    expect(scm.requests[0].authorization).toBe(`token ${TOKEN}`);
    expect(result.requeueAfterSeconds).toBe(1800);
  });

  it("reaches a GitHub Enterprise `api` given as the server's root under /api/v3, as Argo CD's client does", async () => {
    scm.requests.length = 0;
    const result = await generate(githubAppSet().replace(`api: ${scm.base}/api/v3`, `api: ${scm.base}`), context());
    expect(result.generated).toHaveLength(5);
    expect(scm.requests[0].url).toBe('/api/v3/repos/myorg/myrepository/pulls?state=open&per_page=100');
  });

  it('gives labels in goTemplate mode and keeps only pull requests with all the wanted labels', async () => {
    const result = await generate(githubAppSet('        labels: [preview]', true), context());
    expect(result.generated.map((g) => g.params.number)).toEqual(['1', '3', '4']);
    expect(result.generated[1].params.labels).toEqual(['preview', 'urgent']);
  });

  it('applies filters: a pull request passes when any filter matches all its conditions', async () => {
    const result = await generate(
      githubAppSet(`      filters:
      - branchMatch: "^feature/.*"
      - targetBranchMatch: "^release-"
        titleMatch: "(?i)hotfix"`),
      context(),
    );
    expect(result.generated.map((g) => g.params.number)).toEqual(['1', '3']);
  });

  it('waits out a rate limit and then lists everything', async () => {
    scm.behaviour = { rateLimited: 1, resetInSeconds: 1 };
    try {
      const result = await generate(githubAppSet(), context());
      expect(result.generated).toHaveLength(5);
    } finally {
      scm.behaviour = {};
    }
  });

  it('fails, without any parameter list, when rate limited for longer than it waits or on a server error', async () => {
    for (const behaviour of [{ rateLimited: 5, resetInSeconds: 3600 }, { serverError: true }]) {
      scm.behaviour = behaviour;
      try {
        const result = await generate(githubAppSet(), context());
        expect(result.generated).toEqual([]);
        expect(result.failure?.field).toBe('spec.generators[0].pullRequest');
        expect(result.failure?.message).toMatch(/GitHub pull requests of myorg\/myrepository: (rate limited \(HTTP 403\)|HTTP 500)/);
        expect(result.failure?.message).not.toContain(TOKEN);
      } finally {
        scm.behaviour = {};
      }
    }
  });

  it('skips a missing repository only with continueOnRepoNotFoundError', async () => {
    scm.behaviour = { notFound: true };
    try {
      expect((await generate(githubAppSet(), context())).failure?.message).toContain('repository not found');
      const skipped = await generate(githubAppSet('      continueOnRepoNotFoundError: true'), context());
      expect(skipped.failure).toBeUndefined();
      expect(skipped.generated).toEqual([]);
    } finally {
      scm.behaviour = {};
    }
  });

  it('reads Gitea and GitLab', async () => {
    const gitea = await generate(
      githubAppSet().replace(
        /github:\n.*\n.*\n.*\n.*\n/,
        `gitea:\n        owner: myorg\n        repo: myrepository\n        api: ${scm.base}\n        labels: [preview]\n`,
      ),
      context(),
    );
    expect(gitea.generated.map((g) => g.params.number)).toEqual(['1', '3', '4']);
    scm.requests.length = 0;
    const gitlab = await generate(
      githubAppSet().replace(
        /github:\n.*\n.*\n.*\n.*\n/,
        `gitlab:\n        project: "42"\n        api: ${scm.base}/\n        tokenRef: {secretName: github-token, key: token}\n        pullRequestState: opened\n`,
      ),
      context(),
    );
    expect(gitlab.generated.map((g) => [g.params.number, g.params.branch])).toEqual([
      ['1', 'feature/Add_Login'],
      ['2', 'refactor'],
      ['3', 'hotfix-1'],
      ['4', 'docs'],
      ['5', 'renovate/all'],
    ]);
    expect(scm.requests[0].url).toBe('/api/v4/projects/42/merge_requests?per_page=100&state=opened&page=1');
    expect(scm.requests[0].privateToken).toBe(TOKEN);
  });

  it('authenticates as a GitHub App from appSecretName: JWT, installation token, then the API', async () => {
    const { publicKey, secret: appSecret } = githubApp('github-app');
    scm.appPublicKey = publicKey;
    const secrets = new ManifestSecretReader([appSecret], 'argocd');
    const appContext = offlineContext({ pullRequests: new ScmPullRequestService(secrets), secrets });
    scm.requests.length = 0;
    const result = await generate(githubAppSet().replace('tokenRef: {secretName: github-token, key: token}', 'appSecretName: github-app'), appContext);
    expect(result.failure).toBeUndefined();
    expect(result.generated).toHaveLength(5);
    expect(scm.requests[0].url).toBe('/api/v3/app/installations/678/access_tokens');
    expect(scm.requests[1].authorization).toBe(`token ${scm.installationToken}`);
  });

  it('skips TLS verification for Gitea only with insecure: true', async () => {
    const { generateSimTls } = await import('../../src/sim/sim-tls.js');
    const secure = await FakeScm.start(pulls, generateSimTls());
    try {
      const gitea = (insecure: boolean) =>
        githubAppSet().replace(
          /github:\n.*\n.*\n.*\n.*\n/,
          `gitea:\n        owner: myorg\n        repo: myrepository\n        api: ${secure.base}\n        insecure: ${insecure}\n`,
        );
      const strict = await generate(gitea(false), context());
      expect(strict.failure?.message).toMatch(/Gitea pull requests of myorg\/myrepository: request failed/);
      const relaxed = await generate(gitea(true), context());
      expect(relaxed.generated).toHaveLength(5);
    } finally {
      await secure.stop();
    }
  });

  describe('SCM policy (--enable-scm-providers, --allowed-scm-providers, --token-ref-strict-mode)', () => {
    const labelled: Secret = {
      ...tokenSecret,
      metadata: { name: 'scm-token', namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': 'scm-creds' } },
    };
    const withPolicy = (policy: Partial<ScmPolicy>) => {
      const secrets = new ManifestSecretReader([tokenSecret, labelled], 'argocd');
      return offlineContext({ pullRequests: new ScmPullRequestService(secrets, { policy: { ...OPEN_SCM_POLICY, ...policy } }), secrets });
    };
    const refused = async (policy: Partial<ScmPolicy>, appSet = githubAppSet()) => {
      scm.requests.length = 0;
      const result = await generate(appSet, withPolicy(policy));
      expect(scm.requests).toEqual([]);
      expect(result.generated).toEqual([]);
      return result.failure?.message;
    };

    it('refuses every provider when SCM providers are disabled, before any request', async () => {
      expect(await refused({ enabled: false })).toBe('failed to select pull request service provider: scm providers are disabled');
    });

    it('calls only an allowed custom API and names the allowed ones otherwise', async () => {
      expect(await refused({ allowedApiUrls: ['https://github.example.com/api/v3'] })).toBe(
        `failed to select pull request service provider: scm provider not allowed: scm provider "${scm.base}/api/v3" not allowed, must use one of the following: https://github.example.com/api/v3`,
      );
      const allowed = await generate(githubAppSet(), withPolicy({ allowedApiUrls: [`${scm.base}/api/v3`] }));
      expect(allowed.generated).toHaveLength(5);
    });

    it('in strict mode reads tokens only from Secrets labelled scm-creds', async () => {
      expect(await refused({ tokenRefStrictMode: true })).toBe(
        'failed to select pull request service provider: error fetching Secret token: secret argocd/github-token is not a valid SCM creds secret: secret must have label "argocd.argoproj.io/secret-type"="scm-creds"',
      );
      scm.requests.length = 0;
      const strictAndLabelled = await generate(
        githubAppSet().replace('secretName: github-token', 'secretName: scm-token'),
        withPolicy({ tokenRefStrictMode: true }),
      );
      expect(strictAndLabelled.generated).toHaveLength(5);
      expect(scm.requests.every((r) => r.authorization === `token ${TOKEN}`)).toBe(true);
    });

    it('names a missing Secret or key as Argo CD does', async () => {
      expect(await refused({}, githubAppSet().replace('secretName: github-token', 'secretName: nope'))).toBe(
        'failed to select pull request service provider: error fetching Secret token: error fetching secret argocd/nope: secrets "nope" not found',
      );
      expect(await refused({}, githubAppSet().replace('key: token', 'key: other'))).toBe(
        'failed to select pull request service provider: error fetching Secret token: key "other" in secret argocd/github-token not found',
      );
    });
  });

  it('slugifies branch names as gosimple/slug does for Argo CD', () => {
    expect(branchSlug('feature/JIRA-123_Add-Thing')).toBe('feature-jira-123-add-thing');
    expect(branchSlug('Fix & Improve @home')).toBe('fix-and-improve-athome');
    expect(branchSlug('a-really-long-branch-name-that-goes-on-and-on-beyond-fifty-characters')).toBe('a-really-long-branch-name-that-goes-on-and-on');
  });
});
