import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type LabelValues } from 'prom-client';
import type { ApplicationSet } from '../api/application-set.js';

/** Argo CD's NormalizeLabels: Prometheus label names take letters, digits and `_` only. */
const prometheusLabel = (label: string) => `label_${label.replace(/[^a-zA-Z0-9_]/g, '_')}`;

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

  readonly generationsRendered = new Counter({
    name: 'regatta_appset_generations_rendered_total',
    help: 'Reconciles that rendered the template again (the others reused the last generation: its inputs had not moved)',
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

  readonly syncQueueErrors = new Counter({
    name: 'regatta_sync_queue_errors_total',
    help: "Errors of the sync queue's Redis clients (queue: enqueueing; worker: running syncs)",
    labelNames: ['source'],
    registers: [this.registry],
  });

  readonly shardGeneration = new Gauge({ name: 'regatta_shard_generation', help: 'The ownership generation this replica acts on', registers: [this.registry] });

  readonly shardMoves = new Counter({
    name: 'regatta_shard_moves_total',
    help: 'Clusters that changed owner between generations this replica adopted',
    registers: [this.registry],
  });

  /** `argocd_appset_labels`: the ApplicationSet labels `--metrics-applicationset-labels` names, as Prometheus labels (opt-in, as in Argo CD). */
  readonly appSetLabels?: Gauge;

  /** The ApplicationSet labels argocd_appset_labels shows. */
  private readonly labelsShown: readonly string[];

  /** The label set each ApplicationSet's series was last written with, per gauge, so a change replaces the old series. */
  private readonly lastSeries = new Map<Gauge, Map<string, LabelValues<string>>>();

  constructor(options: { processMetrics?: boolean; appSetLabels?: readonly string[] } = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
    const labels = (this.labelsShown = options.appSetLabels ?? []);
    if (labels.length) {
      this.appSetLabels = new Gauge({
        name: 'argocd_appset_labels',
        help: 'Applicationset labels translated to Prometheus labels',
        labelNames: ['namespace', 'name', ...labels.map(prometheusLabel)],
        registers: [this.registry],
      });
    }
  }

  /** The per-ApplicationSet gauges after a reconcile: info (with its ResourcesUpToDate reason, as Argo CD), labels and owned Applications. */
  recordApplicationSet(appSet: ApplicationSet, ownedApplications: number): void {
    const namespace = appSet.metadata.namespace ?? '';
    const name = appSet.metadata.name;
    const upToDate = appSet.status?.conditions?.find((c) => c.type === 'ResourcesUpToDate');
    this.replaceSeries(this.appSetInfo, { namespace, name, resource_update_status: upToDate?.reason ?? 'Unknown' });
    if (this.appSetLabels) {
      const values = Object.fromEntries(this.labelsShown.map((label) => [prometheusLabel(label), appSet.metadata.labels?.[label] ?? '']));
      this.replaceSeries(this.appSetLabels, { namespace, name, ...values });
    }
    this.ownedApplications.set({ namespace, name }, ownedApplications);
  }

  forget(namespace: string, name: string): void {
    for (const metric of [this.reconcile, this.ownedApplications, this.apiWrites, this.generationsRendered, this.reconcileErrors])
      metric.remove({ namespace, name });
    for (const [gauge, series] of this.lastSeries) {
      const last = series.get(`${namespace}/${name}`);
      if (last) gauge.remove(last);
      series.delete(`${namespace}/${name}`);
    }
  }

  private replaceSeries(gauge: Gauge, labels: LabelValues<string> & { namespace: string; name: string }): void {
    let series = this.lastSeries.get(gauge);
    if (!series) this.lastSeries.set(gauge, (series = new Map()));
    const key = `${labels.namespace}/${labels.name}`;
    const last = series.get(key);
    if (last && Object.keys(labels).some((label) => last[label] !== labels[label])) gauge.remove(last);
    gauge.set(labels, 1);
    series.set(key, labels);
  }
}
