import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerHarness } from '../support/controller-harness.js';
import { writeMark, writesSince } from '../support/write-log.js';

/**
 * argo-cd #10952: adding one cluster must not regenerate every ApplicationSet that reads the fleet,
 * only those whose Cluster generator selects it (or that take every cluster).
 */
let h: ControllerHarness;

beforeAll(async () => {
  h = await ControllerHarness.start({
    fleet: {
      clusters: [
        { name: 'eu-1', labels: { region: 'eu' } },
        { name: 'us-1', labels: { region: 'us' } },
        { name: 'eu-2', labels: { region: 'eu' } },
      ],
    },
  });
  for (const name of ['eu-1', 'us-1']) await h.core.createNamespacedSecret({ namespace: 'argocd', body: h.fleet.clusterSecret(name) as any });
  const region = { region: '{{index .metadata.labels "region"}}' };
  for (const [name, generator, labels] of [
    ['eu', { clusters: { selector: { matchLabels: { region: 'eu' } } } }, region],
    ['us', { clusters: { selector: { matchLabels: { region: 'us' } } } }, region],
    // No selector: every cluster Secret, and the local cluster.
    ['everywhere', { clusters: {} }, {}],
    ['listed', { list: { elements: [{ name: 'in-cluster', server: 'https://kubernetes.default.svc' }] } }, {}],
  ] as const) {
    await h.applyAppSet({
      metadata: { name },
      spec: {
        goTemplate: true,
        generators: [generator],
        template: {
          metadata: { name: `${name}-{{.name}}`, labels },
          spec: { project: 'default', destination: { server: '{{.server}}', namespace: 'app' } },
        },
      },
    });
  }
  await h.eventually(async () => (await names()).length === 6, 'the Applications of the first two clusters');
  await h.quiet();
});
afterAll(async () => {
  await h.stop();
});

const names = async () =>
  (await h.applications())
    .filter((a) => !a.metadata.deletionTimestamp)
    .map((a) => a.metadata.name)
    .sort();

const since = (before: Record<string, number>, after: Record<string, number>) =>
  Object.keys(after)
    .filter((name) => after[name] !== (before[name] ?? 0))
    .sort();

/** The ApplicationSets and Applications the controller wrote since `mark`, from the simulator's write log. */
const writtenSince = (mark: bigint) =>
  [
    ...new Set(
      writesSince(h.fleet.cluster(), mark, { identity: 'regatta-controller' })
        .filter((w) => w.kind !== 'Event')
        .map((w) => `${w.kind}/${w.name}`),
    ),
  ].sort();

describe('cluster Secret changes and the ApplicationSets they wake', () => {
  it('a cluster added reconciles only the ApplicationSets whose selectors match it (or that take every cluster) and writes only their new Applications', async () => {
    const before = await h.reconciles();
    const mark = writeMark();
    await h.core.createNamespacedSecret({ namespace: 'argocd', body: h.fleet.clusterSecret('eu-2') as any });
    await h.eventually(async () => (await names()).includes('eu-eu-2') && (await names()).includes('everywhere-eu-2'), 'Applications for the new cluster');
    await h.quiet();
    expect(since(before, await h.reconciles())).toEqual(['eu', 'everywhere']);
    expect(writtenSince(mark)).toEqual(['Application/eu-eu-2', 'Application/everywhere-eu-2', 'ApplicationSet/eu', 'ApplicationSet/everywhere']);
    expect(await names()).not.toContain('us-eu-2');
  });

  it("a cluster Secret's labels changed: the ApplicationSet it leaves and the one it joins both see it at once", async () => {
    const before = await h.reconciles();
    await h.core.patchNamespacedSecret(
      { name: 'cluster-eu-2', namespace: 'argocd', body: [{ op: 'replace', path: '/metadata/labels/region', value: 'us' }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    await h.eventually(async () => {
      const now = await names();
      return now.includes('us-eu-2') && !now.includes('eu-eu-2');
    }, 'the Application moved from eu to us');
    await h.quiet();
    expect(since(before, await h.reconciles())).toEqual(['eu', 'everywhere', 'us']);
    const moved = (await h.applications()).find((a) => a.metadata.name === 'us-eu-2');
    expect(moved.metadata.labels.region).toBe('us');
  });

  it('a cluster removed wakes the ApplicationSets that had generated from it', async () => {
    const before = await h.reconciles();
    await h.core.deleteNamespacedSecret({ name: 'cluster-us-1', namespace: 'argocd' });
    await h.eventually(async () => !(await names()).some((name) => name.endsWith('-us-1')), 'the Applications of the removed cluster gone');
    await h.quiet();
    expect(since(before, await h.reconciles())).toEqual(['everywhere', 'us']);
  });
});
