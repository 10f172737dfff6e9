import { describe, expect, it } from 'vitest';
import { renderGoTemplate } from '../../../src/templating/gotemplate/index.js';
import { applicationsOf } from '../../support/generation.js';

/** The goTemplate examples of Argo CD's GoTemplate.md, with the results the docs (and Argo CD's tests) state. */
describe('Argo CD GoTemplate.md examples', () => {
  it('slugify: default, maximum length, and without smart truncation (Argo CD TestSlugify)', () => {
    const branch = 'feat/a_really+long_pull_request_name_to_test_argo_slugification_and_branch_name_shortening_feature';
    const oneWord = 'feat/areallylongpullrequestnametotestargoslugificationandbranchnameshorteningfeature';
    const render = (template: string, value: string) => renderGoTemplate('base', template, { branch: value });
    expect(render('{{ slugify 50 false .branch }}', branch)).toBe('feat-a-really-long-pull-request-name-to-test-argo');
    expect(render('{{ slugify 53 true .branch }}', branch)).toBe('feat-a-really-long-pull-request-name-to-test-argo');
    expect(render('{{ slugify 50 true .branch }}', oneWord)).toBe('feat');
    expect(render('{{ slugify 50 false .branch }}', oneWord)).toBe('feat-areallylongpullrequestnametotestargoslugifica');
    expect(render('hellos3-{{.name}}-{{ cat .branch | slugify 23 }}', branch).length).toBeLessThanOrEqual('hellos3-<no value>-'.length + 23);
    expect(renderGoTemplate('base', '{{ cat .branch | slugify }}', { branch: 'Feature/Add Login' })).toBe('feature-add-login');
  });

  it('basic Go template usage: one Application per list element', async () => {
    const apps = await applicationsOf(`
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: guestbook}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - list:
      elements:
      - cluster: engineering-dev
        url: https://1.2.3.4
      - cluster: engineering-prod
        url: https://2.4.6.8
      - cluster: finance-preprod
        url: https://9.8.7.6
  template:
    metadata:
      name: '{{.cluster}}-guestbook'
    spec:
      project: my-project
      source:
        repoURL: https://github.com/infra-team/cluster-deployments.git
        targetRevision: HEAD
        path: guestbook/{{.cluster}}
      destination:
        server: '{{.url}}'
        namespace: guestbook
`);
    expect(apps.map((a) => [a.metadata.name, a.spec.source?.path, a.spec.destination.server])).toEqual([
      ['engineering-dev-guestbook', 'guestbook/engineering-dev', 'https://1.2.3.4'],
      ['engineering-prod-guestbook', 'guestbook/engineering-prod', 'https://2.4.6.8'],
      ['finance-preprod-guestbook', 'guestbook/finance-preprod', 'https://9.8.7.6'],
    ]);
  });

  it('fallbacks for unset parameters with dig, even under missingkey=error', async () => {
    const apps = await applicationsOf(`
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: guestbook}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - list:
      elements:
      - cluster: engineering-dev
        url: https://kubernetes.default.svc
      - cluster: engineering-prod
        url: https://kubernetes.default.svc
        nameSuffix: -my-name-suffix
  template:
    metadata:
      name: '{{.cluster}}{{dig "nameSuffix" "" .}}'
    spec:
      project: default
      source:
        repoURL: https://github.com/argoproj/argo-cd.git
        targetRevision: HEAD
        path: applicationset/examples/list-generator/guestbook/{{.cluster}}
      destination:
        server: '{{.url}}'
        namespace: guestbook
`);
    expect(apps.map((a) => a.metadata.name)).toEqual(['engineering-dev', 'engineering-prod-my-name-suffix']);
  });

  it('the migration table: Git path parameters by field and by Sprig function agree', () => {
    const params = {
      path: {
        path: 'applicationset/examples/git-generator-directory/cluster-addons/argo_workflows',
        basename: 'argo_workflows',
        basenameNormalized: 'argo-workflows',
        filename: 'config.json',
        filenameNormalized: 'config.json',
        segments: ['applicationset', 'examples', 'git-generator-directory', 'cluster-addons', 'argo_workflows'],
      },
    };
    const pairs: [string, string][] = [
      ['{{.path.basename}}', '{{base .path.path}}'],
      ['{{.path.basenameNormalized}}', '{{normalize .path.basename}}'],
      ['{{.path.filenameNormalized}}', '{{normalize .path.filename}}'],
      ['{{index .path.segments 4}}', '{{.path.basename}}'],
    ];
    for (const [byField, bySprig] of pairs) {
      expect(renderGoTemplate('base', bySprig, params)).toBe(renderGoTemplate('base', byField, params));
    }
  });

  it('cluster metadata is an object: labels are read with index', () => {
    const params = { metadata: { labels: { 'my-label': 'x' }, annotations: { 'my/annotation': 'y' } } };
    expect(renderGoTemplate('base', '{{ index .metadata.labels "my-label" }}/{{ index .metadata.annotations "my/annotation" }}', params)).toBe('x/y');
  });
});
