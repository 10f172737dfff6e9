import { describe, expect, it } from 'vitest';
import { ClusterRegistry } from '../../src/clusters/cluster-registry.js';
import { parseClusterSecret } from '../../src/api/cluster-secret.js';
import { clusterSecret } from '../support/cluster-secrets.js';

describe('cluster Secrets', () => {
  it("reads Argo CD's fields and connection config", () => {
    const secret = clusterSecret('prod', 'https://10.0.0.1:6443', {
      project: 'team-a',
      config: JSON.stringify({ bearerToken: 's3cr3t-token', tlsClientConfig: { insecure: false, caData: 'Q0E=', serverName: 'api.prod' } }),
    });
    secret.data!.namespaces = Buffer.from('a, b').toString('base64');
    secret.data!.clusterResources = Buffer.from('true').toString('base64');
    secret.data!.shard = Buffer.from('2').toString('base64');
    const { cluster, problems } = parseClusterSecret(secret);
    expect(problems).toEqual([]);
    expect(cluster).toMatchObject({
      name: 'prod',
      server: 'https://10.0.0.1:6443',
      project: 'team-a',
      namespaces: ['a', 'b'],
      clusterResources: true,
      shard: 2,
      config: { bearerToken: 's3cr3t-token', tlsClientConfig: { caData: 'Q0E=', serverName: 'api.prod' } },
      secret: { namespace: 'argocd', name: 'cluster-prod' },
    });
  });

  it('names the Secret and the field of each problem, never a credential', () => {
    const badConfig = clusterSecret('a', 'https://1.1.1.1', { config: '{"bearerToken": "s3cr3t", ' });
    const noServer = clusterSecret('b', '');
    const badShard = clusterSecret('c', 'https://3.3.3.3', { config: '{"tlsClientConfig":{"certData":"Q0E="}}' });
    badShard.data!.shard = Buffer.from('-1').toString('base64');
    const reported: string[] = [];
    const registry = new ClusterRegistry(
      () => [badConfig, noServer, badShard],
      (p) => reported.push(`${p.secret} ${p.field}: ${p.message}`),
    );
    expect(registry.records()).toEqual([]);
    expect(reported).toEqual([
      'argocd/cluster-a data.config: is not valid JSON',
      'argocd/cluster-b data.server: is required',
      'argocd/cluster-c data.config.tlsClientConfig: certData and keyData must be given together',
      'argocd/cluster-c data.shard: must be a non-negative integer',
    ]);
    expect(reported.join('\n')).not.toContain('s3cr3t');
    registry.records();
    expect(reported).toHaveLength(4);
  });

  it('ignores Secrets that are not cluster registrations', async () => {
    const other = clusterSecret('x', 'https://x');
    other.metadata!.labels = { 'argocd.argoproj.io/secret-type': 'repository' };
    expect(await new ClusterRegistry(() => [other]).list()).toEqual([]);
  });
});
