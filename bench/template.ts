// `npm run bench -- template`: a realistic Application template (20 actions, 3 sprig pipelines)
// rendered in goTemplate mode, compiled once as a generation compiles it, and the same template
// with equivalent expressions through Handlebars (compiled once, no HTML escaping, as text/template),
// in interleaved rounds of RENDERS_PER_ROUND renders (BENCH_ROUNDS rounds, 9 by default); figures
// are medians of the rounds. Then the longest the event loop is held by a hostile render (RSA and
// DSA keys, a CA, password hashes, a catastrophic regex), next to one synchronous RSA-4096
// generation as the yardstick.
import { generateKeyPairSync } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Handlebars from 'handlebars';
import { compileTemplate, render } from '../src/templating/render.js';
import { gitCommit, interleavedRounds, medianRatio, roundTo } from './rounds.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const RENDERS_PER_ROUND = 10_000;

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
const renderGo = compileTemplate(template, options);

// The same expressions in Handlebars: `lookup` for index, helpers for sprig's functions and eq.
const handlebars = Handlebars.create();
handlebars.registerHelper({
  lower: (text: string) => text.toLowerCase(),
  upper: (text: string) => text.toUpperCase(),
  replace: (text: string, old: string, replacement: string) => text.replaceAll(old, replacement),
  trunc: (text: string, length: number) => text.slice(0, length),
  trimSuffix: (text: string, suffix: string) => (text.endsWith(suffix) ? text.slice(0, -suffix.length) : text),
  dig: (key: string, fallback: unknown, map: Record<string, unknown>) => (Object.hasOwn(map, key) ? map[key] : fallback),
  eq: (a: unknown, b: unknown) => a === b,
});
const handlebarsTemplate = {
  metadata: {
    name: '{{path.basename}}-{{name}}',
    labels: { env: '{{lookup metadata.labels "env"}}', region: '{{lookup metadata.labels "region"}}', app: '{{path.basename}}' },
    annotations: { 'regatta.dev/revision': '{{revision}}', 'regatta.dev/branch': '{{trimSuffix (trunc (replace (lower branch) "/" "-") 40) "-"}}' },
  },
  spec: {
    project: '{{dig "project" "default" values}}',
    source: {
      repoURL: '{{repoURL}}',
      targetRevision: '{{revision}}',
      path: '{{path.path}}',
      helm: {
        releaseName: '{{path.basename}}',
        valueFiles: ['values.yaml', 'values-{{lookup metadata.labels "env"}}.yaml'],
        parameters: [
          { name: 'replicas', value: '{{#if (eq (lookup metadata.labels "env") "prod")}}3{{else}}1{{/if}}' },
          { name: 'cluster', value: '{{upper name}}' },
        ],
      },
    },
    destination: { server: '{{server}}', namespace: '{{path.basename}}-{{lookup metadata.labels "env"}}' },
    syncPolicy: { syncOptions: ['CreateNamespace=true'] },
  },
};

type Params = Record<string, unknown>;
/** Every string of the template compiled once by Handlebars; a render builds the object anew, as Regatta's does. */
function compileHandlebars(value: unknown): (params: Params) => unknown {
  if (typeof value === 'string') {
    if (!value.includes('{{')) return () => value;
    const compiled = handlebars.compile(value, { noEscape: true, strict: true });
    return (params) => compiled(params);
  }
  if (Array.isArray(value)) {
    const items = value.map(compileHandlebars);
    return (params) => items.map((item) => item(params));
  }
  const entries = Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, compileHandlebars(item)] as const);
  return (params) => {
    const out: Record<string, unknown> = {};
    for (const [key, item] of entries) out[key] = item(params);
    return out;
  };
}
const renderHandlebars = compileHandlebars(handlebarsTemplate);

const goOutput = JSON.stringify(await renderGo(paramSets[0]));
const handlebarsOutput = JSON.stringify(renderHandlebars(paramSets[0]));
if (goOutput !== handlebarsOutput) throw new Error(`the two templates differ:\n${goOutput}\n${handlebarsOutput}`);
// The one-off path (render() of a template not compiled before) for comparison with earlier figures.
if (JSON.stringify(await render(template, paramSets[0], options)) !== goOutput) throw new Error('render() and the compiled template differ');

let bytes = 0;
const { goTemplate, handlebarsTiming } = await interleavedRounds(
  {
    goTemplate: async () => {
      for (let i = 0; i < RENDERS_PER_ROUND; i++) bytes += JSON.stringify(await renderGo(paramSets[i % paramSets.length])).length;
    },
    handlebarsTiming: () => {
      for (let i = 0; i < RENDERS_PER_ROUND; i++) JSON.stringify(renderHandlebars(paramSets[i % paramSets.length]));
    },
  },
  ROUNDS,
);
const ratioToHandlebars = medianRatio(goTemplate, handlebarsTiming);
const perSec = (ms: number) => Math.round(RENDERS_PER_ROUND / (ms / 1000));

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

console.log(
  `template: a 20-action Application template (3 sprig pipelines), goTemplate mode, against Handlebars; median of ${ROUNDS} interleaved rounds of ${RENDERS_PER_ROUND} renders (spread: slowest − fastest round, over the median)`,
);
console.log(
  `  goTemplate ${perSec(goTemplate.medianMs)} renders/s (spread ${Math.round(goTemplate.spreadPct)}%), ${(bytes / (RENDERS_PER_ROUND * (ROUNDS + 1))).toFixed(0)} bytes per rendered Application`,
);
console.log(
  `  Handlebars ${perSec(handlebarsTiming.medianMs)} renders/s (spread ${Math.round(handlebarsTiming.spreadPct)}%); goTemplate takes ${roundTo(ratioToHandlebars, 2)}× Handlebars' time`,
);
console.log(
  `  longest event-loop stall: hostile render (3 RSA-4096, 2 DSA, a CA, bcrypt, derivePassword, (a|aa)+ on 20,000 characters) ${Math.round(hostileStallMs)} ms; one synchronous RSA-4096 generation ${Math.round(syncKeyStallMs)} ms`,
);
console.log(
  JSON.stringify({
    bench: 'template',
    rounds: ROUNDS,
    rendersPerRound: RENDERS_PER_ROUND,
    rendersPerSec: perSec(goTemplate.medianMs),
    handlebarsRendersPerSec: perSec(handlebarsTiming.medianMs),
    ratioToHandlebars: roundTo(ratioToHandlebars, 2),
    spreadPct: { goTemplate: Math.round(goTemplate.spreadPct), handlebars: Math.round(handlebarsTiming.spreadPct) },
    hostileStallMs: Math.round(hostileStallMs),
    syncRsa4096StallMs: Math.round(syncKeyStallMs),
    commit: gitCommit(),
  }),
);
