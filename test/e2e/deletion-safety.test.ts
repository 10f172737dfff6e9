import { basename, dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerHarness } from '../support/controller-harness.js';
import { writeMark, writesSince } from '../support/write-log.js';
import { GitDaemon, TestRepository } from '../support/git-fixtures.js';

/** Deletion safety on the simulator: nothing is deleted on doubt. */
let h: ControllerHarness;
let repo: TestRepository;
let daemon: GitDaemon;

beforeAll(async () => {
  repo = new TestRepository('addons');
  repo.commit({ 'addons/a/x.yaml': 'kind: ConfigMap\n', 'addons/b/x.yaml': 'kind: ConfigMap\n' });
  daemon = await GitDaemon.start(dirname(repo.bare));
  h = await ControllerHarness.start();
});
afterAll(async () => {
  daemon.stop();
  await h.stop();
  repo.dispose();
});

const live = async (prefix: string) =>
  (await h.applications())
    .filter((a) => a.metadata.name.startsWith(prefix) && !a.metadata.deletionTimestamp)
    .map((a) => a.metadata.name)
    .sort();

const condition = async (name: string, type: string) => (await h.appSet(name)).status?.conditions?.find((c: any) => c.type === type);

describe('deletion safety', () => {
  it('deletes nothing when the repository becomes unreachable mid-run, and says why', async () => {
    await h.applyAppSet({
      metadata: { name: 'addons' },
      spec: {
        goTemplate: true,
        generators: [{ git: { repoURL: daemon.url(basename(repo.bare)), revision: 'main', directories: [{ path: 'addons/*' }] } }],
        template: {
          metadata: { name: 'addon-{{.path.basename}}' },
          spec: { project: 'default', destination: { server: 'https://kubernetes.default.svc', namespace: 'addons' } },
        },
      },
    });
    await h.eventually(async () => (await live('addon-')).join() === 'addon-a,addon-b', 'two add-ons');
    daemon.stop();
    await new Promise((r) => setTimeout(r, 100));
    const writesBefore = h.fleet.cluster().writes.filter((w) => w.kind === 'Application' && w.verb === 'delete').length;
    h.controller.reconcileAll();
    const error = await h.eventually(async () => {
      const c = await condition('addons', 'ErrorOccurred');
      return c?.status === 'True' && c;
    }, 'an ErrorOccurred condition');
    expect(error.reason).toBe('ApplicationGenerationFromParamsError');
    expect(error.message).toContain('failed to list refs');
    expect((await condition('addons', 'ParametersGenerated')).status).toBe('False');
    await h.settle();
    expect(await live('addon-')).toEqual(['addon-a', 'addon-b']);
    expect(h.fleet.cluster().writes.filter((w) => w.kind === 'Application' && w.verb === 'delete')).toHaveLength(writesBefore);
  });

  it('deletes nothing and updates nothing while two Applications would share a name', async () => {
    await h.applyAppSet({
      metadata: { name: 'dupes' },
      spec: {
        generators: [{ list: { elements: [{ n: 'one' }, { n: 'two' }] } }],
        template: {
          metadata: { name: 'dup-{{n}}' },
          spec: { project: 'default', destination: { server: 'https://kubernetes.default.svc', namespace: '{{n}}' } },
        },
      },
    });
    await h.eventually(async () => (await live('dup-')).join() === 'dup-one,dup-two', 'two Applications');
    await h.applyAppSet({
      metadata: { name: 'dupes' },
      spec: {
        generators: [{ list: { elements: [{ n: 'one' }, { n: 'one' }] } }],
        template: {
          metadata: { name: 'dup-{{n}}' },
          spec: { project: 'changed', destination: { server: 'https://kubernetes.default.svc', namespace: '{{n}}' } },
        },
      },
    });
    const error = await h.eventually(async () => {
      const c = await condition('dupes', 'ErrorOccurred');
      return c?.status === 'True' && c;
    }, 'a duplicate-name condition');
    expect([error.reason, error.message]).toEqual([
      'ApplicationValidationError',
      'spec.template.metadata.name: ApplicationSet dupes contains applications with duplicate name: dup-one',
    ]);
    await h.settle();
    expect(await live('dup-')).toEqual(['dup-one', 'dup-two']);
    expect((await h.applications()).filter((a) => a.metadata.name.startsWith('dup-')).map((a) => a.spec.project)).toEqual(['default', 'default']);
    const events = await h.core.listNamespacedEvent({ namespace: 'argocd' });
    expect(events.items.some((e) => e.involvedObject.name === 'dupes' && e.type === 'Warning' && e.reason === 'ApplicationValidationError')).toBe(true);
  });

  it('creates and deletes but never updates under create-delete', async () => {
    const spec = (namespace: string, names: string[]) => ({
      syncPolicy: { applicationsSync: 'create-delete' },
      generators: [{ list: { elements: names.map((n) => ({ n })) } }],
      template: { metadata: { name: 'cd-{{n}}' }, spec: { project: 'default', destination: { server: 'https://kubernetes.default.svc', namespace } } },
    });
    await h.applyAppSet({ metadata: { name: 'cd' }, spec: spec('{{n}}', ['a', 'b']) });
    await h.eventually(async () => (await live('cd-')).join() === 'cd-a,cd-b', 'created');
    await h.applyAppSet({ metadata: { name: 'cd' }, spec: spec('{{n}}-changed', ['a']) });
    await h.eventually(async () => (await live('cd-')).join() === 'cd-a', 'cd-b deleted');
    expect((await h.applications()).find((a) => a.metadata.name === 'cd-a').spec.destination.namespace).toBe('a');
  });

  it('deletes nothing while the renamed Applications cannot be created, as Argo CD returns before deleting', async () => {
    const spec = (suffix: string) => ({
      generators: [{ list: { elements: [{ n: 'a' }, { n: 'b' }] } }],
      template: {
        metadata: { name: `rn-{{n}}${suffix}` },
        spec: { project: 'default', destination: { server: 'https://kubernetes.default.svc', namespace: '{{n}}' } },
      },
    });
    await h.applyAppSet({ metadata: { name: 'rename' }, spec: spec('') });
    await h.eventually(async () => (await live('rn-')).join() === 'rn-a,rn-b', 'created');
    const deletesBefore = h.fleet.cluster().writes.filter((w) => w.kind === 'Application' && w.verb === 'delete').length;
    // A name the API server refuses (longer than 253 characters): the creates fail.
    await h.applyAppSet({ metadata: { name: 'rename' }, spec: spec(`-${'x'.repeat(260)}`) });
    const error = await h.eventually(async () => {
      const c = await condition('rename', 'ErrorOccurred');
      return c?.status === 'True' && c;
    }, 'an ErrorOccurred condition');
    expect(error.reason).toBe('CreateApplicationError');
    await h.settle();
    expect(await live('rn-')).toEqual(['rn-a', 'rn-b']);
    expect(h.fleet.cluster().writes.filter((w) => w.kind === 'Application' && w.verb === 'delete')).toHaveLength(deletesBefore);
  });

  // Argo CD's CheckInvalidGenerators (applicationset/utils/utils.go) only logs "ApplicationSet %s
  // contains unrecognized generators" for an entry naming no generator, and GenerateApplications
  // (controllers/template/template.go) then yields nothing from it; Regatta fails the generation
  // with that text and the entry's field, so the Applications already generated are kept.
  it('keeps the Applications when a generator entry becomes empty, and says which entry', async () => {
    const spec = (generators: unknown[]) => ({
      generators,
      template: {
        metadata: { name: 'blank-{{n}}' },
        spec: { project: 'default', destination: { server: 'https://kubernetes.default.svc', namespace: '{{n}}' } },
      },
    });
    await h.applyAppSet({ metadata: { name: 'blank' }, spec: spec([{ list: { elements: [{ n: 'a' }, { n: 'b' }] } }]) });
    await h.eventually(async () => (await live('blank-')).join() === 'blank-a,blank-b', 'two Applications');
    const mark = writeMark();
    await h.applyAppSet({ metadata: { name: 'blank' }, spec: spec([{}]) });
    const error = await h.eventually(async () => {
      const c = await condition('blank', 'ErrorOccurred');
      return c?.status === 'True' && c;
    }, 'an ErrorOccurred condition');
    expect([error.reason, error.message]).toEqual([
      'ApplicationGenerationFromParamsError',
      'spec.generators[0]: ApplicationSet blank contains unrecognized generators',
    ]);
    await h.settle();
    expect(await live('blank-')).toEqual(['blank-a', 'blank-b']);
    expect(writesSince(h.fleet.cluster(), mark, { kind: 'Application', namespace: 'argocd' })).toEqual([]);
  });
});
