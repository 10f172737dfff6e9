import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeneratorContext } from '../../src/generators/generator.js';
import type { AwsEnvironment } from '../../src/scm/aws-environment.js';
import { ScmProviders } from '../../src/scm/scm-provider-service.js';
import { FakeCodeCommit, type FakeCodeCommitRepository } from '../support/fake-codecommit.js';
import { generate, offlineContext } from '../support/generation.js';
import { docsTemplateAppSet } from '../support/scm-provider-appset.js';

const ACCESS_KEY = 'AKIAREGATTATEST00001';
const SECRET_KEY = 'regatta/S3cretAccessKey+ForTheFake0000000';
const ROLE = 'arn:aws:iam::111111111111:role/argocd-application-set-discovery';
const REGION = 'us-east-1';

const repositories: FakeCodeCommitRepository[] = [
  {
    name: 'payments',
    id: 'a1',
    defaultBranch: 'main',
    branches: ['main', 'feature/Fast_Pay', 'release-1'],
    files: ['kubernetes/kustomization.yaml', 'README.md'],
    tags: { organization: 'platform-engineering', 'argo-ready': 'true' },
  },
  {
    name: 'ledger',
    id: 'a2',
    defaultBranch: 'trunk',
    branches: ['trunk'],
    symbolicLinks: ['kubernetes'],
    tags: { organization: 'platform-engineering', 'argo-ready': 'yes' },
  },
  { name: 'scratch', id: 'a3', branches: [], tags: { organization: 'platform-engineering', 'argo-ready': 'true' } },
  { name: 'web', id: 'a4', defaultBranch: 'main', branches: ['main'], subModules: ['kubernetes'], tags: { organization: 'frontend', 'argo-ready': 'true' } },
  { name: 'batch', id: 'a5', defaultBranch: 'main', branches: ['main'], files: ['helm/Chart.yaml'], tags: { organization: 'platform-engineering' } },
];

let aws: FakeCodeCommit;
beforeAll(async () => {
  aws = await FakeCodeCommit.start({ region: REGION, credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY }, repositories, roles: [ROLE] });
});
afterAll(async () => {
  await aws.stop();
});

const environment = (overrides: AwsEnvironment = {}): AwsEnvironment => ({
  AWS_ACCESS_KEY_ID: ACCESS_KEY,
  AWS_SECRET_ACCESS_KEY: SECRET_KEY,
  AWS_ENDPOINT_URL: aws.base,
  ...overrides,
});
const context = (env: AwsEnvironment = environment()): GeneratorContext =>
  offlineContext({
    scmProviders: new ScmProviders(
      { getSecretValue: () => Promise.reject(new Error('no Secrets here')) },
      { awsEnvironment: env, budget: { maxWaitMs: 2000, attempts: 3, serverErrorBackoffMs: 10 } },
    ),
  });

/** One Application per repository and branch. */
const appSet = (generator: string) => docsTemplateAppSet(generator, '{{ .repository }}-{{ .branchNormalized }}');

const names = (result: Awaited<ReturnType<typeof generate>>) => {
  expect(result.failure).toBeUndefined();
  return result.generated.map((g) => g.application.metadata.name);
};

const failureOf = async (yaml: string, ctx: GeneratorContext = context()) => {
  const result = await generate(yaml, ctx);
  expect(result.generated).toEqual([]);
  expect(result.failure?.field).toBe('spec.generators[0].scmProvider');
  expect(result.failure?.message).not.toContain(SECRET_KEY);
  return result.failure?.message;
};

