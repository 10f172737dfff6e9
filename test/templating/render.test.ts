import { describe, expect, it } from 'vitest';
import { compileTemplate, render, renderString, RenderError } from '../../src/templating/render.js';

const template = {
  metadata: {
    name: '{{cluster}}-guestbook',
    labels: { 'env-{{env}}': '{{env}}', fixed: 'yes' },
    annotations: { 'note/{{cluster}}': 'for {{ cluster }}' },
  },
  spec: {
    project: 'default',
    source: {
      repoURL: 'https://github.com/argoproj/argo-cd.git',
      path: 'apps/{{cluster}}',
      helm: { valuesObject: { replicas: 2, image: { tag: '{{tag}}' }, hosts: ['{{cluster}}.example.com', 'static'] } },
    },
    destination: { server: '{{url}}', namespace: 'guestbook' },
    syncPolicy: { automated: { prune: true } },
  },
};

describe('render: a whole Application template', () => {
  const params = { cluster: 'dev', env: 'staging', url: 'https://1.2.3.4', tag: 'v1' };

  it('renders every string at any depth, and map keys, in fasttemplate mode', async () => {
    const out = await render(template, params, {});
    expect(out.metadata).toEqual({
      name: 'dev-guestbook',
      labels: { 'env-staging': 'staging', fixed: 'yes' },
      annotations: { 'note/dev': 'for dev' },
    });
    expect(out.spec.source.path).toBe('apps/dev');
    expect(out.spec.source.helm.valuesObject).toEqual({ replicas: 2, image: { tag: 'v1' }, hosts: ['dev.example.com', 'static'] });
    expect(out.spec.destination.server).toBe('https://1.2.3.4');
    expect(out.spec.syncPolicy.automated.prune).toBe(true);
  });

  it('leaves the template untouched when there are no parameters', async () => {
    expect(await render(template, {}, {})).toBe(template);
  });

  it('does not modify the template it is given', async () => {
    const before = structuredClone(template);
    await render(template, params, {});
    expect(template).toEqual(before);
  });

  it('reports which field failed', async () => {
    let caught: unknown;
    try {
      await render({ spec: { source: { path: '{{a}}/{{open' } } }, { a: 'b' }, {});
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RenderError);
    expect((caught as RenderError).field).toBe('spec.source.path');
  });
});

describe('renderString in goTemplate mode', () => {
  it('executes Go templates with the parameters', async () => {
    expect(await renderString('{{ .path.basename }}-{{ .n }}', { path: { basename: 'app' }, n: 3 }, { goTemplate: true })).toBe('app-3');
  });

  it('prints <no value> for a missing key by default, as Go does', async () => {
    expect(await renderString('{{ .missing }}', { a: 'b' }, { goTemplate: true })).toBe('<no value>');
  });

  it("fails with missingkey=error, wrapping Go's error as Argo CD does", async () => {
    await expect(
      renderString('{{ .cluster }}', { a: 'b' }, { goTemplate: true, goTemplateOptions: ['missingkey=error'] }, 'spec.destination.server'),
    ).rejects.toThrow(
      /^failed to execute go template \{\{ \.cluster \}\}: template: spec\.destination\.server:1:3: executing "spec\.destination\.server" at <\.cluster>: map has no entry for key "cluster"$/,
    );
  });

  it('reports parse errors as Argo CD does', async () => {
    await expect(renderString('{{ if }}', { a: 'b' }, { goTemplate: true })).rejects.toThrow(
      /^failed to parse template \{\{ if \}\}: template: base:1: missing value for if$/,
    );
  });

  it('keeps strings without actions as they are', async () => {
    expect(await renderString('plain', { a: 'b' }, { goTemplate: true })).toBe('plain');
  });
});

describe('compileTemplate: one template for many parameter sets', () => {
  it('renders every parameter set as render does, in both modes', async () => {
    const paramSets = [
      { cluster: 'dev', env: 'staging', url: 'https://1.2.3.4', tag: 'v1' },
      { cluster: 'prod', env: 'live', url: 'https://5.6.7.8', tag: 'v2' },
    ];
    const goTemplate = JSON.parse(JSON.stringify(template).replace(/\{\{ ?(\w+) ?\}\}/g, '{{ .$1 }}'));
    for (const [source, options] of [
      [template, { goTemplate: false }],
      [goTemplate, { goTemplate: true }],
    ] as const) {
      const compiled = compileTemplate(source, options);
      for (const params of paramSets) expect(await compiled(params)).toEqual(await render(source, params, options));
    }
    expect(((await compileTemplate(goTemplate, { goTemplate: true })(paramSets[1])) as typeof template).metadata.name).toBe('prod-guestbook');
  });

  it('reports a string that fails, with its field, when a parameter set is rendered, not when compiled', async () => {
    const broken = { metadata: { name: '{{ .name }}' }, spec: { project: '{{ .project | nosuchfunction }}' } };
    const compiled = compileTemplate(broken, { goTemplate: true });
    const error = await Promise.resolve()
      .then(() => compiled({ name: 'a' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).field).toBe('spec.project');
    expect((error as RenderError).message).toMatch(
      /^failed to parse template \{\{ \.project \| nosuchfunction \}\}: template: spec\.project:1: function "nosuchfunction" not defined/,
    );
  });
});
