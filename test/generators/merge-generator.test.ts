import { describe, expect, it } from 'vitest';
import { generate } from '../support/generation.js';

function appSet(generators: string, goTemplate = false, name = '{{server}}'): string {
  return `
kind: ApplicationSet
metadata: {name: merge}
spec:
  goTemplate: ${goTemplate}
  generators:
${generators}
  template:
    metadata: {name: '${name}'}
    spec: {project: default, destination: {server: https://kubernetes.default.svc}}`;
}

describe('merge generator', () => {
  it('overrides base parameter sets that share the merge keys, later generators winning', async () => {
    const result = await generate(
      appSet(`
  - merge:
      mergeKeys: [server]
      generators:
      - list:
          elements:
          - {name: staging, server: https://1.2.3.4, values.kafka: 'true', values.redis: 'false'}
          - {name: production, server: https://2.4.6.8, values.kafka: 'true', values.redis: 'false'}
      - list:
          elements:
          - {name: staging, server: https://1.2.3.4, values.kafka: 'false'}
      - list:
          elements:
          - {server: https://2.4.6.8, values.redis: 'true'}
          - {server: https://9.9.9.9, values.redis: 'unmatched'}`),
    );
    expect(result.failure).toBeUndefined();
    expect(result.generated.map((g) => g.params)).toEqual([
      { name: 'staging', server: 'https://1.2.3.4', 'values.kafka': 'false', 'values.redis': 'false' },
      { name: 'production', server: 'https://2.4.6.8', 'values.kafka': 'true', 'values.redis': 'true' },
    ]);
  });

  it('matches on several keys at once', async () => {
    const result = await generate(
      appSet(`
  - merge:
      mergeKeys: [app, env]
      generators:
      - list: {elements: [{app: a, env: dev, server: one}, {app: a, env: prod, server: two}]}
      - list: {elements: [{app: a, env: prod, server: three}]}`),
    );
    expect(result.generated.map((g) => g.params.server)).toEqual(['one', 'three']);
  });

  it('merges nested goTemplate parameters deeply', async () => {
    const result = await generate(
      appSet(
        `
  - merge:
      mergeKeys: [server]
      generators:
      - list: {elements: [{server: s1, values: {kafka: 'true', redis: 'false'}}]}
      - list: {elements: [{server: s1, values: {redis: 'true'}}]}`,
        true,
        '{{.server}}-{{.values.kafka}}-{{.values.redis}}',
      ),
    );
    expect(result.generated.map((g) => g.application.metadata.name)).toEqual(['s1-true-true']);
  });

  it('rejects base parameter sets that are not unique by the merge keys', async () => {
    const result = await generate(
      appSet(`
  - merge:
      mergeKeys: [server]
      generators:
      - list: {elements: [{server: s1, a: '1'}, {server: s1, a: '2'}]}
      - list: {elements: [{server: s1}]}`),
    );
    expect(result.failure?.message).toContain(
      'the parameters from a generator were not unique by the given mergeKeys, Merge requires all param sets to be unique. Duplicate key was {"server":"s1"}',
    );
  });

  it('needs merge keys and at least two generators', async () => {
    const noKeys = await generate(
      appSet(`
  - merge:
      mergeKeys: []
      generators:
      - list: {elements: [{server: s1}]}
      - list: {elements: [{server: s1}]}`),
    );
    expect(noKeys.failure?.message).toContain('no merge keys were specified, Merge requires at least one');
    const one = await generate(
      appSet(`
  - merge:
      mergeKeys: [server]
      generators:
      - list: {elements: [{server: s1}]}`),
    );
    expect(one.failure?.message).toBe('found less than two generators, Merge requires two or more');
  });

  it('names the failing child', async () => {
    const result = await generate(
      appSet(`
  - merge:
      mergeKeys: [server]
      generators:
      - list: {elements: [{server: s1}]}
      - list: {elements: [{server: 5}]}`),
    );
    expect(result.failure?.field).toBe('spec.generators[0].merge.generators[1].list.elements[0].server');
    expect(result.failure?.message).toContain('error getting params from generator 2 of 2');
  });
});