describe('SCM Provider generator: AWS CodeCommit', () => {
  it("lists every repository of the region over several ListRepositories pages, skips an empty one, with Argo CD's parameters", async () => {
    aws.calls.length = 0;
    const result = await generate(appSet(`      awsCodeCommit:\n        region: ${REGION}`), context());
    expect(names(result)).toEqual(['payments-main', 'ledger-trunk', 'web-main', 'batch-main']);
    expect(result.generated[0].params).toEqual({
      organization: '111111111111',
      repository: 'payments',
      repository_id: 'a1',
      url: 'ssh://git-codecommit.us-east-1.amazonaws.com/v1/repos/payments',
      branch: 'main',
      sha: '',
      short_sha: '',
      short_sha_7: '',
      labels: '',
      branchNormalized: 'main',
    });
    // 5 repositories, 2 a page: three signed ListRepositories calls, each signed with the environment's key.
    expect(aws.calls.filter((c) => c.operation === 'ListRepositories')).toHaveLength(3);
    expect(new Set(aws.calls.map((c) => c.accessKeyId))).toEqual(new Set([ACCESS_KEY]));
    expect(aws.calls.some((c) => c.operation === 'GetResources')).toBe(false);
  });

  it("runs Argo CD's docs example: STS AssumeRole, then tagFilters through GetResources and every branch through ListBranches, signed with the role's credentials", async () => {
    aws.calls.length = 0;
    const generator = `      awsCodeCommit:
        region: us-east-1
        role: ${ROLE}
        allBranches: true
        tagFilters:
          - key: organization
            value: platform-engineering
          - key: argo-ready`;
    const result = await generate(appSet(generator), context(environment({ AWS_REGION: 'eu-west-1' })));
    expect(names(result)).toEqual(['payments-main', 'payments-feature-fast-pay', 'payments-release-1', 'ledger-trunk']);
    expect(result.generated.map((g) => g.params.branch)).toEqual(['main', 'feature/Fast_Pay', 'release-1', 'trunk']);
    expect(aws.calls[0]).toEqual({ operation: 'AssumeRole', accessKeyId: ACCESS_KEY, sessionToken: undefined });
    const temporary = aws.issuedAccessKeys.at(-1);
    const later = aws.calls.slice(1);
    expect(later.map((c) => c.operation)).toEqual(expect.arrayContaining(['GetResources', 'GetRepository', 'ListBranches']));
    expect(later.every((c) => c.accessKeyId === temporary && c.sessionToken !== undefined)).toBe(true);
    expect(aws.calls.filter((c) => c.operation === 'AssumeRole')).toHaveLength(1);
  });

  it('groups tag filters by key as Argo CD does: values of one key are ORed, keys ANDed', async () => {
    const generator = `      awsCodeCommit:
        tagFilters:
          - {key: organization, value: frontend}
          - {key: organization, value: platform-engineering}
          - {key: argo-ready, value: "true"}`;
    expect(names(await generate(appSet(generator), context(environment({ AWS_REGION: REGION }))))).toEqual(['payments-main', 'web-main']);
  });

  it('keeps only repositories whose default branch has every pathsExist path: a file, a folder, a symbolic link or a submodule', async () => {
    const withPaths = (paths: string) => appSet(`      awsCodeCommit:\n        region: ${REGION}\n      filters:\n      - pathsExist: [${paths}]`);
    expect(names(await generate(withPaths('kubernetes'), context()))).toEqual(['payments-main', 'ledger-trunk', 'web-main']);
    expect(names(await generate(withPaths('kubernetes/kustomization.yaml, README.md'), context()))).toEqual(['payments-main']);
    expect(names(await generate(withPaths('helm/Chart.yaml'), context()))).toEqual(['batch-main']);
    expect(names(await generate(withPaths('/'), context()))).toEqual(['payments-main', 'ledger-trunk', 'web-main', 'batch-main']);
    const absent = appSet(`      awsCodeCommit:\n        region: ${REGION}\n      filters:\n      - pathsDoNotExist: [kubernetes/]`);
    expect(names(await generate(absent, context()))).toEqual(['batch-main']);
  });

  it('gives the https, https-fips or ssh clone URL by cloneProtocol, and refuses an unknown one', async () => {
    const url = async (protocol: string) =>
      (await generate(appSet(`      cloneProtocol: ${protocol}\n      awsCodeCommit:\n        region: ${REGION}`), context())).generated[0]?.params.url;
    expect(await url('https')).toBe('https://git-codecommit.us-east-1.amazonaws.com/v1/repos/payments');
    expect(await url('https-fips')).toBe('https://git-codecommit-fips.us-east-1.amazonaws.com/v1/repos/payments');
    expect(await url('ssh')).toBe('ssh://git-codecommit.us-east-1.amazonaws.com/v1/repos/payments');
    expect(await failureOf(appSet(`      cloneProtocol: git\n      awsCodeCommit:\n        region: ${REGION}`))).toBe(
      'error listing repos: unknown clone protocol for codecommit git',
    );
  });

  it('fails with the 403 InvalidSignatureException for a wrong secret key, naming neither key', async () => {
    const message = await failureOf(
      appSet(`      awsCodeCommit:\n        region: ${REGION}`),
      context(environment({ AWS_SECRET_ACCESS_KEY: 'wrong-secret-key-of-the-same-length-000000' })),
    );
    expect(message).toMatch(
      /^error listing repos: failed to list codecommit repository: operation error CodeCommit: ListRepositories, https response error StatusCode: 403, api error InvalidSignatureException: The request signature we calculated does not match/,
    );
    expect(message).not.toContain('wrong-secret-key');
  });

  it('fails clearly without credentials or region, with an unknown role, or a region that is not a host label', async () => {
    const plain = appSet(`      awsCodeCommit:\n        region: ${REGION}`);
    expect(await failureOf(plain, context({ AWS_ENDPOINT_URL: aws.base, AWS_SECRET_ACCESS_KEY: SECRET_KEY }))).toBe(
      "error initializing AWS codecommit service: no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, must be set in Regatta's environment",
    );
    expect(await failureOf(appSet('      awsCodeCommit: {}'))).toBe(
      'error initializing AWS codecommit service: an AWS region is required, but was not found: set awsCodeCommit.region or AWS_REGION',
    );
    expect(await failureOf(appSet('      awsCodeCommit:\n        region: evil.example.com/x'))).toBe(
      'error initializing AWS codecommit service: awsCodeCommit.region "evil.example.com/x" is not an AWS region name',
    );
    expect(await failureOf(appSet(`      awsCodeCommit:\n        region: ${REGION}\n        role: arn:aws:iam::222222222222:role/nope`))).toBe(
      'error listing repos: failed to list codecommit repository: operation error CodeCommit: ListRepositories, get identity: get credentials: failed to refresh cached credentials, ' +
        'operation error STS: AssumeRole, https response error StatusCode: 403, api error AccessDenied: not authorized to perform sts:AssumeRole on arn:aws:iam::222222222222:role/nope',
    );
  });

  it('tries throttled (400 ThrottlingException, 429) and 5xx answers again within the budget, then fails saying so', async () => {
    const plain = appSet(`      awsCodeCommit:\n        region: ${REGION}`);
    for (const throttleAs of ['ThrottlingException', '429', '503'] as const) {
      aws.behaviour = { throttle: 2, throttleAs };
      expect(names(await generate(plain, context()))).toHaveLength(4);
    }
    aws.behaviour = { throttle: 3, throttleAs: 'ThrottlingException' };
    try {
      expect(await failureOf(plain)).toBe(
        'error listing repos: failed to list codecommit repository: operation error CodeCommit: ListRepositories, exceeded maximum number of attempts, 3, ' +
          'https response error StatusCode: 400, api error ThrottlingException: Rate exceeded',
      );
    } finally {
      aws.behaviour = {};
    }
  });

  it('stops reading an answer larger than 8 MiB and fails', async () => {
    aws.behaviour = { oversizedBytes: 9 * 1024 * 1024 };
    try {
      expect(await failureOf(appSet(`      awsCodeCommit:\n        region: ${REGION}`))).toBe(
        'error listing repos: failed to list codecommit repository: operation error CodeCommit: ListRepositories, the answer is larger than 8388608 bytes',
      );
    } finally {
      aws.behaviour = {};
    }
  });
});

