import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultAppProject } from '../../src/api/app-project.js';
import type { Application } from '../../src/api/application.js';
import { GitRepositoryCache } from '../../src/git/repository-cache.js';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import { SimFleet } from '../../src/sim/sim-fleet.js';
import { DirectSyncDriver } from '../../src/sync/direct-driver.js';
import { ProjectGuard } from '../../src/sync/project-guard.js';
import { TestRepository } from './git-fixtures.js';
import { writesSince } from './write-log.js';

/** Projects that all permit everything, as Argo CD's `default` project does. */
export function permissiveProjects(): ProjectGuard {
  return new ProjectGuard({
    controllerNamespace: 'argocd',
    project: (name) => ({ ...defaultAppProject('argocd'), metadata: { name, namespace: 'argocd' } }),
    clusters: () => [],
    repositories: () => [],
    settings: () => undefined,
  });
}

/**
 * A direct driver syncing a local Git repository to one simulated cluster as `regatta-sync`, under
 * projects that permit everything: for tests of what a sync writes and in which order.
 */
export class DirectSyncFixture {
  private constructor(
    readonly fleet: SimFleet,
    readonly repo: TestRepository,
    readonly driver: DirectSyncDriver,
    private readonly cacheDir: string,
  ) {}

  static async start(): Promise<DirectSyncFixture> {
    const repo = new TestRepository('sync-fixture');
    const fleet = await SimFleet.start();
    const cacheDir = mkdtempSync(join(tmpdir(), 'regatta-sync-fixture-'));
    const management = kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'regatta-sync' }));
    const driver = new DirectSyncDriver({
      repositories: new GitRepositoryCache({ allowLocalRepositories: true, directory: cacheDir }),
      clusterFor: () => management,
      projects: permissiveProjects(),
      waveTimeoutMs: 10_000,
      pollMs: 20,
    });
    return new DirectSyncFixture(fleet, repo, driver, cacheDir);
  }

  async stop(): Promise<void> {
    await this.fleet.stop();
    this.repo.dispose();
    rmSync(this.cacheDir, { recursive: true, force: true });
  }

  /** A client acting as a person with kubectl: its writes are not the sync's. */
  admin(): ObjectClient {
    return new ObjectClient(kubeConfigFromString(this.fleet.kubeconfig()));
  }

  /** Commits `files` under `path` and answers an Application of that path at that commit, deploying to `default`. */
  application(name: string, path: string, files: Record<string, string>, spec: Partial<Application['spec']> = {}): Application {
    const sha = this.repo.commit(Object.fromEntries(Object.entries(files).map(([file, text]) => [`${path}/${file}`, text])), 'main', path);
    return {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name, namespace: 'argocd' },
      spec: {
        project: 'default',
        source: { repoURL: this.repo.url, path, targetRevision: sha },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'default' },
        ...spec,
      },
    };
  }

  /** The sync's own writes to the cluster since `mark`, as `verb Kind/name`. */
  syncWrites(mark: bigint): string[] {
    return writesSince(this.fleet.cluster(), mark, { identity: 'regatta-sync' }).map((w) => `${w.verb} ${w.kind}/${w.name}`);
  }
}

/** A YAML object with the given annotations. */
export function manifest(apiVersion: string, kind: string, name: string, annotations: Record<string, string> = {}, body = ''): string {
  const meta = Object.entries(annotations)
    .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}\n`)
    .join('');
  const nameLine = name.endsWith('-') ? `  generateName: ${name}\n` : `  name: ${name}\n`;
  return `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n${nameLine}${meta ? `  annotations:\n${meta}` : ''}${body}`;
}

/** A Job that completes (or, with `fail`, fails) as the simulated kubelet reports it. */
export function job(name: string, annotations: Record<string, string> = {}, fail = false): string {
  return manifest(
    'batch/v1',
    'Job',
    name,
    { ...annotations, ...(fail ? { 'sim.regatta.dev/fail': 'true' } : {}) },
    'spec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: run, image: "busybox:1"}]\n',
  );
}

export function configMap(name: string, annotations: Record<string, string> = {}, data = 'colour: blue'): string {
  return manifest('v1', 'ConfigMap', name, annotations, `data: {${data}}\n`);
}

export function deployment(name: string, annotations: Record<string, string> = {}, replicas = 1): string {
  return manifest(
    'apps/v1',
    'Deployment',
    name,
    annotations,
    `spec:\n  replicas: ${replicas}\n  selector: {matchLabels: {app: ${name}}}\n  template:\n    metadata: {labels: {app: ${name}}}\n    spec: {containers: [{name: web, image: "web:1"}]}\n`,
  );
}
