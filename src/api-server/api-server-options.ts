import type { KubeConfig } from '../kube/kube-config.js';
import type { Logger } from '../observability/logger.js';
import type { ClusterShards } from './cluster-shards.js';
import type { DashboardLoginCodes } from './dashboard-login-codes.js';

/** What the API and dashboard need from the process that hosts them (the controller, or the demo). */
export interface ApiServerOptions {
  /** The management cluster, reached with the controller's own credentials. */
  kubeConfig: KubeConfig;
  /** Argo CD's namespace: cluster Secrets, and the permission the fleet endpoints check. */
  namespace: string;
  /** Namespaces whose ApplicationSets the dashboard lists. */
  applicationSetNamespaces: string[];
  logger: Logger;
  /** Who owns each cluster; default: the sharding of the controller process hosting the API. */
  shards?: ClusterShards;
  /** How often a live dashboard page re-reads its rollout (default 1000 ms). */
  livePollMs?: number;
  /** Believe `X-Forwarded-Proto: https` (a TLS-terminating proxy in front) when marking cookies Secure. */
  trustForwardedProto?: boolean;
  /** One-time login codes a host that holds a token (the demo) issues; without, codes are never valid. */
  loginCodes?: DashboardLoginCodes;
  /** Time the template engine may spend on one Application in a dry run (the controller's --template-timeout). */
  templateTimeoutSeconds?: number;
}

export const API_SERVER_OPTIONS = Symbol('API_SERVER_OPTIONS');
export const CLUSTER_SHARDS = Symbol('CLUSTER_SHARDS');
