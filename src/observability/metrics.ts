import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics. ApplicationSet metrics use Argo CD's names and labels so existing
 * dashboards keep working; Regatta's own use the `regatta_` prefix.
 */
export class ControllerMetrics {
  readonly registry = new Registry();

  readonly appSetInfo = new Gauge({
    name: 'argocd_appset_info',
    help: 'Information about applicationset',
    labelNames: ['namespace', 'name', 'resource_update_status'],
    registers: [this.registry],
  });

  readonly reconcile = new Histogram({
    name: 'argocd_appset_reconcile',
    help: 'Application reconciliation performance in seconds.',
    labelNames: ['namespace', 'name'],
    buckets: [0.25, 0.5, 1, 2, 4, 8, 16],
    registers: [this.registry],
  });

  readonly ownedApplications = new Gauge({
    name: 'argocd_appset_owned_applications',
    help: 'Number of applications owned by the applicationset',
    labelNames: ['namespace', 'name'],
    registers: [this.registry],
  });

  readonly apiWrites = new Counter({
    name: 'regatta_appset_api_writes_total',
    help: 'Writes made to the API server by ApplicationSet reconciles',
    labelNames: ['namespace', 'name'],
    registers: [this.registry],
  });

  readonly reconcileErrors = new Counter({
    name: 'regatta_appset_reconcile_errors_total',
    help: 'Reconciles that failed (generation errors and write errors)',
    labelNames: ['namespace', 'name'],
    registers: [this.registry],
  });

  readonly shardClusters = new Gauge({
    name: 'regatta_shard_clusters',
    help: 'Clusters owned by each replica in the current ownership generation',
    labelNames: ['shard'],
    registers: [this.registry],
  });

  readonly shardAppSets = new Gauge({
    name: 'regatta_shard_appsets',
    help: 'ApplicationSets owned by each replica in the current ownership generation',
    labelNames: ['shard'],
    registers: [this.registry],
  });

  readonly shardGeneration = new Gauge({ name: 'regatta_shard_generation', help: 'The ownership generation this replica acts on', registers: [this.registry] });

  readonly shardMoves = new Counter({
    name: 'regatta_shard_moves_total',
    help: 'Clusters that changed owner between generations this replica adopted',
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  forget(namespace: string, name: string): void {
    for (const metric of [this.reconcile, this.ownedApplications, this.apiWrites, this.reconcileErrors]) metric.remove({ namespace, name });
    this.appSetInfo.remove({ namespace, name, resource_update_status: 'True' });
    this.appSetInfo.remove({ namespace, name, resource_update_status: 'False' });
  }
}
