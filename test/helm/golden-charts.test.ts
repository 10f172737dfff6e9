import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseKubeYamlStream } from '../../src/api/kube-yaml.js';
import { loadChart, type Values } from '../../src/helm/chart.js';
import { renderChart, type ChartRenderOptions } from '../../src/helm/render-chart.js';
import { releaseValues } from '../../src/helm/release-values.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

function filesUnder(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(relative(root, full), readFileSync(full));
    }
  };
  walk(root);
  return files;
}

function chart(name: string) {
  return loadChart(filesUnder(join(FIXTURES, 'charts', name)));
}

/** A golden file as helm template printed it: its documents, with the `# Source:` each came from. */
function golden(name: string): { source: string; object: unknown }[] {
  const text = readFileSync(join(FIXTURES, 'output', `${name}.txt`), 'utf8');
  return text
    .split(/^---$/m)
    .map((document) => ({ source: /^# Source: (.+)$/m.exec(document)?.[1] ?? '', objects: parseKubeYamlStream(document) }))
    .filter((d) => d.objects.length > 0)
    .map((d) => ({ source: d.source, object: d.objects[0] }));
}

/** helm template's own flags in the golden tests: release-name, namespace default, --include-crds only where asked. */
async function template(name: string, options: Partial<ChartRenderOptions> & { set?: string[]; valueFiles?: string[] } = {}) {
  const files = filesUnder(join(FIXTURES, 'charts', name));
  const values: Values = releaseValues(
    { valueFiles: options.valueFiles, parameters: (options.set ?? []).map((s) => ({ name: s.split('=')[0], value: s.slice(s.indexOf('=') + 1) })) },
    '',
    (path) => files.get(path),
  );
  return renderChart(chart(name), { releaseName: 'release-name', namespace: 'default', includeCrds: false, values, ...options });
}

describe("Helm's test charts render as helm template's golden files show", () => {
  const cases: [string, string, Parameters<typeof template>[1]][] = [
    ['template', 'subchart', {}],
    ['template-set', 'subchart', { set: ['service.name=apache'] }],
    ['template-values-files', 'subchart', { valueFiles: ['charts/subchartA/values.yaml'] }],
    ['template-with-kube-version', 'subchart', { kubeVersion: '1.16.0' }],
    ['template-with-api-version', 'subchart', { apiVersions: ['helm.k8s.io/test', 'helm.k8s.io/test2'] }],
    ['template-with-crds', 'subchart', { includeCrds: true }],
    ['template-skip-tests', 'subchart', { skipTests: true }],
    ['template-subchart-cm', 'subchart', { set: ['configmap.enabled=true', 'subchartb.enabled=true'] }],
    ['template-subchart-cm-set', 'subchart', { set: ['configmap.enabled=true', 'subchartb.enabled=true', 'configmap.value=baz'] }],
    ['template-subchart-cm-set-file', 'subchart', { valueFiles: ['extra_values.yaml'] }],
    ['object-order', 'object-order', {}],
    ['issue-9027', 'issue-9027', {}],
    ['template-chart-with-template-lib-dep', 'chart-with-template-lib-dep', {}],
    ['template-chart-with-template-lib-archive-dep', 'chart-with-template-lib-archive-dep', {}],
  ];
  for (const [output, chartName, options] of cases) {
    it(`${output}: ${chartName} manifest for manifest`, async () => {
      const rendered = await template(chartName, options);
      const expected = golden(output);
      expect(expected.length).toBeGreaterThan(0);
      expect(rendered.map((m) => ({ source: m.source, object: m.object }))).toEqual(expected);
    });
  }

  /** The first line of a golden file holding helm's error, without its `Error: `. */
  const goldenError = (name: string) => readFileSync(join(FIXTURES, 'output', `${name}.txt`), 'utf8').split('\n')[0].replace(/^Error: /, '');

  it('template-chart-bad-type and template-lib-chart: a chart of an unknown type is refused with Helm’s message', () => {
    expect(() => chart('chart-bad-type')).toThrow(goldenError('template-chart-bad-type'));
    expect(() => chart('lib-chart')).toThrow(goldenError('template-lib-chart'));
  });

  it('template-with-invalid-yaml: a template that renders invalid YAML names the file', async () => {
    const expected = goldenError('template-with-invalid-yaml');
    await expect(template('chart-with-template-with-invalid-yaml')).rejects.toThrow(expected.slice(0, expected.indexOf('error converting YAML to JSON:') + 30));
  });
});
