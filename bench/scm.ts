// `npm run bench -- scm [REPOS] [APPSETS]`: a GitHub organisation of REPOS repositories (2,000) × 5
// branches, read by an SCM Provider generator with allBranches, through one SCM gateway. Refreshed
// first by one ApplicationSet, then by APPSETS (20) together, each time a first refresh and an
// unchanged one. Counts what the generators asked, what reached the fake GitHub, how many of those
// were 304s and how much rate limit was spent (the fake counts that, as GitHub does).
import { performance } from 'node:perf_hooks';
import { ScmGateway, type AnsweredBy, type ScmGatewayObserver } from '../src/scm/scm-gateway.js';
import { ScmProviders } from '../src/scm/scm-provider-service.js';
import { scmTokenSecrets } from '../test/support/fake-scm.js';
import { FakeScmRepositories, type FakeRepository } from '../test/support/fake-scm-repositories.js';
import { generate, offlineContext } from '../test/support/generation.js';

const REPOS = Number(process.argv[3] ?? 2000);
const APPSETS = Number(process.argv[4] ?? 20);
const BRANCHES = 5;
const TOKEN = 'bench-token';

const organization: FakeRepository[] = Array.from({ length: REPOS }, (_, i) => ({
  name: `svc-${i}`,
  id: i + 1,
  defaultBranch: 'main',
  branches: Object.fromEntries(
    ['main', ...Array.from({ length: BRANCHES - 1 }, (_, b) => `release-${b}`)].map((branch, b) => [branch, `${i}`.padEnd(39, 'a') + b]),
  ),
}));

class Tally implements ScmGatewayObserver {
  readonly counts: Record<AnsweredBy, number> = { server: 0, not_modified: 0, in_flight: 0, rate_budget: 0 };
  answered(_caller: unknown, _request: unknown, _answer: unknown, answeredBy: AnsweredBy): void {
    this.counts[answeredBy]++;
  }
}

const secrets = scmTokenSecrets(TOKEN);

const fake = await FakeScmRepositories.start({ fleet: organization }, TOKEN, undefined, 100);
fake.githubRateLimit.limit = 1e9;

const appSet = (name: string) => `
kind: ApplicationSet
metadata: {name: ${name}, namespace: argocd}
spec:
  generators:
  - scmProvider:
      github: {organization: fleet, api: '${fake.base}/', allBranches: true, tokenRef: {secretName: scm-token, key: token}}
  template:
    metadata: {name: '{{repository}}-{{branchNormalized}}'}
    spec:
      source: {repoURL: '{{url}}', targetRevision: '{{sha}}'}
      project: default
      destination: {server: https://kubernetes.default.svc, namespace: default}
`;

interface Refresh {
  asked: number;
  sent: number;
  notModified: number;
  shared: number;
  spent: number;
  ms: number;
}

/** One refresh by `count` ApplicationSets through `gateway`: together, or one after another. */
async function refresh(count: number, gateway: ScmGateway, tally: Tally, staggered = false): Promise<Refresh> {
  const context = offlineContext({ scmProviders: new ScmProviders(secrets, { gateway }), secrets });
  const before = { ...tally.counts, used: fake.githubRateLimit.used, notModified: fake.notModified };
  const start = performance.now();
  const one = (i: number) => generate(appSet(`team-${i}`), context);
  const results: Awaited<ReturnType<typeof one>>[] = [];
  if (staggered) for (let i = 0; i < count; i++) results.push(await one(i));
  else results.push(...(await Promise.all(Array.from({ length: count }, (_, i) => one(i)))));
  const ms = performance.now() - start;
  for (const result of results) {
    if (result.failure || result.generated.length !== REPOS * BRANCHES)
      throw new Error(`generation failed: ${result.failure?.message ?? result.generated.length}`);
  }
  const delta = (by: AnsweredBy) => tally.counts[by] - before[by];
  return {
    asked: delta('server') + delta('not_modified') + delta('in_flight') + delta('rate_budget'),
    sent: delta('server') + delta('not_modified'),
    notModified: fake.notModified - before.notModified,
    shared: delta('in_flight'),
    spent: fake.githubRateLimit.used - before.used,
    ms: Math.round(ms),
  };
}

async function firstAndUnchanged(count: number, staggered = false): Promise<{ first: Refresh; unchanged: Refresh }> {
  const tally = new Tally();
  const gateway = new ScmGateway({ observer: tally });
  const first = await refresh(count, gateway, tally, staggered);
  const unchanged = await refresh(count, gateway, tally, staggered);
  return { first, unchanged };
}

try {
  const one = await firstAndUnchanged(1);
  const many = await firstAndUnchanged(APPSETS);
  // Refreshes rarely line up: one after another, nothing is shared in flight and the rest is 304s.
  const staggered = await firstAndUnchanged(APPSETS, true);
  const share = (r: Refresh) => (r.asked - (r.sent - r.notModified)) / r.asked;
  const line = (label: string, r: Refresh) =>
    `  ${label.padEnd(34)} asked ${String(r.asked).padStart(6)}  sent ${String(r.sent).padStart(6)}  304 ${String(r.notModified).padStart(6)}  shared ${String(r.shared).padStart(6)}  rate limit spent ${String(r.spent).padStart(6)}  ${r.ms} ms`;
  console.log(`scm: a GitHub organisation of ${REPOS} repositories × ${BRANCHES} branches (allBranches), one SCM gateway`);
  console.log(line('1 ApplicationSet, first refresh', one.first));
  console.log(line('1 ApplicationSet, unchanged', one.unchanged));
  console.log(line(`${APPSETS} ApplicationSets, first refresh`, many.first));
  console.log(line(`${APPSETS} ApplicationSets, unchanged`, many.unchanged));
  console.log(line(`${APPSETS} one after another, first`, staggered.first));
  console.log(line(`${APPSETS} one after another, unchanged`, staggered.unchanged));
  console.log(
    `  without sharing or revalidation, ${APPSETS} ApplicationSets would spend ${APPSETS * one.first.spent} a refresh (${APPSETS} × ${one.first.spent})`,
  );
  const notModifiedShare = Math.round(share(many.unchanged) * 10000) / 10000;
  const costRatio = Math.round((many.first.spent / one.first.spent) * 1000) / 1000;
  const staggeredCostRatio = Math.round((staggered.first.spent / one.first.spent) * 1000) / 1000;
  console.log(
    `  unchanged refresh answered by 304 or not sent: ${(notModifiedShare * 100).toFixed(2)} %; ${APPSETS} ApplicationSets cost ${costRatio}× one together, ${staggeredCostRatio}× one after another`,
  );
  console.log(
    JSON.stringify({
      bench: 'scm',
      repos: REPOS,
      branches: BRANCHES,
      appSets: APPSETS,
      one,
      many,
      staggered,
      notModifiedShare,
      oneUnchangedShare: Math.round(share(one.unchanged) * 10000) / 10000,
      costRatio,
      staggeredCostRatio,
      staggeredNotModifiedShare: Math.round(share(staggered.unchanged) * 10000) / 10000,
      heapMiB: Math.round(process.memoryUsage().heapUsed / 1048576),
    }),
  );
} finally {
  await fake.stop();
}
