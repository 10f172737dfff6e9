import * as k8s from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig, type AppConfig } from '../../src/app-config.js';
import { ApplicationSetController, controllerSettings } from '../../src/appset/applicationset-controller.js';
import { ControllerContext } from '../../src/appset/controller-context.js';
import { createDefaultRegistry } from '../../src/generators/default-registry.js';
import { kubeConfigFromString } from '../../src/kube/kube-config.js';
import { silentLogger } from '../../src/observability/logger.js';
import { SimFleet, type SimFleetOptions } from '../../src/sim/sim-fleet.js';

/** A simulated fleet with Regatta's ApplicationSet controller running against it. */
export class ControllerHarness {
  private constructor(
    readonly fleet: SimFleet,
    readonly controller: ApplicationSetController,
    readonly context: ControllerContext,
    readonly kube: k8s.KubeConfig,
    readonly config: AppConfig,
    private readonly gitCache: string,
  ) {}

  static async start(options: { fleet?: SimFleetOptions; argv?: string[] } = {}): Promise<ControllerHarness> {
    const gitCache = mkdtempSync(join(tmpdir(), 'regatta-e2e-git-'));
    process.env.REGATTA_GIT_CACHE_DIR = gitCache;
    const fleet = await SimFleet.start(options.fleet);
    const kubeConfig = kubeConfigFromString(fleet.kubeconfig(undefined, { identity: 'regatta-controller' }));
    // The fixtures' repositories are local ones; tests of the refusal pass the flag themselves.
    const config = loadAppConfig(options.argv ?? ['--allow-local-repositories=true'], {});
    const context = new ControllerContext(kubeConfig, config, silentLogger);
    const controller = new ApplicationSetController(
      kubeConfig,
      { ...controllerSettings(config), concurrency: 4 },
      createDefaultRegistry(),
      context.context,
      (name) => context.project(name),
      silentLogger,
    );
    context.onClustersChanged(() => controller.reconcileAll());
    context.onProjectChanged(() => controller.reconcileAll());
    await context.start();
    await controller.start();
    const kube = new k8s.KubeConfig();
    kube.loadFromString(fleet.kubeconfig(undefined, { identity: 'test-user' }));
    return new ControllerHarness(fleet, controller, context, kube, config, gitCache);
  }

  get custom(): k8s.CustomObjectsApi {
    return this.kube.makeApiClient(k8s.CustomObjectsApi);
  }

  get core(): k8s.CoreV1Api {
    return this.kube.makeApiClient(k8s.CoreV1Api);
  }

  async applyAppSet(appSet: Record<string, any>): Promise<void> {
    const objects = k8s.KubernetesObjectApi.makeApiClient(this.kube);
    await objects.patch({ apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', ...appSet, metadata: { namespace: 'argocd', ...appSet.metadata } }, undefined, undefined, 'test-user', true, k8s.PatchStrategy.ServerSideApply);
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

  async stop(): Promise<void> {
    await this.controller.stop();
    await this.context.stop();
    await this.fleet.stop();
    rmSync(this.gitCache, { recursive: true, force: true });
  }
}
