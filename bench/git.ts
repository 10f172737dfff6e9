// `npm run bench -- git`: a repository with 2,000 directories; one cold generation, then 100 warm
// generations against an unchanged remote (each one ls-remote, no fetch).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ApplicationSet } from '../src/api/application-set.js';
import { generateApplications } from '../src/appset/generate.js';
import { createDefaultRegistry } from '../src/generators/default-registry.js';
import { GeneratorError, type GeneratorContext } from '../src/generators/generator.js';
import { GitRepositoryCache } from '../src/git/repository-cache.js';

const DIRS = 2000;
const WARM = 100;
const root = mkdtempSync(join(tmpdir(), 'regatta-bench-git-'));
const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };
const sh = (args: string[], cwd: string) => execFileSync('git', args, { cwd, env, stdio: 'pipe' });

try {
  const work = join(root, 'work');
  mkdirSync(work);
  sh(['init', '--quiet', '--initial-branch=main'], work);
  for (let i = 0; i < DIRS; i++) {
    const dir = join(work, 'apps', `team-${i % 20}`, `app-${i}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources: []\n');
  }
  sh(['add', '--all'], work);
  sh(['commit', '--quiet', '-m', 'apps'], work);
  const bare = join(root, 'apps.git');
  sh(['clone', '--quiet', '--bare', work, bare], root);

  const cache = new GitRepositoryCache({ allowLocalRepositories: true, directory: join(root, 'cache') });
  const offline = () => Promise.reject(new GeneratorError('not used'));
  const context: GeneratorContext = {
    clusters: { list: offline },
    repositories: cache,
    pullRequests: { list: offline },
    scmProviders: { provider: offline },
    secrets: { getSecretValue: offline },
    settings: { namespace: 'argocd', configMapData: offline },
    resources: { list: offline },
  };
  const appSet: ApplicationSet = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: { name: 'bench', namespace: 'argocd' },
    spec: {
      goTemplate: true,
      generators: [{ git: { repoURL: `file://${bare}`, revision: 'main', directories: [{ path: 'apps/*/*' }] } }],
      template: {
        metadata: { name: '{{.path.basename}}' },
        spec: { project: 'default', source: { repoURL: 'x', path: '{{.path.path}}' }, destination: { server: 'https://kubernetes.default.svc' } },
      },
    },
  };
  const registry = createDefaultRegistry();
  const run = async () => {
    const result = await generateApplications(appSet, registry, context);
    if (result.failure || result.generated.length !== DIRS) throw new Error(`generation failed: ${result.failure?.message ?? result.generated.length}`);
  };

  let start = performance.now();
  await run();
  const coldMs = performance.now() - start;
  const afterCold = { ...cache.counters };
  start = performance.now();
  for (let i = 0; i < WARM; i++) await run();
  const warmMs = (performance.now() - start) / WARM;
  const warmFetches = cache.counters.fetches - afterCold.fetches;
  const warmLsRemotes = cache.counters.lsRemotes - afterCold.lsRemotes;

  console.log(`git: ${DIRS} directories, cold generation then ${WARM} warm ones against an unchanged remote`);
  console.log(`  cold: ${coldMs.toFixed(0)} ms (${afterCold.lsRemotes} ls-remote, ${afterCold.fetches} fetch)`);
  console.log(`  warm: ${warmMs.toFixed(1)} ms each (${warmLsRemotes} ls-remotes, ${warmFetches} fetches in ${WARM} generations)`);
  console.log(JSON.stringify({ bench: 'git', repos: 1, dirs: DIRS, coldMs: Math.round(coldMs), warmMs: Math.round(warmMs * 10) / 10, fetches: warmFetches }));
} finally {
  rmSync(root, { recursive: true, force: true });
}
