import type { ConfigMap } from '../api/meta.js';

/** Argo CD's ConfigMap of SSH host keys: the only keys an SSH repository may present. */
export const SSH_KNOWN_HOSTS_CONFIGMAP = 'argocd-ssh-known-hosts-cm';
export const SSH_KNOWN_HOSTS_KEY = 'ssh_known_hosts';
/** Argo CD's ConfigMap of TLS certificates for repository servers, keyed by server name (no port). */
export const TLS_CERTS_CONFIGMAP = 'argocd-tls-certs-cm';

const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----';

/** What an SSH connection checks the server against: known_hosts lines, possibly none. */
export function sshKnownHosts(configMap: ConfigMap | undefined): string {
  return configMap?.data?.[SSH_KNOWN_HOSTS_KEY] ?? '';
}

/**
 * The PEM bundle registered for a server name, when it holds a certificate; it then replaces the
 * system's trust for that server, as Argo CD's GIT_SSL_CAINFO does.
 */
export function tlsCertificatesFor(configMap: ConfigMap | undefined, serverName: string): string | undefined {
  const pem = configMap?.data?.[serverName];
  return pem?.includes(PEM_CERTIFICATE) ? pem : undefined;
}
