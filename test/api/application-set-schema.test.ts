import { describe, expect, it } from 'vitest';
import { parseKubeYaml } from '../../src/api/kube-yaml.js';
import { validateApplicationSet } from '../../src/api/application-set-schema.js';

const withGenerator = (generator: string) =>
  parseKubeYaml(`
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: myapps, namespace: argocd}
spec:
  goTemplate: true
  generators:
  - pullRequest:
${generator}
  template:
    metadata: {name: 'myapp-{{.number}}'}
    spec:
      project: default
      source: {repoURL: 'https://example.com/r.git', targetRevision: '{{.head_sha}}', path: kubernetes/}
      destination: {server: https://kubernetes.default.svc, namespace: default}
`);

describe('ApplicationSet schema: Bitbucket Server, Bitbucket Cloud and Azure DevOps pull request generators', () => {
  it("accepts Argo CD's documented fields", () => {
    const generators = [
      `      bitbucketServer:
        project: myproject
        repo: myrepository
        api: https://mycompany.bitbucket.org
        basicAuth: {username: myuser, passwordRef: {secretName: mypassword, key: password}}
        bearerToken: {tokenRef: {secretName: repotoken, key: token}}
        insecure: true
        caRef: {configMapName: argocd-tls-certs-cm, key: bitbucket-ca}`,
      `      bitbucket:
        owner: myproject
        repo: myrepository
        api: https://api.bitbucket.org/2.0
        basicAuth: {username: myuser, passwordRef: {secretName: mypassword, key: password}}
        bearerToken: {tokenRef: {secretName: repotoken, key: token}}`,
      `      azuredevops:
        organization: myorg
        project: myproject
        repo: myrepository
        api: https://dev.azure.com/
        tokenRef: {secretName: azure-devops-token, key: token}
        labels: [preview]`,
    ];
    for (const generator of generators) expect(validateApplicationSet(withGenerator(generator))).toEqual([]);
  });

  it('names the missing or mistyped field, as the CRD does', () => {
    const errors = (generator: string) =>
      validateApplicationSet(withGenerator(generator))
        .filter((p) => p.severity === 'error')
        .map((p) => p.field);
    expect(errors('      bitbucketServer: {project: p, repo: r}')).toEqual(['spec.generators[0].pullRequest.bitbucketServer.api']);
    expect(errors('      bitbucket: {owner: o, repo: r, basicAuth: {passwordRef: {secretName: s, key: k}}}')).toEqual([
      'spec.generators[0].pullRequest.bitbucket.basicAuth.username',
    ]);
    expect(errors('      bitbucket: {owner: o, repo: r, bearerToken: {}}')).toEqual(['spec.generators[0].pullRequest.bitbucket.bearerToken.tokenRef']);
    expect(errors('      azuredevops: {organization: o, project: p, repo: r, labels: preview}')).toEqual(['spec.generators[0].pullRequest.azuredevops.labels']);
    expect(errors('      azuredevops: {organization: o, repo: r}')).toEqual(['spec.generators[0].pullRequest.azuredevops.project']);
  });

  it('reports a field Argo CD does not know as a warning', () => {
    const problems = validateApplicationSet(withGenerator('      azuredevops: {organization: o, project: p, repo: r, owner: x}'));
    expect(problems).toEqual([expect.objectContaining({ field: 'spec.generators[0].pullRequest.azuredevops.owner', severity: 'warning' })]);
  });
});

describe('ApplicationSet schema: the SCM Provider generator for AWS CodeCommit', () => {
  const scmProvider = (awsCodeCommit: string) =>
    parseKubeYaml(`
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: myapps, namespace: argocd}
spec:
  generators:
  - scmProvider:
      awsCodeCommit: ${awsCodeCommit}
  template:
    metadata: {name: '{{repository}}'}
    spec:
      project: default
      source: {repoURL: '{{url}}', targetRevision: '{{branch}}', path: kubernetes/}
      destination: {server: https://kubernetes.default.svc, namespace: default}
`);
  const errors = (awsCodeCommit: string) =>
    validateApplicationSet(scmProvider(awsCodeCommit))
      .filter((p) => p.severity === 'error')
      .map((p) => p.field);

  it("accepts Argo CD's documented example and names a tag filter without key or a mistyped field", () => {
    expect(
      errors(
        '{region: us-east-1, role: "arn:aws:iam::111111111111:role/argocd-application-set-discovery", allBranches: true, tagFilters: [{key: organization, value: platform-engineering}, {key: argo-ready}]}',
      ),
    ).toEqual([]);
    expect(errors('{tagFilters: [{value: platform-engineering}]}')).toEqual(['spec.generators[0].scmProvider.awsCodeCommit.tagFilters[0].key']);
    expect(errors('{allBranches: "yes"}')).toEqual(['spec.generators[0].scmProvider.awsCodeCommit.allBranches']);
  });
});
