import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_BUDGET, getJson } from '../../src/scm/rate-limit.js';
import { ScmGateway, scmHttp } from '../../src/scm/scm-gateway.js';
import { ScmApiMetrics } from '../../src/scm/scm-metrics.js';
import { ScmProviders } from '../../src/scm/scm-provider-service.js';
import { ManifestSecretReader } from '../../src/cli/manifest-secrets.js';
import { FakeCodeCommit } from '../support/fake-codecommit.js';
import { githubApp, scmTokenSecrets } from '../support/fake-scm.js';
import { FAKE_BITBUCKET_USER, FakeScmRepositories, type FakeRepository } from '../support/fake-scm-repositories.js';
import { appSetFromYaml, generate, offlineContext } from '../support/generation.js';

const TOKEN = 'gw_s3cr3tT0ken';
const sha = (digit: string) => digit.repeat(40);
const organization: FakeRepository[] = Array.from({ length: 5 }, (_, i) => ({
  name: `svc-${i}`,
  id: 300 + i,
  defaultBranch: 'main',
  branches: { main: sha(String(i)), 'release-1': sha('f') },
}));

let scm: FakeScmRepositories;
const secrets = scmTokenSecrets(TOKEN);

/** Generation contexts whose SCM Provider generators all share one gateway reporting to `registry`. */
function sharedGateway() {
  const registry = new Registry();
  const gateway = new ScmGateway({ observer: ScmApiMetrics.of(registry, { githubApiMetrics: true }) });
  const context = offlineContext({ scmProviders: new ScmProviders(secrets, { gateway, budget: { maxWaitMs: 3000, attempts: 3 } }), secrets });
  return { registry, gateway, context };
}

const appSet = (name: string) => `
kind: ApplicationSet
metadata: {name: ${name}, namespace: argocd}
spec:
  goTemplate: true
  generators:
  - scmProvider:
      github:
        organization: gw
        api: ${scm.base}/
        allBranches: true
        tokenRef: {secretName: scm-token, key: token}
  template:
    metadata: {name: '{{ .repository }}-{{ .branchNormalized }}'}
    spec:
      source: {repoURL: '{{ .url }}', targetRevision: '{{ .sha }}'}
      project: default
      destination: {server: https://kubernetes.default.svc, namespace: default}
`;

/** What the fake GitHub counted while `work` ran: requests, 304s among them, and rate limit spent. */
async function counted<T>(work: () => Promise<T>): Promise<{ result: T; requests: number; notModified: number; spent: number }> {
  const before = { requests: scm.requests.length, notModified: scm.notModified, used: scm.githubRateLimit.used };
  const result = await work();
  return {
    result,
    requests: scm.requests.length - before.requests,
    notModified: scm.notModified - before.notModified,
    spent: scm.githubRateLimit.used - before.used,
  };
}

const revisions = (result: Awaited<ReturnType<typeof generate>>) => {
  expect(result.failure).toBeUndefined();
  return result.generated.map((g) => `${g.application.metadata.name}@${g.application.spec.source?.targetRevision}`);
};

beforeAll(async () => {
  scm = await FakeScmRepositories.start({ gw: organization }, TOKEN, undefined, 2);
});
afterAll(async () => {
  await scm.stop();
});

