import * as k8s from '@kubernetes/client-node';
import type { ClusterRecord } from '../api/cluster-secret.js';
import { newKubeConfig, type KubeConfig } from './kube-config.js';

/**
 * A client-node KubeConfig that connects to a registered cluster with the credentials of its
 * Secret: bearer token, basic auth or an exec plugin; TLS verified against caData unless insecure.
 */
export function kubeConfigForCluster(cluster: ClusterRecord): KubeConfig {
  const { config } = cluster;
  const tls = config.tlsClientConfig ?? {};
  const name = cluster.name || cluster.server;
  const user: k8s.User = { name };
  if (config.bearerToken) Object.assign(user, { token: config.bearerToken });
  else if (config.username) Object.assign(user, { username: config.username, password: config.password });
  else if (config.execProviderConfig?.command) {
    const exec = config.execProviderConfig;
    Object.assign(user, {
      exec: {
        command: exec.command,
        args: exec.args ?? [],
        env: Object.entries(exec.env ?? {}).map(([envName, value]) => ({ name: envName, value })),
        apiVersion: exec.apiVersion ?? 'client.authentication.k8s.io/v1beta1',
      },
    });
  }
  if (tls.certData && tls.keyData) Object.assign(user, { certData: tls.certData, keyData: tls.keyData });
  const kubeConfig = newKubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name,
        server: cluster.server,
        skipTLSVerify: tls.insecure === true || cluster.server.startsWith('http://'),
        caData: tls.caData,
        tlsServerName: tls.serverName,
      },
    ],
    users: [user],
    contexts: [{ name, cluster: name, user: name }],
    currentContext: name,
  });
  return kubeConfig;
}
