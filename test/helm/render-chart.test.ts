import { describe, expect, it } from 'vitest';
import { loadChart } from '../../src/helm/chart.js';
import { releaseValues, type HelmSourceSpec } from '../../src/helm/release-values.js';
import { renderChart, type ChartRenderOptions } from '../../src/helm/render-chart.js';

const CHART_YAML = 'apiVersion: v2\nname: app\nversion: 0.1.0\n';

function chartOf(files: Record<string, string>) {
  return loadChart(new Map(Object.entries({ 'Chart.yaml': CHART_YAML, ...files }).map(([name, text]) => [name, Buffer.from(text)])));
}

async function render(files: Record<string, string>, options: Partial<ChartRenderOptions> = {}) {
  const manifests = await renderChart(chartOf(files), { releaseName: 'rel', namespace: 'ns', ...options });
  return manifests.map((m) => m.object);
}

const configMap = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n${data}`;

describe('renderChart: errors name the template and line as Helm does', () => {
  it('required in a helper is reported at the outermost template, with its message alone', async () => {
    const files = {
      'templates/_helpers.tpl': '{{ define "app.name" }}{{ required "name is required" .Values.name }}{{ end }}',
      'templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ include "app.name" . }}\n',
    };
    await expect(render(files)).rejects.toThrow(/^execution error at \(app\/templates\/cm\.yaml:4:11\): name is required$/);
    await expect(render(files, { values: { name: '' } })).rejects.toThrow('name is required');
    expect((await render(files, { values: { name: 'web' } }))[0].metadata.name).toBe('web');
  });

  it('fail stops the render with its message', async () => {
    await expect(render({ 'templates/x.yaml': '{{ if .Values.legacy }}{{ fail "legacy mode is gone" }}{{ end }}' }, { values: { legacy: true } })).rejects.toThrow(
      /^execution error at \(app\/templates\/x\.yaml:1:26\): legacy mode is gone$/,
    );
  });

  it("other execution errors are Go's, and a parse error is Helm's parse error at (file:line)", async () => {
    await expect(render({ 'templates/x.yaml': 'a: {{ .Values.missing.key }}' })).rejects.toThrow(
      'template: app/templates/x.yaml:1:21: executing "app/templates/x.yaml" at <.Values.missing.key>: nil pointer evaluating interface {}.key',
    );
    await expect(render({ 'templates/x.yaml': 'a: 1\n{{ if }}\n' })).rejects.toThrow('parse error at (app/templates/x.yaml:2): missing value for if');
  });
});

describe('renderChart: built-in objects and functions', () => {
  it('.Release, .Chart, .Template, .Capabilities', async () => {
    const [cm] = await render(
      {
        'templates/cm.yaml': configMap(
          [
            '  release: "{{ .Release.Name }}/{{ .Release.Namespace }}/{{ .Release.IsInstall }}/{{ .Release.IsUpgrade }}/{{ .Release.Service }}"',
            '  chart: "{{ .Chart.Name }}-{{ .Chart.Version }}"',
            '  template: "{{ .Template.Name }} in {{ .Template.BasePath }}"',
            '  kube: "{{ .Capabilities.KubeVersion.Version }} {{ .Capabilities.KubeVersion.Minor }} {{ .Capabilities.KubeVersion }}"',
            '  apps: "{{ .Capabilities.APIVersions.Has "apps/v1" }} {{ .Capabilities.APIVersions.Has "example.com/v1/Widget" }}"',
            '',
          ].join('\n'),
        ),
      },
      { kubeVersion: 'v1.29.3', apiVersions: ['example.com/v1/Widget'] },
    );
    expect(cm.data).toEqual({
      release: 'rel/ns/true/false/Helm',
      chart: 'app-0.1.0',
      template: 'app/templates/cm.yaml in app/templates',
      kube: 'v1.29.3 29 v1.29.3',
      apps: 'true true',
    });
  });

  it('tpl renders a value as a template, include a named template; lookup finds nothing, as in helm template', async () => {
    const [cm] = await render(
      {
        'values.yaml': 'greeting: "hello {{ .Release.Name }}"\n',
        'templates/_helpers.tpl': '{{- define "app.label" -}}app={{ .Chart.Name }}{{- end -}}',
        'templates/cm.yaml': configMap(
          '  greeting: {{ tpl .Values.greeting . | quote }}\n  label: {{ include "app.label" . | upper | quote }}\n  secret: {{ if lookup "v1" "Secret" "ns" "x" }}found{{ else }}absent{{ end }}\n',
        ),
      },
      {},
    );
    expect(cm.data).toEqual({ greeting: 'hello rel', label: 'APP=APP', secret: 'absent' });
  });

  it('.Files: Get, Glob with AsConfig and AsSecrets, Lines', async () => {
    const [cm] = await render({
      'config/a.conf': 'alpha\n',
      'config/b.conf': 'beta\n',
      'hosts.txt': 'one\ntwo\n',
      'templates/cm.yaml': [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: cm',
        '  annotations:',
        '    lines: "{{ range .Files.Lines "hosts.txt" }}[{{ . }}]{{ end }}"',
        '    get: {{ .Files.Get "config/a.conf" | quote }}',
        '    secrets: {{ (.Files.Glob "config/*").AsSecrets | quote }}',
        'data:',
        '{{ (.Files.Glob "config/*.conf").AsConfig | indent 2 }}',
        '',
      ].join('\n'),
    });
    expect(cm.metadata.annotations).toEqual({ lines: '[one][two]', get: 'alpha\n', secrets: 'a.conf: YWxwaGEK\nb.conf: YmV0YQo=' });
    expect(cm.data).toEqual({ 'a.conf': 'alpha\n', 'b.conf': 'beta\n' });
  });

  it(".helmignore leaves files out of .Files and templates, a directory with everything under it; hidden templates are always left out", async () => {
    const [cm] = await render({
      '.helmignore': '# comment\n*.md\nprivate/\n/top.txt\n',
      'README.md': 'readme',
      'docs/guide.md': 'guide',
      'private/key.txt': 'secret',
      'top.txt': 'top',
      'conf/top.txt': 'nested',
      'templates/.hidden.yaml': 'not: [valid',
      'templates/ignored.md': 'not: [valid',
      'templates/cm.yaml': configMap('  files: {{ (.Files.Glob "**").AsConfig | quote }}\n'),
    });
    expect(cm.data.files).toBe('.helmignore: |\n  # comment\n  *.md\n  private/\n  /top.txt\ntop.txt: nested');
  });

  it('NOTES.txt and partials are not manifests; crds/ come first unless skipped', async () => {
    const files = {
      'crds/widget.yaml': 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\n',
      'templates/NOTES.txt': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\n',
      'templates/_partial.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: partial\n',
      'templates/cm.yaml': configMap('  a: b\n'),
    };
    expect((await render(files, { includeCrds: true })).map((m) => m.metadata.name)).toEqual(['widgets.example.com', 'cm']);
    expect((await render(files, { includeCrds: false })).map((m) => m.metadata.name)).toEqual(['cm']);
  });
});

describe('renderChart: subcharts', () => {
  const sub = (name: string) => ({
    [`charts/${name}/Chart.yaml`]: `apiVersion: v2\nname: ${name}\nversion: 1.0.0\n`,
    [`charts/${name}/values.yaml`]: 'port: 80\n',
    [`charts/${name}/templates/svc.yaml`]:
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}-{{ .Chart.Name }}\n  labels:\n    region: {{ .Values.global.region | quote }}\nspec:\n  ports:\n    - port: {{ .Values.port }}\n',
  });

  it('values scoped by subchart name, globals shared, alias renames, condition and tags turn dependencies off', async () => {
    const files = {
      'Chart.yaml': `${CHART_YAML}dependencies:\n  - name: redis\n    version: 1.0.0\n    condition: redis.enabled\n  - name: redis\n    alias: cache\n    version: 1.0.0\n  - name: db\n    version: 1.0.0\n    tags: [storage]\n`,
      'values.yaml': 'global:\n  region: eu\ncache:\n  port: 6380\n',
      ...sub('redis'),
      ...sub('db'),
    };
    const services = (objects: Record<string, any>[]) => objects.map((m) => `${m.metadata.name}:${m.spec.ports[0].port}:${m.metadata.labels.region}`);
    expect(services(await render(files))).toEqual(['rel-cache:6380:eu', 'rel-db:80:eu', 'rel-redis:80:eu']);
    expect(services(await render(files, { values: { redis: { enabled: false }, tags: { storage: false } } }))).toEqual(['rel-cache:6380:eu']);
  });
});

describe('renderChart: Chart.yaml', () => {
  it('a version that is not semantic is refused with Helm’s message', () => {
    expect(() => chartOf({ 'Chart.yaml': 'apiVersion: v2\nname: app\nversion: one\n' })).toThrow('validation: chart.metadata.version "one" is invalid');
  });

  it('a dependency takes a subchart only within its version range: one outside it is kept as it is, not aliased', async () => {
    const files = {
      'Chart.yaml': `${CHART_YAML}dependencies:\n  - name: db\n    version: ">=2.0.0"\n    alias: store\n`,
      'charts/db/Chart.yaml': 'apiVersion: v2\nname: db\nversion: 1.0.0\n',
      'charts/db/templates/cm.yaml': configMap('  a: b\n').replace('name: cm', 'name: {{ .Chart.Name }}'),
    };
    expect((await render(files)).map((m) => m.metadata.name)).toEqual(['db']);
    files['charts/db/Chart.yaml'] = 'apiVersion: v2\nname: db\nversion: 2.1.0\n';
    expect((await render(files)).map((m) => m.metadata.name)).toEqual(['store']);
  });
});

describe('renderChart: a chart is bounded', () => {
  it('output beyond the limit stops the render', async () => {
    const files = { 'templates/cm.yaml': configMap('{{ range until 10000 }}  k{{ . }}: "{{ repeat 100 "x" }}"\n{{ end }}') };
    await expect(render(files, { limits: { maxOutputBytes: 100_000, timeoutMs: 10_000 } })).rejects.toThrow(/template output exceeded its budget of 100000 bytes/);
  });

  it('a render that runs too long stops', async () => {
    const files = { 'templates/cm.yaml': '{{ range until 10000 }}{{ range until 10000 }}{{ end }}{{ end }}' };
    await expect(render(files, { limits: { maxOutputBytes: 1_000_000, timeoutMs: 50 } })).rejects.toThrow(/exceeded its budget of 50ms/);
  });
});

describe("release values in Argo CD's order", () => {
  const files = new Map(
    Object.entries({
      'chart/a.yaml': 'from: a\nonlyA: true\nnested:\n  first: a\n  second: a\n',
      'chart/b.yaml': 'from: b\nnested:\n  second: b\n',
      'chart/set.txt': 'file content',
    }).map(([k, v]) => [k, Buffer.from(v)]),
  );
  const values = (helm: HelmSourceSpec) => releaseValues(helm, 'chart', (path) => files.get(path));

  it('value files in order, then values (or valuesObject instead), then parameters, forceString and fileParameters', () => {
    expect(values({ valueFiles: ['a.yaml', 'b.yaml'] })).toEqual({ from: 'b', onlyA: true, nested: { first: 'a', second: 'b' } });
    expect(values({ valueFiles: ['a.yaml'], values: 'from: values\nnested:\n  first: values\n' })).toEqual({ from: 'values', onlyA: true, nested: { first: 'values', second: 'a' } });
    expect(values({ values: 'from: values\n', valuesObject: { from: 'object' } })).toEqual({ from: 'object' });
    expect(
      values({
        valueFiles: ['a.yaml'],
        values: 'from: values\n',
        parameters: [
          { name: 'from', value: 'parameter' },
          { name: 'count', value: '3' },
          { name: 'version', value: '3', forceString: true },
          { name: 'list', value: '{a,b}' },
          { name: 'csv', value: 'a,b' },
        ],
        fileParameters: [{ name: 'nested.file', path: 'set.txt' }],
      }),
    ).toEqual({ from: 'parameter', onlyA: true, nested: { first: 'a', second: 'a', file: 'file content' }, count: 3n, version: '3', list: ['a', 'b'], csv: 'a,b' });
  });

  it('a later parameter of the same name wins; a forceString one is set after the others', () => {
    expect(
      values({
        parameters: [
          { name: 'a', value: '1' },
          { name: 'b', value: '2', forceString: true },
          { name: 'a', value: '5' },
        ],
      }),
    ).toEqual({ a: 5n, b: '2' });
  });

  it('value files may not leave the repository', () => {
    expect(() => values({ valueFiles: ['../../outside.yaml'] })).toThrow("file '../../outside.yaml' resolved to outside repository root");
  });

  it('user values override the chart defaults, null deletes one', async () => {
    const [cm] = await render(
      { 'values.yaml': 'a: default\nb: default\nc: default\n', 'templates/cm.yaml': configMap('{{ toYaml .Values | indent 2 }}\n') },
      { values: releaseValues({ values: 'a: user\nc: null\n' }, '', () => undefined) },
    );
    expect(cm.data).toEqual({ a: 'user', b: 'default' });
  });
});
