// `npm run bench -- generate`: 10,000 Applications from a List × List matrix, against the floor of
// building and serialising the same 10,000 objects directly. Floor, fasttemplate and goTemplate run
// interleaved, round after round (BENCH_ROUNDS, 9 by default); each figure is the median of its rounds.
import type { ApplicationSet } from '../src/api/application-set.js';
import { generateApplications } from '../src/appset/generate.js';
import { createDefaultRegistry } from '../src/generators/default-registry.js';
import { GeneratorError, type GeneratorContext } from '../src/generators/generator.js';
import { gitCommit, interleavedRounds, medianRatio, roundTo } from './rounds.js';

const SIDE = 100;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);

const offline = () => Promise.reject(new GeneratorError('not used by this benchmark'));
const context: GeneratorContext = {
  clusters: { list: offline },
  repositories: { getDirectories: offline, getFiles: offline },
  pullRequests: { list: offline },
  scmProviders: { provider: offline },
  secrets: { getSecretValue: offline },
  settings: { namespace: 'argocd', configMapData: offline },
  resources: { list: offline },
};

const clusters = Array.from({ length: SIDE }, (_, i) => ({
  cluster: `cluster-${i}`,
  url: `https://10.0.${i >> 8}.${i & 255}:6443`,
  region: `region-${i % 7}`,
}));
const apps = Array.from({ length: SIDE }, (_, i) => ({ app: `app-${i}`, team: `team-${i % 9}`, path: `apps/app-${i}` }));

function appSet(goTemplate: boolean): ApplicationSet {
  const p = (key: string) => (goTemplate ? `{{ .${key} }}` : `{{${key}}}`);
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: { name: 'bench', namespace: 'argocd' },
    spec: {
      goTemplate,
      generators: [{ matrix: { generators: [{ list: { elements: clusters } }, { list: { elements: apps } }] } }],
      template: {
        metadata: { name: `${p('app')}-${p('cluster')}`, labels: { team: p('team'), region: p('region'), 'app.kubernetes.io/managed-by': 'regatta' } },
        spec: {
          project: p('team'),
          source: {
            repoURL: 'https://git.example.com/platform/apps.git',
            targetRevision: 'main',
            path: p('path'),
            helm: { releaseName: p('app'), valueFiles: [`values-${p('region')}.yaml`] },
          },
          destination: { server: p('url'), namespace: p('app') },
          syncPolicy: { syncOptions: ['CreateNamespace=true'] },
        },
      },
    },
  };
}

function floorObjects(): string {
  const out = [];
  for (const c of clusters) {
    for (const a of apps) {
      out.push({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: {
          name: `${a.app}-${c.cluster}`,
          namespace: 'argocd',
          labels: { team: a.team, region: c.region, 'app.kubernetes.io/managed-by': 'regatta' },
          finalizers: ['resources-finalizer.argocd.argoproj.io'],
        },
        spec: {
          project: a.team,
          source: {
            repoURL: 'https://git.example.com/platform/apps.git',
            targetRevision: 'main',
            path: a.path,
            helm: { releaseName: a.app, valueFiles: [`values-${c.region}.yaml`] },
          },
          destination: { server: c.url, namespace: a.app },
          syncPolicy: { syncOptions: ['CreateNamespace=true'] },
        },
      });
    }
  }
  return JSON.stringify(out);
}

async function generated(goTemplate: boolean): Promise<string> {
  const result = await generateApplications(appSet(goTemplate), createDefaultRegistry(), context);
  if (result.failure || result.generated.length !== SIDE * SIDE) throw new Error(`generation failed: ${result.failure?.message}`);
  return JSON.stringify(result.generated.map((g) => g.application));
}

const floorBytes = floorObjects().length;
const fastBytes = (await generated(false)).length;
const goBytes = (await generated(true)).length;
if (fastBytes !== floorBytes || goBytes !== floorBytes) throw new Error(`output differs from the floor: ${fastBytes}/${goBytes} vs ${floorBytes} bytes`);

const { floor, fast, go } = await interleavedRounds({ floor: floorObjects, fast: () => generated(false), go: () => generated(true) }, ROUNDS);
const fastRatio = medianRatio(fast, floor);
const goRatio = medianRatio(go, floor);
const appsPerSec = (ms: number) => Math.round((SIDE * SIDE) / (ms / 1000));
const spread = (pct: number) => `(spread ${Math.round(pct)}%)`;

console.log(`generate: ${SIDE}×${SIDE} List × List matrix, median of ${ROUNDS} interleaved rounds (spread: slowest − fastest round, over the median)`);
console.log(`  floor (build + JSON of the same objects): ${roundTo(floor.medianMs)} ms ${spread(floor.spreadPct)}`);
console.log(`  fasttemplate: ${roundTo(fast.medianMs)} ms ${spread(fast.spreadPct)} (${appsPerSec(fast.medianMs)} apps/s, ${roundTo(fastRatio, 2)}× floor)`);
console.log(`  goTemplate:   ${roundTo(go.medianMs)} ms ${spread(go.spreadPct)} (${appsPerSec(go.medianMs)} apps/s, ${roundTo(goRatio, 2)}× floor)`);
console.log(
  JSON.stringify({
    bench: 'generate',
    apps: SIDE * SIDE,
    rounds: ROUNDS,
    ms: roundTo(fast.medianMs),
    appsPerSec: appsPerSec(fast.medianMs),
    floorMs: roundTo(floor.medianMs),
    ratioToFloor: roundTo(fastRatio, 2),
    goTemplateMs: roundTo(go.medianMs),
    goTemplateRatioToFloor: roundTo(goRatio, 2),
    spreadPct: { floor: Math.round(floor.spreadPct), fasttemplate: Math.round(fast.spreadPct), goTemplate: Math.round(go.spreadPct) },
    commit: gitCommit(),
  }),
);
