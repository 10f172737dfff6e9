import { randomBytes } from 'node:crypto';
import YAML from 'yaml';
import { defaultAppProject } from '../api/app-project.js';
import type { Secret } from '../api/meta.js';
import { ClusterStore } from './cluster-store.js';
import { ClusterRoleAggregator } from './clusterrole-aggregation.js';
import { SimServer } from './sim-server.js';
import { type ClusterCounters } from './sim-cluster.js';
import { type ClusterFaults } from './sim-cluster.js';
import { type SimCluster } from './sim-cluster.js';
import { generateSimTls } from './sim-tls.js';
import { seedUserFacingRoles } from './user-facing-roles.js';
import { WorkloadSimulator } from './workload-simulator.js';

export interface SimFleetOptions {
  /** Workload clusters: a count (named cluster-1 …) or explicit names with labels. */
  clusters?: number | { name: string; labels?: Record<string, string> }[];
  /** Namespaces created in every cluster (default: default, argocd on the management cluster). */
  namespaces?: string[];
  port?: number;
  watchHistory?: number;
  /** Serve HTTPS with a throwaway CA (kubeconfigs and cluster Secrets then carry its caData). */
  https?: boolean;
  /** Workloads (Deployments, StatefulSets, DaemonSets, Jobs) become ready after this long (default 50 ms). */
  readyDelayMs?: number;
  /** An image containing this text makes a workload fail (default "fail"). */
  failImage?: string;
  /** Every cluster also listens on a port of its own, its server URL there: what the `refuseConnections` fault needs. */
  separatePorts?: boolean;
}

export const MANAGEMENT_CLUSTER = 'management';
const ARGOCD_NAMESPACE = 'argocd';
/** The group a real cluster's admin credentials carry; bound to cluster-admin, as kubeadm does. */
export const MASTERS_GROUP = 'system:masters';

/**
 * The bootstrap RBAC every real cluster starts with: cluster-admin for system:masters, and API
 * discovery and self-reviews for every authenticated user (system:discovery, system:basic-user).
 */
