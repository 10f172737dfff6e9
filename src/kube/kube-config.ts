import * as k8s from '@kubernetes/client-node';

export interface KubeConfigOptions {
  /** Path of a kubeconfig file; default: $KUBECONFIG, ~/.kube/config, then in-cluster. */
  kubeconfig?: string;
  context?: string;
}

export type KubeConfig = k8s.KubeConfig;

export function loadKubeConfig(options: KubeConfigOptions = {}): KubeConfig {
  const config = new k8s.KubeConfig();
  if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
  else config.loadFromDefault();
  if (options.context) config.setCurrentContext(options.context);
  return config;
}

export function kubeConfigFromString(text: string): KubeConfig {
  const config = new k8s.KubeConfig();
  config.loadFromString(text);
  return config;
}

/** The namespace of the current context, as kubectl would default to. */
export function currentNamespace(config: KubeConfig): string | undefined {
  return config.getContextObject(config.getCurrentContext())?.namespace;
}
