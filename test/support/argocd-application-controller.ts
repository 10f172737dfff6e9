import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isDeepStrictEqual } from 'node:util';
import YAML from 'yaml';
import type { Application } from '../../src/api/application.js';
import type { KubeObject } from '../../src/api/meta.js';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { ObjectClient } from '../../src/kube/object-client.js';
import type { SimFleet } from '../../src/sim/sim-fleet.js';

const run = promisify(execFile);
type Obj = Record<string, any>;
type App = Application & KubeObject & { operation?: Obj | null; status?: Obj };

/** The identity Argo CD's application controller writes to the workload clusters as. */
export const ARGOCD_CONTROLLER = 'argocd-application-controller';
const TRACKING_LABEL = 'app.kubernetes.io/instance';
const WAVE = 'argocd.argoproj.io/sync-wave';

/** Every field of `desired` has the same value in `live` (what Argo CD's diff finds equal when the cluster only adds fields). */
function contains(live: unknown, desired: unknown): boolean {
  if (desired && typeof desired === 'object' && !Array.isArray(desired))
    return !!live && typeof live === 'object' && Object.entries(desired).every(([k, v]) => contains((live as Obj)[k], v));
  if (Array.isArray(desired)) return Array.isArray(live) && live.length === desired.length && desired.every((v, i) => contains(live[i], v));
  return isDeepStrictEqual(live, desired);
}

function deploymentHealth(live: Obj): 'Healthy' | 'Progressing' {
  const status = live.status ?? {};
  const replicas = live.spec?.replicas ?? 1;
  const observed = (status.observedGeneration ?? 0) >= (live.metadata?.generation ?? 0);
  return observed && (status.availableReplicas ?? 0) >= replicas && (status.updatedReplicas ?? 0) >= replicas ? 'Healthy' : 'Progressing';
}

/**
 * A small stand-in for Argo CD's application controller, for `--sync-driver=argocd`: it compares
 * each Application with its cluster (status.sync, status.health, reconciledAt), and when an
 * Application gets an `operation` it records operationState Running, applies the manifests of the
 * revision in wave order with the tracking label, then writes operationState Succeeded, syncResult
 * and history and clears `operation`, as Argo CD does. It writes to the workload clusters as
 * ARGOCD_CONTROLLER, so their write logs tell its writes from anyone else's.
 */
export class StandInApplicationController {
  private readonly management: ObjectClient;
  private readonly clusters = new Map<string, ObjectClient>();
  private running = true;
  private loop?: Promise<void>;
  /** Operations seen per Application, to tell how many syncs each was asked for. */
  readonly operations: { application: string; revision: string }[] = [];
  /** Manifests by repository, commit and path: a commit's files never change (what Argo CD's repo-server caches). */
  private readonly rendered = new Map<string, Obj[]>();
  /** What failed, to show when a test does not get where it expected. */
  readonly errors: string[] = [];

  constructor(private readonly fleet: SimFleet) {
    this.management = new ObjectClient(kubeConfigFromString(fleet.kubeconfig(undefined, { identity: ARGOCD_CONTROLLER })));
    for (const name of fleet.names())
      this.clusters.set(fleet.server(name), new ObjectClient(kubeConfigFromString(fleet.kubeconfig(name, { identity: ARGOCD_CONTROLLER }))));
  }

