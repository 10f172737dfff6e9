import { describe, expect, it } from 'vitest';
import { applicationsOf, generate } from '../support/generation.js';

const template = `
  template:
    metadata: {name: '{{NAME}}'}
    spec: {project: default, destination: {server: https://kubernetes.default.svc}}`;

function appSet(generators: string, options: { goTemplate?: boolean; name?: string } = {}): string {
  return `
kind: ApplicationSet
metadata: {name: matrix}
spec:
  goTemplate: ${options.goTemplate ?? false}
  generators:
${generators}
${template.replace('{{NAME}}', options.name ?? '{{a}}-{{b}}')}`;
}

describe('matrix generator', () => {
  it('yields the cartesian product, first child outermost', async () => {
    const result = await generate(
      appSet(`
  - matrix:
      generators:
      - list: {elements: [{a: "1"}, {a: "2"}]}
      - list: {elements: [{b: x}, {b: w}, {b: z}]}`),
    );
    expect(result.generated.map((g) => g.application.metadata.name)).toEqual(['1-x', '1-w', '1-z', '2-x', '2-w', '2-z']);
    expect(result.generated[0].params).toEqual({ a: '1', b: 'x' });
  });

  it("lets the second child use the first child's parameters", async () => {
    const apps = await applicationsOf(
      appSet(
        `
  - matrix:
      generators:
      - list: {elements: [{env: dev}, {env: prod}]}
      - list: {elements: [{app: 'web-{{env}}'}, {app: 'api-{{env}}'}]}`,
        { name: '{{app}}' },
      ),
    );
    expect(apps.map((a) => a.metadata.name)).toEqual(['web-dev', 'api-dev', 'web-prod', 'api-prod']);
  });

  it('rejects fasttemplate keys that disagree between children', async () => {
    const result = await generate(
      appSet(`
  - matrix:
      generators:
      - list: {elements: [{a: "1", shared: left}]}
      - list: {elements: [{b: x, shared: right}]}`),
    );
    expect(result.failure?.message).toContain('found duplicate key shared with different value, a: left ,b: right');
    expect(result.failure?.field).toBe('spec.generators[0].matrix');
  });

  it('merges goTemplate parameters deeply, the first child winning', async () => {
    const result = await generate(
      appSet(
        `
  - matrix:
      generators:
      - list: {elements: [{a: "1", values: {size: big}}]}
      - list: {elements: [{b: x, a: ignored, values: {size: small, color: red}}]}`,
        { goTemplate: true, name: '{{.a}}-{{.b}}-{{.values.size}}-{{.values.color}}' },
      ),
    );
    expect(result.generated.map((g) => g.application.metadata.name)).toEqual(['1-x-big-red']);
  });

  it('supports one level of nested matrix', async () => {
    const apps = await applicationsOf(
      appSet(
        `
  - matrix:
      generators:
      - matrix:
          generators:
          - list: {elements: [{a: "1"}, {a: "2"}]}
          - list: {elements: [{b: x}]}
      - list: {elements: [{c: p}, {c: q}]}`,
        { name: '{{a}}{{b}}{{c}}' },
      ),
    );
    expect(apps.map((a) => a.metadata.name)).toEqual(['1xp', '1xq', '2xp', '2xq']);
  });

  it('refuses a second level of nesting, as Argo CD does', async () => {
    const result = await generate(
      appSet(`
  - matrix:
      generators:
      - matrix:
          generators:
          - matrix:
              generators:
              - list: {elements: [{a: "1"}]}
              - list: {elements: [{b: x}]}
          - list: {elements: [{c: p}]}
      - list: {elements: [{d: q}]}`),
    );
    expect(result.failure?.field).toBe('spec.generators[0].matrix.generators[0].matrix.generators[0].matrix');
    expect(result.failure?.message).toContain('may be nested only one level deep');
  });

  it('needs exactly two children', async () => {
    const one = await generate(
      appSet(`
  - matrix:
      generators:
      - list: {elements: [{a: "1"}]}`),
    );
    expect(one.failure?.message).toBe('found less than two generators, Matrix support only two');
    const three = await generate(
      appSet(`
  - matrix:
      generators:
      - list: {elements: [{a: "1"}]}
      - list: {elements: [{b: "1"}]}
      - list: {elements: [{c: "1"}]}`),
    );
    expect(three.failure?.message).toBe('found more than two generators, Matrix support only two');
  });

  it('yields nothing when the first child yields nothing', async () => {
    const result = await generate(
      appSet(`
  - matrix:
      generators:
      - list: {elements: []}
      - list: {elements: [{b: x}]}`),
    );
    expect(result.failure).toBeUndefined();
    expect(result.generated).toEqual([]);
  });

  it("applies a child's post-selector before combining", async () => {
    const apps = await applicationsOf(
      appSet(`
  - matrix:
      generators:
      - list: {elements: [{a: "1"}, {a: "2"}]}
        selector: {matchExpressions: [{key: a, operator: NotIn, values: ["2"]}]}
      - list: {elements: [{b: x}]}`),
    );
    expect(apps.map((a) => a.metadata.name)).toEqual(['1-x']);
  });
});
