import { TestRepository } from './git-fixtures.js';

/** A repository laid out like the examples Argo CD's Git generator docs use. */
export function exampleRepository(): TestRepository {
  const repo = new TestRepository('argo-examples');
  const config = (name: string, address: string) =>
    JSON.stringify({ aws_account: '123456', asset_id: '11223344', cluster: { owner: 'cluster-admin@company.com', name: name, address } }, null, 2);
  repo.commit({
    'applicationset/examples/git-generator-directory/cluster-addons/argo-workflows/kustomization.yaml': 'resources: []\n',
    'applicationset/examples/git-generator-directory/cluster-addons/prometheus-operator/kustomization.yaml': 'resources: []\n',
    'applicationset/examples/git-generator-directory/excludes/cluster-addons/argo-workflows/kustomization.yaml': 'resources: []\n',
    'applicationset/examples/git-generator-directory/excludes/cluster-addons/exclude-helm-guestbook/Chart.yaml': 'name: x\n',
    'applicationset/examples/git-generator-directory/excludes/cluster-addons/prometheus-operator/kustomization.yaml': 'resources: []\n',
    'applicationset/examples/git-generator-files-discovery/cluster-config/engineering/dev/config.json': config('engineering-dev', 'https://1.2.3.4'),
    'applicationset/examples/git-generator-files-discovery/cluster-config/engineering/prod/config.json': config('engineering-prod', 'https://2.4.6.8'),
    'applicationset/examples/git-generator-files-discovery/apps/guestbook/kustomization.yaml': 'resources: []\n',
    'd/e/app.yaml': 'kind: ConfigMap\n',
    'd/f/app.yaml': 'kind: ConfigMap\n',
    'd/g/app.yaml': 'kind: ConfigMap\n',
    '.github/workflows/ci.yaml': 'on: push\n',
  });
  return repo;
}