  start(): this {
    this.loop = (async () => {
      while (this.running) {
        const applications = await this.management.list<App>('argoproj.io/v1alpha1', 'Application', 'argocd').catch((error: unknown) => {
          this.errors.push(`list: ${String(error)}`);
          return [];
        });
        // A branch is resolved once per round for every Application tracking it; a failed reconcile is tried again on the next round, as Argo CD requeues it.
        const targets = new Map<string, Promise<string>>();
        const target = (repoURL: string, ref: string) => {
          if (!targets.has(`${repoURL}\n${ref}`)) targets.set(`${repoURL}\n${ref}`, this.revision(repoURL, ref));
          return targets.get(`${repoURL}\n${ref}`)!;
        };
        for (const application of applications)
          if (this.running)
            await this.reconcile(application, target).catch((error: unknown) => this.errors.push(`${application.metadata.name}: ${String(error)}`));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async reconcile(application: App, resolve: (repoURL: string, ref: string) => Promise<string>): Promise<void> {
    const target = await resolve(application.spec.source!.repoURL, application.spec.source!.targetRevision ?? 'HEAD');
    if (application.operation) return this.sync(application, application.operation.sync?.revision ?? target);
    const synced = await this.compare(application, target);
    // Automated sync, as Argo CD runs it: once per revision, for an Application out of sync, unless turned off (`enabled: false`, as RollingSync does).
    const automated = application.spec.syncPolicy?.automated;
    if (!synced && automated && automated.enabled !== false && application.status?.operationState?.syncResult?.revision !== target) {
      application.operation = { initiatedBy: { username: ARGOCD_CONTROLLER, automated: true }, sync: { revision: target } };
      await this.sync(application, target);
    }
  }

  private async revision(repoURL: string, ref: string): Promise<string> {
    const { stdout } = await run('git', ['--git-dir', fileURLToPath(repoURL), 'rev-parse', `${ref}^{commit}`]);
    return stdout.trim();
  }

  /** The Application's manifests at `revision`, in its destination namespace and labelled with its name. */
  private async manifests(application: App, revision: string): Promise<Obj[]> {
    const gitDir = fileURLToPath(application.spec.source!.repoURL);
    const path = application.spec.source!.path!.replace(/\/$/, '');
    const key = `${gitDir}\n${revision}\n${path}`;
    let rendered = this.rendered.get(key);
    if (!rendered) {
      rendered = [];
      const { stdout: files } = await run('git', ['--git-dir', gitDir, 'ls-tree', '--name-only', `${revision}:${path}`]);
      for (const file of files.split('\n').filter((f) => /\.ya?ml$/.test(f))) {
        const { stdout } = await run('git', ['--git-dir', gitDir, 'show', `${revision}:${path}/${file}`]);
        for (const document of YAML.parseAllDocuments(stdout)) if (document.toJS()) rendered.push(document.toJS() as Obj);
      }
      rendered.sort((a, b) => Number(a.metadata?.annotations?.[WAVE] ?? 0) - Number(b.metadata?.annotations?.[WAVE] ?? 0));
      this.rendered.set(key, rendered);
    }
    return rendered.map((manifest) => {
      const object = structuredClone(manifest);
      object.metadata = { ...object.metadata, namespace: application.spec.destination.namespace };
      object.metadata.labels = { ...object.metadata.labels, [TRACKING_LABEL]: application.metadata.name };
      return object;
    });
  }

  private cluster(application: App): ObjectClient {
    return this.clusters.get(application.spec.destination.server!)!;
  }

  private async sync(application: App, revision: string): Promise<void> {
    const name = application.metadata.name;
    const source = application.spec.source;
    const startedAt = new Date().toISOString();
    this.operations.push({ application: name, revision });
    const operation = application.operation!;
    await this.patch(name, { status: { operationState: { operation, phase: 'Running', message: 'waiting for completion of hook and resources', startedAt } } });
    const cluster = this.cluster(application);
    const namespace = application.spec.destination.namespace!;
    if (!(await cluster.get('v1', 'Namespace', undefined, namespace)))
      await cluster.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } as KubeObject);
    const resources = [];
    for (const object of await this.manifests(application, revision)) {
      await cluster.apply(object as KubeObject, 'argocd-controller');
      const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
      resources.push({
        group,
        version,
        kind: object.kind,
        namespace,
        name: object.metadata.name,
        status: 'Synced',
        message: `${object.kind.toLowerCase()}/${object.metadata.name} serverside-applied`,
        hookPhase: 'Running',
        syncPhase: 'Sync',
      });
    }
    const finishedAt = new Date().toISOString();
    const history: Obj[] = [...(application.status?.history ?? [])];
    history.push({ revision, deployedAt: finishedAt, deployStartedAt: startedAt, id: history.length, source, initiatedBy: operation.initiatedBy });
    await this.patch(name, {
      operation: null,
      status: {
        operationState: {
          operation,
          phase: 'Succeeded',
          message: 'successfully synced (all tasks run)',
          startedAt,
          finishedAt,
          syncResult: { revision, source, resources },
        },
        history,
        reconciledAt: finishedAt,
      },
    });
  }

  /** A refresh: sync status from the live objects against the target revision's manifests, health from the Deployments. */
  private async compare(application: App, target: string): Promise<boolean> {
    const cluster = this.cluster(application);
    let synced = true;
    let health: 'Healthy' | 'Progressing' | 'Missing' = 'Healthy';
    for (const object of await this.manifests(application, target)) {
      const live = await cluster.get<KubeObject & Obj>(object.apiVersion, object.kind, object.metadata.namespace, object.metadata.name);
      if (!live) {
        [synced, health] = [false, 'Missing'];
        continue;
      }
      if (!contains(live.spec, object.spec) || !contains(live.data, object.data)) synced = false;
      if (object.kind === 'Deployment' && health === 'Healthy') health = deploymentHealth(live);
    }
    const sync = {
      status: synced ? 'Synced' : 'OutOfSync',
      revision: target,
      comparedTo: { source: application.spec.source, destination: application.spec.destination },
    };
    const status = application.status ?? {};
    if (isDeepStrictEqual(status.sync, sync) && status.health?.status === health) return synced;
    await this.patch(application.metadata.name, { status: { sync, health: { status: health }, reconciledAt: new Date().toISOString() } });
    return synced;
  }

  private async patch(name: string, patch: Obj): Promise<void> {
    await this.management.mergePatch({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name, namespace: 'argocd' },
      ...patch,
    } as KubeObject);
  }
}
