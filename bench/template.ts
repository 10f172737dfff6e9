// `npm run bench -- template`: a realistic Application template (20 actions, 3 sprig pipelines)
// rendered 100,000 times in goTemplate mode; parsed templates come from the cache after the first.
import { performance } from 'node:perf_hooks';
import { render } from '../src/templating/render.js';

const RENDERS = 100_000;

const template = {
  metadata: {
    name: '{{ .path.basename }}-{{ .name }}',
    labels: { env: '{{ index .metadata.labels "env" }}', region: '{{ index .metadata.labels "region" }}', app: '{{ .path.basename }}' },
    annotations: { 'regatta.dev/revision': '{{ .revision }}', 'regatta.dev/branch': '{{ .branch | lower | replace "/" "-" | trunc 40 | trimSuffix "-" }}' },
  },
  spec: {
    project: '{{ dig "project" "default" .values }}',
    source: {
      repoURL: '{{ .repoURL }}',
      targetRevision: '{{ .revision }}',
      path: '{{ .path.path }}',
      helm: {
        releaseName: '{{ .path.basename }}',
        valueFiles: ['values.yaml', 'values-{{ index .metadata.labels "env" }}.yaml'],
        parameters: [
          { name: 'replicas', value: '{{ if eq (index .metadata.labels "env") "prod" }}3{{ else }}1{{ end }}' },
          { name: 'cluster', value: '{{ .name | upper }}' },
        ],
      },
    },
    destination: { server: '{{ .server }}', namespace: '{{ .path.basename }}-{{ index .metadata.labels "env" }}' },
    syncPolicy: { syncOptions: ['CreateNamespace=true'] },
  },
};

const paramSets = Array.from({ length: 100 }, (_, i) => ({
  name: `cluster-${i}`,
  server: `https://10.0.0.${i}:6443`,
  repoURL: 'https://git.example.com/platform/apps.git',
  revision: 'main',
  branch: `Feature/JIRA-${i}_Some_Long_Branch_Name_That_Needs_Trimming`,
  path: { path: `apps/app-${i % 10}`, basename: `app-${i % 10}` },
  metadata: { labels: { env: i % 3 === 0 ? 'prod' : 'staging', region: `eu-${i % 4}` } },
  values: {},
}));

const options = { goTemplate: true, goTemplateOptions: ['missingkey=error'] };
let bytes = 0;
const start = performance.now();
for (let i = 0; i < RENDERS; i++) bytes += JSON.stringify(await render(template, paramSets[i % paramSets.length], options)).length;
const ms = performance.now() - start;

console.log(`template: ${RENDERS} renders of a 20-action Application template (3 sprig pipelines), goTemplate mode`);
console.log(`  ${Math.round(ms)} ms, ${Math.round(RENDERS / (ms / 1000))} renders/s, ${(bytes / RENDERS).toFixed(0)} bytes per rendered Application`);
console.log(JSON.stringify({ bench: 'template', renders: RENDERS, ms: Math.round(ms), rendersPerSec: Math.round(RENDERS / (ms / 1000)) }));
