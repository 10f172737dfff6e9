// `npm run bench -- template`: a realistic Application template (20 actions, 3 sprig pipelines)
// rendered 100,000 times in goTemplate mode; parsed templates come from the cache after the first.
// Then the longest the event loop is held by a hostile render (RSA and DSA keys, a CA, password
// hashes, a catastrophic regex), next to one synchronous RSA-4096 generation as the yardstick.
import { generateKeyPairSync } from 'node:crypto';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
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

/** The longest the event loop was held while `work` ran, in milliseconds. */
async function longestStall(work: () => unknown): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  await new Promise((resolve) => setTimeout(resolve, 30));
  await work();
  await new Promise((resolve) => setTimeout(resolve, 30));
  histogram.disable();
  return histogram.max / 1e6;
}
const hostile = {
  metadata: { name: '{{ .name }}' },
  spec: {
    keys: '{{ genPrivateKey "rsa" }}|{{ genPrivateKey "rsa" }}|{{ genPrivateKey "rsa" }}|{{ genPrivateKey "dsa" }}|{{ genPrivateKey "dsa" }}',
    ca: '{{ (genCA "fleet" 30).Cert }}',
    password: '{{ bcrypt "s3cret" }}',
    derived: '{{ derivePassword 1 "long" "password" "user" "example.com" }}',
    match: '{{ regexMatch "^(a|aa)+$" .text }}',
  },
};
const syncKeyStallMs = await longestStall(() => generateKeyPairSync('rsa', { modulusLength: 4096 }));
const hostileStallMs = await longestStall(() => render(hostile, { name: 'app', text: `${'a'.repeat(20_000)}b` }, options));

console.log(`template: ${RENDERS} renders of a 20-action Application template (3 sprig pipelines), goTemplate mode`);
console.log(`  ${Math.round(ms)} ms, ${Math.round(RENDERS / (ms / 1000))} renders/s, ${(bytes / RENDERS).toFixed(0)} bytes per rendered Application`);
console.log(
  `  longest event-loop stall: hostile render (3 RSA-4096, 2 DSA, a CA, bcrypt, derivePassword, (a|aa)+ on 20,000 characters) ${Math.round(hostileStallMs)} ms; one synchronous RSA-4096 generation ${Math.round(syncKeyStallMs)} ms`,
);
console.log(
  JSON.stringify({
    bench: 'template',
    renders: RENDERS,
    ms: Math.round(ms),
    rendersPerSec: Math.round(RENDERS / (ms / 1000)),
    hostileStallMs: Math.round(hostileStallMs),
    syncRsa4096StallMs: Math.round(syncKeyStallMs),
  }),
);