function seedBootstrapRbac(store: ClusterStore): void {
  const type = (kind: string) => store.typeForKind('rbac.authorization.k8s.io/v1', kind)!;
  const bind = (role: string, group: string, rules: Record<string, unknown>[]) => {
    store.create(type('ClusterRole'), undefined, { metadata: { name: role }, rules }, 'sim');
    store.create(
      type('ClusterRoleBinding'),
      undefined,
      {
        metadata: { name: role },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
      },
      'sim',
    );
  };
  bind('cluster-admin', MASTERS_GROUP, [
    { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
    { nonResourceURLs: ['*'], verbs: ['*'] },
  ]);
  bind('system:discovery', 'system:authenticated', [
    {
      nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'],
      verbs: ['get'],
    },
  ]);
  // Every user may ask what it may do itself (`kubectl auth can-i`).
  bind('system:basic-user', 'system:authenticated', [
    { apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], verbs: ['create'] },
    { apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'], verbs: ['create'] },
  ]);
}

/**
 * A fleet of simulated clusters in one process: a management cluster (where Argo CD's and
 * Regatta's objects live) and workload clusters, each with its own URL, token and object store.
 */
export class SimFleet {
  private constructor(
    private readonly http: SimServer,
    readonly url: string,
    private readonly clusters: Map<string, SimCluster>,
    private readonly labels: Map<string, Record<string, string>>,
    private readonly workloads: WorkloadSimulator[],
    private readonly aggregators: ClusterRoleAggregator[],
    private readonly caPem?: string,
    private readonly baseUrls = new Map<string, string>(),
  ) {}

  static async start(options: SimFleetOptions = {}): Promise<SimFleet> {
    const workload =
      typeof options.clusters === 'number' || options.clusters === undefined
        ? Array.from({ length: (options.clusters as number | undefined) ?? 0 }, (_, i) => ({ name: `cluster-${i + 1}`, labels: {} as Record<string, string> }))
        : options.clusters.map((c) => ({ name: c.name, labels: c.labels ?? {} }));
    const clusters = new Map<string, SimCluster>();
    const workloads: WorkloadSimulator[] = [];
    const aggregators: ClusterRoleAggregator[] = [];
    const labels = new Map<string, Record<string, string>>();
    for (const { name, labels: clusterLabels } of [{ name: MANAGEMENT_CLUSTER, labels: {} }, ...workload]) {
      const store = new ClusterStore(name, options.watchHistory ?? 10_000);
      const token = `sim-${name}-${randomBytes(12).toString('hex')}`;
      const admin = `${name}-admin`;
      clusters.set(name, {
        store,
        tokens: new Map([[token, admin]]),
        groups: new Map([[admin, [MASTERS_GROUP]]]),
        faults: {},
        counters: {
          reads: 0,
          writes: 0,
          watchesOpen: 0,
          watchesStarted: 0,
          bytesSent: new Map(),
          bytesReceived: new Map(),
          writesByResource: new Map(),
          conflictsByResource: new Map(),
        },
      });
      labels.set(name, clusterLabels);
      aggregators.push(new ClusterRoleAggregator(store));
      workloads.push(new WorkloadSimulator(store, { readyDelayMs: options.readyDelayMs ?? 50, failImage: options.failImage ?? 'fail' }));
      const namespaces = options.namespaces ?? (name === MANAGEMENT_CLUSTER ? ['default', ARGOCD_NAMESPACE] : ['default']);
      const namespaceType = store.typeForKind('v1', 'Namespace')!;
      for (const namespace of namespaces) store.create(namespaceType, undefined, { metadata: { name: namespace } }, 'sim');
      seedBootstrapRbac(store);
      seedUserFacingRoles(store);
      // The management cluster stands for one with Argo CD installed: its API server has created the default project.
      if (name === MANAGEMENT_CLUSTER && namespaces.includes(ARGOCD_NAMESPACE)) {
        store.create(store.typeForKind('argoproj.io/v1alpha1', 'AppProject')!, ARGOCD_NAMESPACE, defaultAppProject(ARGOCD_NAMESPACE), 'sim');
      }
    }
    const tls = options.https ? generateSimTls() : undefined;
    const server = new SimServer(clusters, tls);
    const url = await server.listen(options.port ?? 0);
    const baseUrls = new Map<string, string>();
    if (options.separatePorts) for (const name of clusters.keys()) baseUrls.set(name, await server.listenFor(name));
    return new SimFleet(server, url, clusters, labels, workloads, aggregators, tls?.caPem, baseUrls);
  }

  /**
   * From now on every write to a workload cluster records who held that cluster's lease when it
   * arrived, as `holderOf(server URL)` says (Regatta's leases in Redis; '' for no one, undefined
   * when it cannot be told): what the audit of non-owner writes counts.
   */
  auditLeases(holderOf: (server: string) => Promise<string | undefined>): void {
    for (const name of this.names()) this.get(name).leaseHolder = () => holderOf(this.server(name));
  }

  names(): string[] {
    return [...this.clusters.keys()].filter((n) => n !== MANAGEMENT_CLUSTER);
  }

  cluster(name = MANAGEMENT_CLUSTER): ClusterStore {
    return this.get(name).store;
  }

  counters(name = MANAGEMENT_CLUSTER): ClusterCounters {
    return this.get(name).counters;
  }

  server(name = MANAGEMENT_CLUSTER): string {
    this.get(name);
    return `${this.baseUrls.get(name) ?? this.url}/clusters/${encodeURIComponent(name)}`;
  }

  /**
   * The admin token of a cluster; `identity` adds another token recorded under that name in the
   * write log. The identity is the user name TokenReviews report and RBAC bindings name
   * (`system:serviceaccount:NS:NAME` for a ServiceAccount); `groups` are its groups. RBAC decides
   * SubjectAccessReviews and impersonation (who may impersonate whom, and what the impersonated
   * user may then do); a token's own requests keep full access to the simulator's API.
   */
  token(name = MANAGEMENT_CLUSTER, identity?: string, groups: string[] = []): string {
    const cluster = this.get(name);
    if (identity) {
      const token = `sim-${identity.replace(/[^A-Za-z0-9-]/g, '-')}-${randomBytes(12).toString('hex')}`;
      cluster.tokens.set(token, identity);
      if (groups.length) cluster.groups.set(identity, groups);
      return token;
    }
    return cluster.tokens.keys().next().value as string;
  }

  /** Make every workload applied to a cluster from now on fail (or stop failing). */
  failWorkloads(name: string, failing = true): void {
    this.workloads[[...this.clusters.keys()].indexOf(name)].failAll = failing;
  }

  /** Switches faults on (or off); settles once a refused port has closed or listens again. */
  fault(name: string, faults: ClusterFaults): Promise<void> {
    const cluster = this.get(name);
    if (faults.refuseConnections && !this.http.hasOwnPort(name))
      throw new Error(`simulated cluster ${name} shares the fleet's port: start the fleet with separatePorts to refuse its connections`);
    Object.assign(cluster.faults, faults);
    return faults.refuseConnections === undefined ? Promise.resolve() : this.http.refuseConnections(name, faults.refuseConnections);
  }

  /** Clears every fault; settles once a refused port listens again. */
  clearFaults(name: string): Promise<void> {
    const cluster = this.get(name);
    for (const key of Object.keys(cluster.faults)) delete (cluster.faults as Record<string, unknown>)[key];
    return this.http.hasOwnPort(name) ? this.http.refuseConnections(name, false) : Promise.resolve();
  }

  /** A kubeconfig (YAML) for one cluster; `identity` gives it a token of its own. */
  kubeconfig(name = MANAGEMENT_CLUSTER, options: { identity?: string; namespace?: string } = {}): string {
    const token = this.token(name, options.identity);
    return YAML.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name,
          cluster: this.caPem
            ? { server: this.server(name), 'certificate-authority-data': Buffer.from(this.caPem).toString('base64') }
            : { server: this.server(name), 'insecure-skip-tls-verify': true },
        },
      ],
      users: [{ name: `${name}-user`, user: { token } }],
      contexts: [
        { name, context: { cluster: name, user: `${name}-user`, namespace: options.namespace ?? (name === MANAGEMENT_CLUSTER ? 'argocd' : 'default') } },
      ],
      'current-context': name,
    });
  }

  /** An Argo CD cluster Secret registering a workload cluster, labelled with the cluster's labels. */
  clusterSecret(name: string, namespace = 'argocd'): Secret {
    const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: `cluster-${name}`, namespace, labels: { 'argocd.argoproj.io/secret-type': 'cluster', ...this.labels.get(name) } },
      data: {
        name: b64(name),
        server: b64(this.server(name)),
        config: b64(
          JSON.stringify({
            bearerToken: this.token(name),
            tlsClientConfig: this.caPem ? { insecure: false, caData: Buffer.from(this.caPem).toString('base64') } : { insecure: true },
          }),
        ),
      },
    };
  }

  async stop(): Promise<void> {
    for (const workload of this.workloads) workload.stop();
    for (const aggregator of this.aggregators) aggregator.stop();
    await this.http.close();
  }

  private get(name: string): SimCluster {
    const cluster = this.clusters.get(name);
    if (!cluster) throw new Error(`no simulated cluster named ${name}`);
    return cluster;
  }
}
