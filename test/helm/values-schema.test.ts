import { describe, expect, it } from 'vitest';
import { loadChart } from '../../src/helm/chart.js';
import { renderChart } from '../../src/helm/render-chart.js';

const SCHEMA = JSON.stringify({
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  required: ['image'],
  additionalProperties: false,
  properties: {
    replicaCount: { type: 'integer', minimum: 1, maximum: 10 },
    image: {
      type: 'object',
      required: ['repository'],
      properties: {
        repository: { type: 'string', pattern: '^[a-z0-9./-]+$' },
        pullPolicy: { enum: ['Always', 'IfNotPresent'] },
      },
    },
    ports: { type: 'array', minItems: 1, items: { $ref: '#/definitions/port' } },
    sub: { type: 'object' },
  },
  definitions: { port: { type: 'integer', exclusiveMinimum: 0, maximum: 65535 } },
});

const SUB_SCHEMA = JSON.stringify({ type: 'object', properties: { size: { type: 'string', enum: ['small', 'large'] } } });

function chart() {
  const files: Record<string, string> = {
    'Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
    'values.yaml': 'replicaCount: 1\nimage:\n  repository: nginx\nports: [80]\n',
    'values.schema.json': SCHEMA,
    'templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  replicas: {{ .Values.replicaCount | quote }}\n',
    'charts/sub/Chart.yaml': 'apiVersion: v2\nname: sub\nversion: 0.1.0\n',
    'charts/sub/values.yaml': 'size: small\n',
    'charts/sub/values.schema.json': SUB_SCHEMA,
  };
  return loadChart(new Map(Object.entries(files).map(([name, text]) => [name, Buffer.from(text)])));
}

const render = (values: Record<string, unknown>) => renderChart(chart(), { releaseName: 'rel', namespace: 'ns', values });

describe("values.schema.json, checked as Helm 3 checks it before rendering", () => {
  it('renders values that meet the chart and subchart schemas', async () => {
    const manifests = await render({ replicaCount: 3, image: { pullPolicy: 'Always' }, sub: { size: 'large' } });
    expect(manifests.map((m) => m.object.data)).toEqual([{ replicas: '3' }]);
  });

  it("refuses values that break them, in Helm's message: each chart, then one line per violation", async () => {
    const values = { replicaCount: 'three', image: { repository: 'Nginx!', pullPolicy: 'Never' }, ports: [0, 70000], extra: true, sub: { size: 'huge' } };
    await expect(render(values)).rejects.toThrow(
      [
        "values don't meet the specifications of the schema(s) in the following chart(s):",
        'app:',
        '- (root): Additional property extra is not allowed',
        '- image.pullPolicy: image.pullPolicy must be one of the following: "Always", "IfNotPresent"',
        '- image.repository: Does not match pattern \'^[a-z0-9./-]+$\'',
        '- ports.0: Must be greater than 0',
        '- ports.1: Must be less than or equal to 65535',
        '- replicaCount: Invalid type. Expected: integer, given: string',
        'sub:',
        '- size: size must be one of the following: "small", "large"',
        '',
      ].join('\n'),
    );
  });

  it('reports required properties, numeric bounds and array sizes; a user null removes a default the schema requires', async () => {
    await expect(render({ image: null, replicaCount: 0, ports: [] })).rejects.toThrow(
      [
        'app:',
        '- (root): image is required',
        '- ports: Array must have at least 1 items',
        '- replicaCount: Must be greater than or equal to 1',
        '',
      ].join('\n'),
    );
  });

  it('refuses a schema that is not JSON, naming the chart', async () => {
    const broken = chart();
    broken.schema = Buffer.from('{ not json');
    await expect(renderChart(broken, { releaseName: 'rel', namespace: 'ns' })).rejects.toThrow(/^app: values\.schema\.json: /);
  });
});
