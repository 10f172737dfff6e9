// `npm run bench -- generate`: 10,000 Applications from a List × List matrix, against the floor of
// building and serialising the same 10,000 objects directly.
import { performance } from 'node:perf_hooks';
import type { ApplicationSet } from '../src/api/application-set.js';
import { generateApplications } from '../src/appset/generate.js';
import { createDefaultRegistry } from '../src/generators/default-registry.js';
import { GeneratorError, type GeneratorContext } from '../src/generators/generator.js';

const SIDE = 100;
const ROUNDS = 5;

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

async function best(fn: () => Promise<string> | string): Promise<{ ms: number; bytes: number }> {
  let ms = Infinity;
  let bytes = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    bytes = (await fn()).length;
    ms = Math.min(ms, performance.now() - start);
  }
  return { ms, bytes };
}

const floor = await best(floorObjects);
const fast = await best(() => generated(false));
const go = await best(() => generated(true));
if (fast.bytes !== floor.bytes || go.bytes !== floor.bytes) throw new Error(`output differs from the floor: ${fast.bytes}/${go.bytes} vs ${floor.bytes} bytes`);

const round = (n: number) => Math.round(n * 10) / 10;
console.log(`generate: ${SIDE}×${SIDE} List × List matrix, best of ${ROUNDS}`);
console.log(`  floor (build + JSON of the same objects): ${round(floor.ms)} ms`);
console.log(`  fasttemplate: ${round(fast.ms)} ms (${Math.round((SIDE * SIDE) / (fast.ms / 1000))} apps/s, ${round(fast.ms / floor.ms)}× floor)`);
console.log(`  goTemplate:   ${round(go.ms)} ms (${Math.round((SIDE * SIDE) / (go.ms / 1000))} apps/s, ${round(go.ms / floor.ms)}× floor)`);
console.log(
  JSON.stringify({
    bench: 'generate',
    apps: SIDE * SIDE,
    ms: round(fast.ms),
    appsPerSec: Math.round((SIDE * SIDE) / (fast.ms / 1000)),
    floorMs: round(floor.ms),
    ratioToFloor: round(fast.ms / floor.ms),
    goTemplateMs: round(go.ms),
    goTemplateRatioToFloor: round(go.ms / floor.ms),
  }),
);