describe('the SCM gateway shared by every ApplicationSet', () => {
  it('refreshes an unchanged organisation with 304s that spend no rate limit, and sees a change at once', async () => {
    const { context } = sharedGateway();
    const first = await counted(() => generate(appSet('first'), context));
    expect(revisions(first.result)).toHaveLength(10);
    expect(first.notModified).toBe(0);
    expect(first.spent).toBe(first.requests);

    const again = await counted(() => generate(appSet('first'), context));
    expect(revisions(again.result)).toEqual(revisions(first.result));
    expect(again.requests).toBe(first.requests);
    expect(again.notModified).toBe(again.requests);
    expect(again.spent).toBe(0);

    organization[2].branches.main = sha('9');
    try {
      const changed = await counted(() => generate(appSet('first'), context));
      expect(revisions(changed.result)).toContain(`svc-2-main@${sha('9')}`);
      expect(changed.spent).toBe(1);
    } finally {
      organization[2].branches.main = sha('2');
    }
  });

  it('lets twenty ApplicationSets reading the same organisation together spend what one spends', async () => {
    const alone = await counted(() => generate(appSet('alone'), sharedGateway().context));
    const { context, registry } = sharedGateway();
    const twenty = await counted(() => Promise.all(Array.from({ length: 20 }, (_, i) => generate(appSet(`team-${i}`), context))));
    for (const result of twenty.result) expect(revisions(result)).toEqual(revisions(alone.result));
    expect(twenty.spent).toBe(alone.spent);
    const metrics = await registry.metrics();
    const inFlight = Number(/regatta_scm_gateway_answers_total\{provider="github",answered_by="in_flight"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    expect(inFlight).toBeGreaterThan(0);
  });

  it("stops asking once a credential's rate limit is spent, for every ApplicationSet using it, until the reset", async () => {
    const { context } = sharedGateway();
    const limit = scm.githubRateLimit;
    const saved = { ...limit };
    limit.used = limit.limit - 1;
    try {
      const spending = await counted(() => generate(appSet('spender'), context));
      expect(spending.result.failure?.message).toMatch(/rate limited \(HTTP 429\); the provider allows more requests in 3[56]\d\d s$/);
      expect(spending.requests).toBe(1);
      const other = await counted(() => generate(appSet('bystander'), context));
      expect(other.result.failure?.message).toMatch(/rate limited/);
      expect(other.requests).toBe(0);
    } finally {
      Object.assign(limit, saved);
    }
  });

  it("reports Argo CD's GitHub API metrics and Regatta's per provider, without the token", async () => {
    const { context, registry } = sharedGateway();
    await generate(appSet('observed'), context);
    await generate(appSet('observed'), context);
    const metrics = await registry.metrics();
    // Argo CD's endpoint is the URL's path: the three pages of the listing are one series.
    expect(metrics).toContain(
      'argocd_github_api_requests_total{method="GET",endpoint="/api/v3/orgs/gw/repos",status="200",appset_namespace="argocd",appset_name="observed"} 3',
    );
    expect(metrics).toContain(
      'argocd_github_api_requests_total{method="GET",endpoint="/api/v3/orgs/gw/repos",status="304",appset_namespace="argocd",appset_name="observed"} 3',
    );
    expect(metrics).toMatch(/argocd_github_api_rate_limit_remaining\{endpoint="[^"]+",appset_namespace="argocd",appset_name="observed",resource="core"\} \d+/);
    expect(metrics).toMatch(
      /regatta_scm_api_requests_total\{provider="github",method="GET",status="304",appset_namespace="argocd",appset_name="observed"\} \d+/,
    );
    expect(metrics).toMatch(/regatta_scm_gateway_answers_total\{provider="github",answered_by="not_modified"\} \d+/);
    expect(metrics).not.toContain(TOKEN);
  });
});

describe('metrics for every provider', () => {
  const ACCESS_KEY = 'AKIAREGATTAMETRICS01';
  const SECRET_KEY = 'regatta/MetricsSecretAccessKey+0000000000';
  let aws: FakeCodeCommit;
  beforeAll(async () => {
    aws = await FakeCodeCommit.start({
      region: 'us-east-1',
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
      repositories: [{ name: 'svc-aws', id: 'c1', defaultBranch: 'main', branches: ['main'] }],
      roles: [],
    });
  });
  afterAll(async () => {
    await aws.stop();
  });

  const tokenRef = '{secretName: scm-token, key: token}';
  const generators: Record<string, () => string> = {
    github: () => `github: {organization: gw, api: '${scm.base}/', tokenRef: ${tokenRef}}`,
    gitlab: () => `gitlab: {group: gw, api: '${scm.base}', tokenRef: ${tokenRef}}`,
    gitea: () => `gitea: {owner: gw, api: '${scm.base}', tokenRef: ${tokenRef}}`,
    bitbucket_server: () => `bitbucketServer: {project: gw, api: '${scm.base}', basicAuth: {username: bot, passwordRef: ${tokenRef}}}`,
    bitbucket_cloud: () => `bitbucket: {owner: gw, user: ${FAKE_BITBUCKET_USER}, appPasswordRef: ${tokenRef}}`,
    azure_devops: () => `azureDevOps: {organization: myazureorg, teamProject: gw, api: '${scm.base}', accessTokenRef: ${tokenRef}}`,
    aws_codecommit: () => 'awsCodeCommit: {region: us-east-1}',
  };
  const appSetWith = (name: string, generator: string) => `
kind: ApplicationSet
metadata: {name: ${name}, namespace: argocd}
spec:
  goTemplate: true
  generators:
  - scmProvider:
      ${generator}
  template:
    metadata: {name: '{{ .repository }}'}
    spec:
      source: {repoURL: '{{ .url }}', targetRevision: '{{ .sha }}'}
      project: default
      destination: {server: https://kubernetes.default.svc, namespace: default}
`;

  it("counts the requests of every SCM provider, AWS CodeCommit included, under its provider and method; Argo CD's GitHub series only when enabled", async () => {
    const registry = new Registry();
    const context = offlineContext({
      scmProviders: new ScmProviders(secrets, {
        gateway: new ScmGateway({ observer: ScmApiMetrics.of(registry) }),
        budget: { maxWaitMs: 3000, attempts: 3 },
        bitbucketCloudApi: `${scm.base}/2.0`,
        awsEnvironment: { AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_ENDPOINT_URL: aws.base },
      }),
      secrets,
    });
    for (const [provider, generator] of Object.entries(generators)) {
      const result = await generate(appSetWith(provider.replace('_', '-'), generator()), context);
      expect(result.failure, provider).toBeUndefined();
      expect(result.generated.length, provider).toBeGreaterThan(0);
    }
    const metrics = await registry.metrics();
    for (const provider of Object.keys(generators)) {
      const method = provider === 'aws_codecommit' ? 'POST' : 'GET';
      expect(metrics, provider).toMatch(
        new RegExp(
          `regatta_scm_api_requests_total\\{provider="${provider}",method="${method}",status="200",appset_namespace="argocd",appset_name="${provider.replace('_', '-')}"\\} [1-9]`,
        ),
      );
      expect(metrics, provider).toMatch(new RegExp(`regatta_scm_api_request_duration_seconds_count\\{provider="${provider}",method="${method}"\\} [1-9]`));
    }
    // Argo CD records argocd_github_api_* only with --enable-github-api-metrics.
    expect(metrics).not.toMatch(/^argocd_github_api_requests_total\{/m);
    expect(metrics).not.toContain(TOKEN);
    expect(metrics).not.toContain(SECRET_KEY);
  });

  it("counts a GitHub App's installation token request as a POST, and a request that got no answer as status 0, as Argo CD does", async () => {
    const { publicKey, secret: appSecret } = githubApp('gh-app-metrics');
    scm.appPublicKey = publicKey;
    const appSecrets = new ManifestSecretReader([appSecret], 'argocd');
    const registry = new Registry();
    const gateway = new ScmGateway({ observer: ScmApiMetrics.of(registry, { githubApiMetrics: true }) });
    const context = offlineContext({ scmProviders: new ScmProviders(appSecrets, { gateway, budget: { maxWaitMs: 0, attempts: 1 } }), secrets: appSecrets });
    const app = appSetWith('app', `github: {organization: gw, api: '${scm.base}/', appSecretName: gh-app-metrics}`);
    expect((await generate(app, context)).failure).toBeUndefined();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedBase = `http://127.0.0.1:${(closed.address() as { port: number }).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await generate(
      appSetWith('refused', `gitea: {owner: gw, api: '${closedBase}', tokenRef: ${tokenRef}}`),
      offlineContext({
        scmProviders: new ScmProviders(secrets, { gateway, budget: { maxWaitMs: 0, attempts: 1 } }),
        secrets,
      }),
    );
    expect(refused.failure?.message).toMatch(/request failed: ECONNREFUSED$/);
    const metrics = await registry.metrics();
    expect(metrics).toContain(
      'argocd_github_api_requests_total{method="POST",endpoint="/api/v3/app/installations/678/access_tokens",status="201",appset_namespace="argocd",appset_name="app"} 1',
    );
    expect(metrics).toMatch(/argocd_github_api_requests_total\{method="GET",endpoint="\/api\/v3\/orgs\/gw\/repos",status="200",[^}]*appset_name="app"\} 3/);
    expect(metrics).toContain('regatta_scm_api_requests_total{provider="gitea",method="GET",status="0",appset_namespace="argocd",appset_name="refused"} 1');
  });
});

describe('redirects', () => {
  let origin: Server;
  let elsewhere: Server;
  const seenElsewhere: IncomingHttpHeaders[] = [];
  const portOf = (server: Server) => (server.address() as { port: number }).port;

  beforeAll(async () => {
    elsewhere = createServer((req, res) => {
      seenElsewhere.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
    });
    origin = createServer((req, res) => {
      if (req.url === '/moved') return res.writeHead(301, { location: '/api/items' }).end();
      if (req.url === '/away') return res.writeHead(302, { location: `http://localhost:${portOf(elsewhere)}/api/items` }).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([req.headers.authorization === 'token t0p-s3cret']));
    });
    await Promise.all([origin, elsewhere].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
  });
  afterAll(async () => {
    await Promise.all([origin, elsewhere].map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it("follows a redirect within the provider's origin, never one that would carry the credential elsewhere", async () => {
    const http = scmHttp(new ScmGateway(), 'gitea', appSetFromYaml(appSet('moved')), DEFAULT_RETRY_BUDGET);
    const auth = { authorization: 'token t0p-s3cret' };
    const base = `http://127.0.0.1:${portOf(origin)}`;
    expect((await getJson(`${base}/moved`, auth, 'items', http)).body).toEqual([true]);
    await expect(getJson(`${base}/away`, auth, 'items', http)).rejects.toThrow(/^items: HTTP 302 Found$/);
    expect(seenElsewhere).toEqual([]);
  });
});
