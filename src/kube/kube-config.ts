import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { checkRequestFence } from './request-fence.js';

/** The Nest token of the management cluster's connection. */
export const KUBE_CONFIG = Symbol('KUBE_CONFIG');

export interface KubeConfigOptions {
  /** Path of a kubeconfig file; default: $KUBECONFIG, ~/.kube/config, then in-cluster. */
  kubeconfig?: string;
  context?: string;
}

export type KubeConfig = k8s.KubeConfig;

/** Keep-alive agents shared by every client with the same TLS settings. */
const agents = new Map<string, http.Agent>();
/** Each config's agent by context: a config's TLS settings do not change once loaded, and hashing them costs more than the call. */
const agentOfContext = new WeakMap<k8s.KubeConfig, Map<string, http.Agent>>();

let userAgent = 'regatta/0.1.0';

/** Names this replica in the User-Agent of every API call, as API servers' audit logs show it. */
export function identifyClientsAs(replica: string): void {
  userAgent = `regatta/0.1.0 (replica ${replica})`;
}

/**
 * client-node builds a new HTTP agent for every API call, so each call opens (and for HTTPS
 * handshakes) a fresh connection: at fleet scale that is most of a sync's cost. This config keeps
 * what client-node builds but reuses one keep-alive agent per set of TLS options. Proxied clusters
 * keep client-node's own agents.
 */
class PooledKubeConfig extends k8s.KubeConfig {
  override async applySecurityAuthentication(context: Parameters<k8s.KubeConfig['applySecurityAuthentication']>[0]): Promise<void> {
    await super.applySecurityAuthentication(context);
    checkRequestFence((signal) => context.setSignal(signal));
    context.setHeaderParam('User-Agent', userAgent);
    const built = context.getAgent();
    if (!built || this.getCurrentCluster()?.proxyUrl) return;
    let ofContext = agentOfContext.get(this);
    if (!ofContext) agentOfContext.set(this, (ofContext = new Map()));
    const known = ofContext.get(this.currentContext);
    if (known) return context.setAgent(known);
    const options = (built as http.Agent & { options: https.AgentOptions }).options;
    const secure = built instanceof https.Agent;
    const key = createHash('sha256')
      .update(
        JSON.stringify(
          [secure, options.ca, options.cert, options.key, options.pfx, options.rejectUnauthorized, options.servername].map((v) =>
            v === undefined ? null : String(v),
          ),
        ),
      )
      .digest('hex');
    let agent = agents.get(key);
    if (!agent) {
      const pooled = { ...options, keepAlive: true, maxFreeSockets: 64 };
      agent = secure ? new https.Agent(pooled) : new http.Agent(pooled);
      agents.set(key, agent);
    }
    ofContext.set(this.currentContext, agent);
    context.setAgent(agent);
  }
}

/** A client-node KubeConfig whose API calls reuse connections. */
export function newKubeConfig(): KubeConfig {
  return new PooledKubeConfig();
}

export function loadKubeConfig(options: KubeConfigOptions = {}): KubeConfig {
  const config = newKubeConfig();
  if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
  else config.loadFromDefault();
  if (options.context) config.setCurrentContext(options.context);
  return config;
}

/** The same connection acting as `user` (the Impersonate-User header on every request). */
export function impersonating(config: KubeConfig, user: string): KubeConfig {
  const copy = newKubeConfig();
  copy.loadFromOptions({
    clusters: config.clusters,
    users: config.users.map((u) => ({ ...u, impersonateUser: user })),
    contexts: config.contexts,
    currentContext: config.getCurrentContext(),
  });
  return copy;
}

export function kubeConfigFromString(text: string): KubeConfig {
  const config = newKubeConfig();
  config.loadFromString(text);
  return config;
}

/** The namespace of the current context, as kubectl would default to. */
export function currentNamespace(config: KubeConfig): string | undefined {
  return config.getContextObject(config.getCurrentContext())?.namespace;
}
