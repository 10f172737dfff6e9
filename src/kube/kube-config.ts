import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import { createSecureContext, type SecureContext } from 'node:tls';
import * as k8s from '@kubernetes/client-node';
import { NodeHttpTransport } from './http-transport.js';

/** The Nest token of the management cluster's connection. */
export const KUBE_CONFIG = Symbol('KUBE_CONFIG');

export interface KubeConfigOptions {
  /** Path of a kubeconfig file; default: $KUBECONFIG, ~/.kube/config, then in-cluster. */
  kubeconfig?: string;
  context?: string;
}

export type KubeConfig = k8s.KubeConfig;

/** Keep-alive agents shared by every client with the same TLS settings. */
const sharedAgents = new Map<string, http.Agent>();

/** The agent options client-node sets that a TLS context is made from, and those that say how a connection uses it. */
const CONTEXT_OPTIONS = [
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'ciphers',
  'honorCipherOrder',
  'ecdhCurve',
  'clientCertEngine',
  'crl',
  'dhparam',
  'secureOptions',
  'secureProtocol',
  'sessionIdContext',
] as const;
const CONNECTION_OPTIONS = ['rejectUnauthorized', 'servername'] as const;

/** The TLS settings of an agent's options, as one string: equal settings, equal key. */
function tlsSettingsKey(options: https.AgentOptions, secure: boolean): string {
  const values = [...CONTEXT_OPTIONS, ...CONNECTION_OPTIONS].map((name) => {
    const value = options[name];
    return value === undefined ? null : String(value);
  });
  return createHash('sha256')
    .update(JSON.stringify([secure, ...values]))
    .digest('hex');
}

/**
 * TLS contexts by the settings they are made from. Node makes a context for each connection, parsing
 * the CA and credentials again: with a watch per kind per cluster, thousands of connections held open,
 * each with a context of its own (about 20 KB). Connections with the same settings share one.
 */
const secureContexts = new Map<string, SecureContext>();

/** `options` with the TLS context of their settings, made once. */
function withSharedContext(options: https.AgentOptions): https.AgentOptions {
  const contextOptions = Object.fromEntries(CONTEXT_OPTIONS.flatMap((name) => (options[name] === undefined ? [] : [[name, options[name]]])));
  const key = tlsSettingsKey(contextOptions, true);
  let secureContext = secureContexts.get(key);
  if (!secureContext) secureContexts.set(key, (secureContext = createSecureContext(contextOptions)));
  return { ...options, secureContext };
}

/** Only the options set: an agent copies its options into every request's. */
const onlySet = <T extends object>(options: T): T => Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as T;

/**
 * An HTTPS agent whose TLS settings are its own, with the TLS context of those settings shared.
 * Every request through it carries the same settings, so its sockets are told apart by address
 * alone: Node's own agent names each request's socket pool by every TLS option, spelling out the
 * CA, certificate and key afresh on each request (at fleet scale, a few kilobytes of string built
 * and hashed per request).
 */
class OwnTlsAgent extends https.Agent {
  constructor(options: https.AgentOptions) {
    super(withSharedContext(onlySet(options)));
  }

  override getName(options?: https.RequestOptions): string {
    return `${http.Agent.prototype.getName.call(this, options)}:${options?.servername ?? ''}`;
  }
}

let userAgent = 'regatta/0.1.0';

/** Names this replica in the User-Agent of every API call, as API servers' audit logs show it. */
export function identifyClientsAs(replica: string): void {
  userAgent = `regatta/0.1.0 (replica ${replica})`;
}

const transport = k8s.wrapHttpLibrary(new NodeHttpTransport());

/**
 * client-node authenticates every API call afresh: it decodes the kubeconfig's certificates and
 * builds a new HTTP agent for each, so each call would open (and for HTTPS handshake) its own
 * connection. This config reuses one keep-alive agent per set of TLS options, and when the user's
 * credentials cannot change (no exec plugin or auth provider to ask), it learns the headers
 * client-node's authentication adds once per context. Its API clients send through
 * `NodeHttpTransport`. Proxied clusters keep client-node's own agents.
 */
class PooledKubeConfig extends k8s.KubeConfig {
  /** By context: a config's TLS settings do not change once loaded, and hashing them costs more than the call. */
  private readonly agents = new Map<string, http.Agent | undefined>();
  private readonly fixedHeaders = new Map<string, Record<string, string>>();

  override makeApiClient<T extends k8s.ApiType>(apiClientType: k8s.ApiConstructor<T>): T {
    const cluster = this.getCurrentCluster();
    if (!cluster) throw new Error('No active cluster!');
    return new apiClientType(
      k8s.createConfiguration({ baseServer: new k8s.ServerConfiguration(cluster.server, {}), authMethods: { default: this }, httpApi: transport }),
    );
  }

  override async applySecurityAuthentication(context: k8s.RequestContext): Promise<void> {
    const headers = this.fixedHeaders.get(this.currentContext) ?? (await this.authenticationHeaders());
    for (const [name, value] of Object.entries(headers)) context.setHeaderParam(name, value);
    const agent = this.agents.get(this.currentContext);
    if (agent) context.setAgent(agent);
    context.setHeaderParam('User-Agent', userAgent);
  }

  private async authenticationHeaders(): Promise<Record<string, string>> {
    const probe = new k8s.RequestContext('http://authentication.invalid/', k8s.HttpMethod.GET);
    await super.applySecurityAuthentication(probe);
    if (!this.agents.has(this.currentContext)) this.agents.set(this.currentContext, this.pooled(probe.getAgent()));
    const headers = probe.getHeaders();
    const user = this.getCurrentUser();
    if (!user?.exec && !user?.authProvider) this.fixedHeaders.set(this.currentContext, headers);
    return headers;
  }

  private pooled(built: http.Agent | undefined): http.Agent | undefined {
    if (!built || this.getCurrentCluster()?.proxyUrl) return built;
    const options = (built as http.Agent & { options: https.AgentOptions }).options;
    const secure = built instanceof https.Agent;
    const key = tlsSettingsKey(options, secure);
    let agent = sharedAgents.get(key);
    if (!agent) {
      const pooled = { ...options, keepAlive: true, maxFreeSockets: 64 };
      agent = secure ? new OwnTlsAgent(pooled) : new http.Agent(onlySet(pooled));
      sharedAgents.set(key, agent);
    }
    return agent;
  }

  /** client-node's watches: each keeps its own agent and connection, with the TLS context of its settings shared. */
  override async applyToFetchOptions(opts: https.RequestOptions): Promise<Awaited<ReturnType<k8s.KubeConfig['applyToFetchOptions']>>> {
    const init = await super.applyToFetchOptions(opts);
    const built = init.agent;
    if (built instanceof https.Agent && !this.getCurrentCluster()?.proxyUrl) init.agent = new OwnTlsAgent(built.options);
    return init;
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
