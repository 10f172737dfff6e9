import { describe, expect, it } from 'vitest';
import type { ApplicationSet } from '../../src/api/application-set.js';
import { createDefaultRegistry } from '../../src/generators/default-registry.js';
import type { RegisteredCluster } from '../../src/generators/generator.js';
import { PlacementGeneratorImpl } from '../../src/generators/placement-generator.js';
import { score } from '../../src/lib/rendezvous-score.js';
import { clusterSecret, contextWithClusters } from '../support/cluster-secrets.js';
import { offlineContext, generate } from '../support/generation.js';
import { seededRandom } from '../support/random.js';

const prod = ['prod-eu-1', 'prod-eu-2', 'prod-us-1', 'prod-us-2', 'prod-ap-1'];
const fleet = [
  ...prod.map((name, i) =>
    clusterSecret(name, `https://10.0.0.${i + 1}`, { labels: { env: 'prod', region: name.split('-')[1] }, annotations: { owner: 'sre' } }),
  ),
  clusterSecret('staging', 'https://10.0.1.1', { labels: { env: 'staging', region: 'eu' } }),
];

const appSet = (goTemplate: boolean, replicas: number, name: string, server: string) => `
kind: ApplicationSet
metadata: {name: spread}
spec:
  goTemplate: ${goTemplate}
  generators:
  - placement:
      items:
        list:
          elements: [{app: guestbook}, {app: billing}, {app: search}]
      clusters: {selector: {matchLabels: {env: prod}}}
      replicas: ${replicas}
      key: '${goTemplate ? '{{.app}}' : '{{app}}'}'
  template:
    metadata: {name: '${name}'}
    spec:
      project: default
      source: {repoURL: https://example.com/apps.git, path: apps, targetRevision: HEAD}
      destination: {server: '${server}', namespace: apps}`;

/** What the placement promises: the K matching clusters ranking highest for the key, best first. */
const topK = (key: string, names: string[], k: number) => [...names].sort((a, b) => score(key, b, 1) - score(key, a, 1)).slice(0, k);

describe('placement generator (Regatta extension)', () => {
  it('places each item on the K matching clusters that rank highest for its key, with the Cluster generator parameters (goTemplate)', async () => {
    const result = await generate(appSet(true, 2, '{{.app}}-{{.name}}', '{{.server}}'), contextWithClusters(fleet));
    expect(result.failure).toBeUndefined();
    const expected = ['guestbook', 'billing', 'search'].flatMap((app) => topK(app, prod, 2).map((cluster) => `${app}-${cluster}`));
    expect(result.generated.map((g) => g.application.metadata.name)).toEqual(expected);
    const first = result.generated[0];
    const cluster = topK('guestbook', prod, 1)[0];
    expect(first.application.spec.destination.server).toBe(`https://10.0.0.${prod.indexOf(cluster) + 1}`);
    expect(first.params).toMatchObject({
      app: 'guestbook',
      name: cluster,
      nameNormalized: cluster,
      project: '',
      metadata: { labels: { env: 'prod', region: cluster.split('-')[1] }, annotations: { owner: 'sre' } },
    });
  });

  it('merges cluster parameters flat in fasttemplate mode, and yields every matching cluster when fewer than K match', async () => {
    const result = await generate(appSet(false, 9, '{{app}}-{{nameNormalized}}', '{{server}}'), contextWithClusters(fleet));
    expect(result.failure).toBeUndefined();
    expect(result.generated).toHaveLength(3 * prod.length);
    const first = result.generated[0].params;
    expect(first).toMatchObject({ app: 'guestbook', 'metadata.labels.env': 'prod', 'metadata.annotations.owner': 'sre' });
    expect(result.generated.some((g) => g.params.name === 'staging')).toBe(false);
  });

  it('names the field when replicas or key is wrong, or the key does not render', async () => {
    const zero = await generate(appSet(true, 0, '{{.app}}-{{.name}}', '{{.server}}'), contextWithClusters(fleet));
    expect(zero.failure).toMatchObject({ field: 'spec.generators[0].placement.replicas', message: 'must be a positive integer' });
    const noKey = await generate(appSet(true, 2, '{{.app}}-{{.name}}', '{{.server}}').replace(/ {6}key: .*\n/, ''), contextWithClusters(fleet));
    expect(noKey.failure?.field).toBe('spec.generators[0].placement.key');
    const badKey = await generate(appSet(true, 2, '{{.app}}-{{.name}}', '{{.server}}').replace("key: '{{.app}}'", "key: '{{.app'"), contextWithClusters(fleet));
    expect(badKey.failure?.field).toBe('spec.generators[0].placement.key');
    expect(badKey.failure?.message).toMatch(/^failed to render the key: /);
  });

  it('moves only the items that had a removed cluster or now rank an added one in their top K (300 random fleets)', async () => {
    const random = seededRandom(12);
    const registry = createDefaultRegistry();
    const placement = new PlacementGeneratorImpl(registry);
    const spec = (items: number, replicas: number) => ({
      items: { list: { elements: Array.from({ length: items }, (_, i) => ({ app: `app-${i}` })) } },
      clusters: { selector: { matchLabels: { env: 'prod' } } },
      replicas,
      key: '{{.app}}',
    });
    const appSetObject = {
      metadata: { name: 'spread', namespace: 'argocd' },
      spec: { goTemplate: true, generators: [], template: {} },
    } as unknown as ApplicationSet;
    const cluster = (name: string): RegisteredCluster => ({
      name,
      server: `https://${name}`,
      labels: { 'argocd.argoproj.io/secret-type': 'cluster', env: 'prod' },
      annotations: {},
    });
    const placed = async (names: string[], items: number, replicas: number) => {
      const params = await placement.generateParams(
        spec(items, replicas),
        appSetObject,
        offlineContext({ clusters: { list: async () => names.map(cluster) } }),
      );
      const byItem = new Map<string, Set<string>>();
      for (const p of params) {
        if (!byItem.has(p.app as string)) byItem.set(p.app as string, new Set());
        byItem.get(p.app as string)!.add(p.name as string);
      }
      return byItem;
    };
    for (let run = 0; run < 300; run++) {
      const names = Array.from({ length: 2 + Math.floor(random() * 20) }, (_, i) => `c${i}-${Math.floor(random() * 1e6)}`);
      const items = 1 + Math.floor(random() * 40);
      const replicas = 1 + Math.floor(random() * 4);
      const before = await placed(names, items, replicas);
      const added = `new-${run}`;
      const grown = await placed([...names, added], items, replicas);
      for (const [app, had] of before) {
        const now = grown.get(app)!;
        if (now.has(added)) expect([...had].filter((c) => !now.has(c)).length).toBe(had.size < replicas ? 0 : 1);
        else expect(now).toEqual(had);
      }
      const gone = names[Math.floor(random() * names.length)];
      const shrunk = await placed(
        names.filter((n) => n !== gone),
        items,
        replicas,
      );
      for (const [app, had] of before) {
        const now = shrunk.get(app)!;
        if (had.has(gone)) expect([...now].filter((c) => !had.has(c)).length).toBeLessThanOrEqual(1);
        else expect(now).toEqual(had);
      }
    }
  });

  it('gives the same placements whatever order the cluster registry lists clusters in', async () => {
    const forward = await generate(appSet(true, 2, '{{.app}}-{{.name}}', '{{.server}}'), contextWithClusters(fleet));
    const backward = await generate(appSet(true, 2, '{{.app}}-{{.name}}', '{{.server}}'), contextWithClusters([...fleet].reverse()));
    expect(backward.generated.map((g) => g.application)).toEqual(forward.generated.map((g) => g.application));
  });
});
