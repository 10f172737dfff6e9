import * as k8s from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { createControllerApp } from '../../src/app/app.module.js';
import { ApplicationSetController } from '../../src/appset/applicationset-controller.js';
import { loadAppConfig, type AppConfig } from '../../src/config/app-config.js';
import { ControlNamespace } from '../../src/control-namespace/control-namespace.js';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { silentLogger } from '../../src/observability/logger.js';
import { ControllerMetrics } from '../../src/observability/metrics.js';
import { SimFleet, type SimFleetOptions } from '../../src/sim/sim-fleet.js';

/** A simulated fleet with a Regatta process (the same modules as `npm start`, no sync driver) running against it. */
export class ControllerHarness {
  readonly controller: ApplicationSetController;
  readonly context: ControlNamespace;

  private constructor(
    readonly fleet: SimFleet,
    private readonly app: INestApplication,
    readonly kube: k8s.KubeConfig,
    readonly config: AppConfig,
    private readonly gitCache: string,
  ) {
    this.controller = app.get(ApplicationSetController);
    this.context = app.get(ControlNamespace);
  }

  static async start(options: { fleet?: SimFleetOptions; argv?: string[] } = {}): Promise<ControllerHarness> {
    const gitCache = mkdtempSync(join(tmpdir(), 'regatta-e2e-git-'));
    process.env.REGATTA_GIT_CACHE_DIR = gitCache;
    const fleet = await SimFleet.start(options.fleet);
    const kubeConfig = kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'regatta-controller' }));
    // The fixtures' repositories are local ones; tests of the refusal pass the flag themselves.
    const config = loadAppConfig(['--concurrent-reconciliations=4', ...(options.argv ?? ['--allow-local-repositories=true'])], {});
    const app = await createControllerApp({ config, kubeConfig, logger: silentLogger });
    await app.init();
    const kube = new k8s.KubeConfig();
    kube.loadFromString(fleet.kubeconfig(undefined, { identity: 'test-user' }));
    return new ControllerHarness(fleet, app, kube, config, gitCache);
  }

  /** What the replica's /metrics serves. */
  get metrics(): ControllerMetrics {
    return this.app.get(ControllerMetrics);
  }

  get custom(): k8s.CustomObjectsApi {
    return this.kube.makeApiClient(k8s.CustomObjectsApi);
  }

  get core(): k8s.CoreV1Api {
    return this.kube.makeApiClient(k8s.CoreV1Api);
  }

  async applyAppSet(appSet: Record<string, any>): Promise<void> {
    const objects = k8s.KubernetesObjectApi.makeApiClient(this.kube);
    await objects.patch(
      { apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', ...appSet, metadata: { namespace: 'argocd', ...appSet.metadata } },
      undefined,
      undefined,
      'test-user',
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
  }

  async applications(): Promise<any[]> {
    const list = await this.custom.listNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applications' });
    return list.items;
  }

  async appSet(name: string): Promise<any> {
    return this.custom.getNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applicationsets', name });
  }

  /** Polls until the check passes (bounded: 10 s). */
  async eventually<T>(check: () => Promise<T | undefined | false>, what: string, ms = 10_000): Promise<T> {
    const until = Date.now() + ms;
    let last: unknown;
    for (;;) {
      try {
        const result = await check();
        if (result) return result as T;
      } catch (error) {
        last = error;
      }
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Waits until nothing is queued and the informers have seen the last writes. */
  async settle(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 150));
      await this.controller.idle();
    }
  }

  /** Reconciles per ApplicationSet so far, as /metrics reports them. */
  async reconciles(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const value of (await this.metrics.reconcile.get()).values) {
      if (value.metricName === 'argocd_appset_reconcile_count') counts[String(value.labels.name)] = value.value;
    }
    return counts;
  }

  /** Settled, and no reconcile for a second (the batched reconciles Application events cause have run too); bounded at 10 s. */
  async quiet(): Promise<void> {
    for (let i = 0; i < 10; i++) {
      await this.settle();
      const before = JSON.stringify(await this.reconciles());
      await new Promise((r) => setTimeout(r, 1000));
      if (JSON.stringify(await this.reconciles()) === before) return;
    }
    throw new Error('the controller did not go quiet');
  }

  async stop(): Promise<void> {
    await this.app.close();
    await this.fleet.stop();
    rmSync(this.gitCache, { recursive: true, force: true });
  }
}
