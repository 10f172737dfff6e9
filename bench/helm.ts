// `npm run bench -- helm [RELEASES] [ROUNDS]` (default 200 releases, 9 rounds): the direct driver's
// Helm rendering against reading the same manifests as plain YAML, in interleaved rounds. Each round
// renders a web chart (helpers through `include`, a Deployment, a Service, a ConfigMap from
// `.Files`, an Ingress behind a condition) for RELEASES releases with their own values, and parses
// the manifests those renders produced, as a directory source holds them. Prints the figures and a
// JSON line with the median ratio of the two (#21's goal: Helm at most 5× plain YAML).
import { loadChart, renderChart } from '../src/helm/index.js';
import { parseKubeYamlStream } from '../src/api/kube-yaml.js';
import { toKubeYaml } from '../src/templating/gotemplate/index.js';
import { gitCommit, interleavedRounds, medianRatio, roundTo } from './rounds.js';

const [releasesArg, roundsArg] = process.argv.slice(process.argv.indexOf('helm') + 1);
const RELEASES = Number(releasesArg ?? 200);
const ROUNDS = Number(roundsArg ?? 9);

const CHART: Record<string, string> = {
  'Chart.yaml': 'apiVersion: v2\nname: web\nversion: 1.2.3\nappVersion: "4.5"\n',
  'values.yaml': [
    'replicaCount: 2',
    'image: {repository: registry.example.com/web, tag: ""}',
    'service: {type: ClusterIP, port: 80}',
    'ingress: {enabled: false, host: web.example.com}',
    'resources: {limits: {cpu: 500m, memory: 256Mi}}',
    'env: {LOG_LEVEL: info, FEATURE_X: "true"}',
    '',
  ].join('\n'),
  'files/app.properties': 'greeting=hello\ncolour=blue\n',
  'templates/_helpers.tpl': [
    '{{- define "web.fullname" -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end -}}',
    '{{- define "web.labels" -}}',
    'app.kubernetes.io/name: {{ .Chart.Name }}',
    'app.kubernetes.io/instance: {{ .Release.Name }}',
    'app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}',
    'helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}',
    '{{- end -}}',
    '',
  ].join('\n'),
  'templates/deployment.yaml': [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: {{ include "web.fullname" . }}',
    '  labels: {{- include "web.labels" . | nindent 4 }}',
    'spec:',
    '  replicas: {{ .Values.replicaCount }}',
    '  selector:',
    '    matchLabels: {app.kubernetes.io/instance: {{ .Release.Name }}}',
    '  template:',
    '    metadata:',
    '      labels: {{- include "web.labels" . | nindent 8 }}',
    '      annotations:',
    '        checksum/config: {{ .Files.Get "files/app.properties" | sha256sum }}',
    '    spec:',
    '      containers:',
    '      - name: web',
    '        image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"',
    '        env:',
    '        {{- range $name, $value := .Values.env }}',
    '        - name: {{ $name }}',
    '          value: {{ $value | quote }}',
    '        {{- end }}',
    '        resources: {{- toYaml .Values.resources | nindent 10 }}',
    '',
  ].join('\n'),
  'templates/service.yaml': [
    'apiVersion: v1',
    'kind: Service',
    'metadata:',
    '  name: {{ include "web.fullname" . }}',
    '  labels: {{- include "web.labels" . | nindent 4 }}',
    'spec:',
    '  type: {{ .Values.service.type }}',
    '  ports: [{port: {{ .Values.service.port }}, targetPort: 8080}]',
    '  selector: {app.kubernetes.io/instance: {{ .Release.Name }}}',
    '',
  ].join('\n'),
  'templates/configmap.yaml': [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: {{ include "web.fullname" . }}',
    'data:',
    '{{ (.Files.Glob "files/*").AsConfig | indent 2 }}',
    '',
  ].join('\n'),
  'templates/ingress.yaml': [
    '{{- if .Values.ingress.enabled }}',
    'apiVersion: networking.k8s.io/v1',
    'kind: Ingress',
    'metadata:',
    '  name: {{ include "web.fullname" . }}',
    'spec:',
    '  rules:',
    '  - host: {{ .Values.ingress.host }}',
    '    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: {{ include "web.fullname" . }}, port: {number: 80}}}}]}',
    '{{- end }}',
    '',
  ].join('\n'),
};

const files = new Map(Object.entries(CHART).map(([path, text]) => [path, Buffer.from(text)]));
const release = (i: number) => ({
  releaseName: `web-${i}`,
  namespace: `team-${i % 16}`,
  values: { replicaCount: 1 + (i % 5), image: { tag: `v${i}` }, ingress: { enabled: i % 2 === 0 } },
});

async function renderReleases(): Promise<number> {
  let manifests = 0;
  for (let i = 0; i < RELEASES; i++) manifests += (await renderChart(loadChart(files), release(i))).length;
  return manifests;
}

// The plain-YAML side reads what the Helm side produces: the same objects, as a directory holds them.
const plainTexts: string[] = [];
for (let i = 0; i < RELEASES; i++) {
  const rendered = await renderChart(loadChart(files), release(i));
  plainTexts.push(rendered.map((m) => toKubeYaml(m.object)).join('\n---\n'));
}
const manifestCount = await renderReleases();
const parsePlain = () => plainTexts.reduce((count, text) => count + parseKubeYamlStream(text).length, 0);
if (parsePlain() !== manifestCount) throw new Error(`plain YAML holds ${parsePlain()} manifests, Helm rendered ${manifestCount}`);

const timings = await interleavedRounds({ helm: renderReleases, plain: parsePlain }, ROUNDS);
const ratio = medianRatio(timings.helm, timings.plain);
const perSecond = (ms: number) => Math.round((manifestCount * 1000) / ms);
console.log(`${RELEASES} releases of a 4-template chart, ${manifestCount} manifests per round, ${ROUNDS} rounds (medians):`);
console.log(
  `  Helm render:  ${roundTo(timings.helm.medianMs)} ms (${perSecond(timings.helm.medianMs)} manifests/s, spread ${Math.round(timings.helm.spreadPct)} %)`,
);
console.log(
  `  plain YAML:   ${roundTo(timings.plain.medianMs)} ms (${perSecond(timings.plain.medianMs)} manifests/s, spread ${Math.round(timings.plain.spreadPct)} %)`,
);
console.log(`  Helm / plain: ${roundTo(ratio, 2)} (goal ≤ 5)`);
console.log(
  JSON.stringify({
    bench: 'helm',
    commit: gitCommit(),
    releases: RELEASES,
    manifests: manifestCount,
    helmMs: roundTo(timings.helm.medianMs),
    plainMs: roundTo(timings.plain.medianMs),
    helmManifestsPerSec: perSecond(timings.helm.medianMs),
    plainManifestsPerSec: perSecond(timings.plain.medianMs),
    helmOverPlain: roundTo(ratio, 2),
  }),
);
