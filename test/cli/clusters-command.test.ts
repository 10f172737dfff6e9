import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/api/meta.js';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { silentLogger } from '../../src/observability/logger.js';
import { RedisShardMembership } from '../../src/sharding/redis-membership.js';
import { clusterKeys } from '../../src/sharding/sharding-runtime.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';
import { LocalRedis } from '../../src/demo/local-redis.js';
import { parseClusterSecret } from '../../src/api/cluster-secret.js';
import { regatta } from '../support/cli.js';

interface Row {
  name: string;
  server: string;
  shard: string;
  state: string;
  message?: string;
}

describe('regatta clusters', () => {
  let fleet: SimFleet;
  let kubeconfig: string;
  let client: ObjectClient;

  beforeAll(async () => {
    fleet = await SimFleet.start({ clusters: ['east', 'west', 'north', 'south'].map((name) => ({ name, labels: {} })) });
    kubeconfig = join(mkdtempSync(join(tmpdir(), 'regatta-clusters-')), 'kubeconfig');
    writeFileSync(kubeconfig, fleet.kubeconfig(undefined, { identity: 'cli' }));
    client = new ObjectClient(kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'setup' })));
    for (const name of fleet.names()) {
      const secret = fleet.clusterSecret(name);
      // Pinned as Argo CD pins: the Secret's `shard` field names the replica by number.
      if (name === 'north') secret.data!.shard = Buffer.from('1').toString('base64');
      await client.create(secret as unknown as KubeObject);
    }
    const broken = fleet.clusterSecret('south');
    await client.create({
      ...broken,
      metadata: { ...broken.metadata, name: 'cluster-broken' },
      data: { name: Buffer.from('broken').toString('base64'), server: Buffer.from('not a url').toString('base64'), config: broken.data!.config },
    } as unknown as KubeObject);
    fleet.fault('west', { unreachable: true });
  });

  afterAll(async () => {
    await fleet?.stop();
  });

  const rows = async (...args: string[]): Promise<Row[]> => {
    const run = await regatta('clusters', '--kubeconfig', kubeconfig, '-o', 'json', ...args);
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as Row[];
  };

  it('lists every registered cluster with its shard under static membership, a pinned one where its Secret says, and whether it answers', async () => {
    const listed = await rows('--replicas', '3');
    expect(listed.map((r) => r.name)).toEqual(['broken', 'east', 'in-cluster', 'north', 'south', 'west']);
    const byName = new Map(listed.map((r) => [r.name, r]));
    expect(byName.get('north')!.shard).toBe('1');
    for (const name of ['east', 'south', 'west', 'in-cluster']) expect(['0', '1', '2']).toContain(byName.get(name)!.shard);
    expect(byName.get('east')).toMatchObject({ state: 'Successful', server: fleet.server('east') });
    expect(byName.get('west')!.state).toBe('Failed');
    expect(byName.get('west')!.message).not.toMatch(/sim-west/);
    expect(byName.get('broken')).toMatchObject({ state: 'Invalid', shard: '-' });
    expect(byName.get('broken')!.message).toBe('data.server: is not a URL');
    // One replica owns everything.
    expect(new Set((await rows()).filter((r) => r.state !== 'Invalid').map((r) => r.shard))).toEqual(new Set(['0']));
  });

  it('shows the replica that owns each cluster in the generation the replicas published in Redis', async () => {
    const redis = await LocalRedis.start();
    const secrets = await client.list<KubeObject>('v1', 'Secret', 'argocd');
    const records = secrets.flatMap((s) => parseClusterSecret(s as never).cluster ?? []);
    const membership = new RedisShardMembership({
      redisUrl: redis.url,
      replica: 'regatta-7',
      algorithm: 'bounded-load',
      keys: () => ({ clusters: clusterKeys(records), appSets: [] }),
      logger: silentLogger,
    });
    try {
      await membership.start();
      const listed = await rows('--redis-url', redis.url);
      expect(listed.filter((r) => r.state !== 'Invalid').map((r) => r.shard)).toEqual(listed.filter((r) => r.state !== 'Invalid').map(() => 'regatta-7'));
    } finally {
      await membership.stop();
      await redis.stop();
    }
  });

  it('table output by default; usage errors exit 2; an unreachable management cluster exits 1', async () => {
    const table = await regatta('clusters', '--kubeconfig', kubeconfig);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+SERVER\s+SHARD\s+STATE\s+MESSAGE$/);
    expect(table.stdout).toMatch(/^east\s+http:\/\/127\.0\.0\.1:\d+\/clusters\/east\s+0\s+Successful$/m);
    expect((await regatta('clusters', '--replicas', 'two')).code).toBe(2);
    expect((await regatta('clusters', '--sharding-method', 'random')).code).toBe(2);
    const gone = join(mkdtempSync(join(tmpdir(), 'regatta-clusters-')), 'kubeconfig');
    writeFileSync(gone, fleet.kubeconfig(undefined, { identity: 'cli' }).replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:1'));
    const failed = await regatta('clusters', '--kubeconfig', gone);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^regatta clusters: /);
  });
});