describe('SCM Provider generator: AWS CodeCommit with a web identity (EKS IRSA)', () => {
  const WEB_ROLE = 'arn:aws:iam::111111111111:role/argocd-applicationset-irsa';
  const OIDC_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YXJnb2NkIn0.c2lnbmF0dXJl';
  let irsa: FakeCodeCommit;
  let dir: string;
  let tokenFile: string;
  beforeAll(async () => {
    irsa = await FakeCodeCommit.start({
      region: REGION,
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
      repositories,
      roles: [WEB_ROLE, ROLE],
      webIdentityToken: OIDC_TOKEN,
    });
    dir = await mkdtemp(join(tmpdir(), 'regatta-irsa-'));
    tokenFile = join(dir, 'token');
    await writeFile(tokenFile, `${OIDC_TOKEN}\n`);
  });
  afterAll(async () => {
    await irsa.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const irsaEnvironment = (overrides: AwsEnvironment = {}): AwsEnvironment => ({
    AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
    AWS_ROLE_ARN: WEB_ROLE,
    AWS_ENDPOINT_URL: irsa.base,
    ...overrides,
  });
  const plain = appSet(`      awsCodeCommit:\n        region: ${REGION}`);

  it('exchanges the token file for the role at STS (unsigned AssumeRoleWithWebIdentity), then signs with those credentials', async () => {
    irsa.calls.length = 0;
    expect(names(await generate(plain, context(irsaEnvironment())))).toEqual(['payments-main', 'ledger-trunk', 'web-main', 'batch-main']);
    expect(irsa.calls[0]).toEqual({ operation: 'AssumeRoleWithWebIdentity', accessKeyId: '' });
    const temporary = irsa.issuedAccessKeys.at(-1);
    expect(irsa.calls.slice(1).every((c) => c.accessKeyId === temporary && c.sessionToken !== undefined)).toBe(true);
    expect(irsa.calls.filter((c) => c.operation === 'AssumeRoleWithWebIdentity')).toHaveLength(1);
  });

  it("assumes the generator's role with the web identity's credentials, and prefers access keys when both are set", async () => {
    irsa.calls.length = 0;
    const withRole = appSet(`      awsCodeCommit:\n        region: ${REGION}\n        role: ${ROLE}`);
    expect(names(await generate(withRole, context(irsaEnvironment())))).toHaveLength(4);
    const [web, assume] = irsa.calls;
    expect(web.operation).toBe('AssumeRoleWithWebIdentity');
    expect(assume).toEqual({ operation: 'AssumeRole', accessKeyId: irsa.issuedAccessKeys.at(-2), sessionToken: expect.any(String) });
    irsa.calls.length = 0;
    expect(names(await generate(plain, context(irsaEnvironment({ AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY }))))).toHaveLength(4);
    expect(new Set(irsa.calls.map((c) => c.accessKeyId))).toEqual(new Set([ACCESS_KEY]));
  });

  it('fails naming the token file or the refusal, never with the token', async () => {
    const missing = await failureOf(plain, context(irsaEnvironment({ AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'absent') })));
    expect(missing).toBe(
      'error listing repos: failed to list codecommit repository: operation error CodeCommit: ListRepositories, get identity: get credentials: failed to refresh cached credentials, ' +
        `failed to retrieve jwt from provide source, unable to read file at ${join(dir, 'absent')}: ENOENT`,
    );
    const wrongToken = join(dir, 'wrong');
    await writeFile(wrongToken, 'not-the-token');
    const refused = await failureOf(plain, context(irsaEnvironment({ AWS_WEB_IDENTITY_TOKEN_FILE: wrongToken })));
    expect(refused).toMatch(/operation error STS: AssumeRoleWithWebIdentity, https response error StatusCode: 400, api error InvalidIdentityToken: /);
    expect(refused).not.toContain('not-the-token');
  });
});
